import CImageFiles
import Foundation

/// perl-lambda:base and perl-lambda:build, made by `perl-lambda image build` when the engine lacks them, as
/// images/build.sh does: base FROM debian:bookworm-slim with the `bootstrap` and `perl-lambda` beside the running
/// perl-lambda, build FROM base. The Dockerfiles and the entrypoint are images/'s, compiled into perl-lambda
/// (CImageFiles), so an installed perl-lambda needs no checkout.
public struct RuntimeImages {
    public static let base = "perl-lambda:base"
    public static let build = "perl-lambda:build"
    /// The OS image base.Dockerfile starts FROM (users pull it from a registry).
    public static let osBase = "debian:bookworm-slim"

    /// The bootstrap and perl-lambda binaries that go into the base image.
    public var bootstrap: String
    public var cli: String
    /// Extra `docker build` arguments (DOCKER_BUILD_ARGS, --docker-arg), for every build.
    public var buildArguments: [String]

    public init(bootstrap: String, cli: String, buildArguments: [String] = []) {
        self.bootstrap = bootstrap
        self.cli = cli
        self.buildArguments = buildArguments
    }

    /// The images of ours among `needed` that the engine lacks, in the order they must be built (build needs
    /// base); images of others are docker's to pull.
    public static func missing(_ needed: [String], exists: (String) -> Bool) -> [String] {
        var out: [String] = []
        let wantsBuild = needed.contains(build) && !exists(build)
        if (needed.contains(base) || wantsBuild) && !exists(base) { out.append(base) }
        if wantsBuild { out.append(build) }
        return out
    }

    /// One file of images/ as compiled into perl-lambda.
    static func file(_ name: String) -> Data {
        guard let f = cimage_file_named(name) else { fatalError("\(name) is not compiled into perl-lambda") }
        return Data(bytes: f.pointee.bytes, count: f.pointee.len)
    }

    /// The version of the perl the bootstrap embeds (`5.36.0`): base.Dockerfile checks the image's perl is it.
    public func perlVersion() throws -> String {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("perl-lambda-version-\(getpid()).pl")
        try Data(#"printf "%vd", $^V"#.utf8).write(to: script)
        defer { try? FileManager.default.removeItem(at: script) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bootstrap)
        p.arguments = ["--script", script.path]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch { throw ProjectError(.image, "cannot run \(bootstrap): \(error.localizedDescription)") }
        let version = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0, version.split(separator: ".").count == 3 else {
            throw ProjectError(.image, "cannot tell which perl \(bootstrap) embeds (it does not run here"
                + (message.isEmpty ? "" : ": " + message.trimmingCharacters(in: .whitespacesAndNewlines)) + ")")
        }
        return version
    }

    /// Writes `image`'s build context into `dir` and returns the `docker build` arguments.
    public func prepare(_ image: String, in dir: URL) throws -> [String] {
        let fm = FileManager.default
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        let entrypoint = dir.appendingPathComponent("lambda-entrypoint.sh")
        try Self.file("lambda-entrypoint.sh").write(to: entrypoint)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: entrypoint.path)
        let dockerfile = dir.appendingPathComponent(image == Self.base ? "base.Dockerfile" : "build.Dockerfile")
        try Self.file(dockerfile.lastPathComponent).write(to: dockerfile)
        var args = ["build", "-f", dockerfile.path, "-t", image] + buildArguments
        if image == Self.base {
            let bin = dir.appendingPathComponent("bin")
            try fm.createDirectory(at: bin, withIntermediateDirectories: true)
            for (name, path) in [("bootstrap", bootstrap), ("perl-lambda", cli)] {
                let copy = bin.appendingPathComponent(name)
                try? fm.removeItem(at: copy)
                try fm.copyItem(atPath: path, toPath: copy.path)
                Self.strip(copy.path)
            }
            args += ["--build-arg", "BASE_IMAGE=\(Self.osBase)", "--build-arg", "PERL_VERSION=\(try perlVersion())"]
        } else {
            args += ["--build-arg", "BASE_IMAGE=\(Self.base)"]
        }
        return args + [dir.path]
    }

    /// Symbols are a third of a release binary's size (images/build.sh strips too); without `strip` they stay.
    static func strip(_ path: String) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strip") else { return }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/strip")
        p.arguments = [path]
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return }
        p.waitUntilExit()
    }

    /// Why `image` could not be built, and what to run instead.
    public static func failure(_ image: String, status: Int32, osBasePresent: Bool) -> ProjectError {
        if image == base && !osBasePresent {
            return ProjectError(.image, "building \(base) failed: it starts FROM \(osBase), which the Docker engine neither has nor "
                + "could pull: `docker pull \(osBase)` (or load it from a file), then run this again")
        }
        return ProjectError(.image, "building \(image) failed (docker build status \(status), output above); where the default "
            + "network has no route out (dockerd --iptables=false) pass DOCKER_BUILD_ARGS=\"--network host\"; or make "
            + "the images from a perl-lambda checkout: images/build.sh")
    }

    /// When there is no bootstrap to put into the base image.
    public static func noBootstrap(_ image: String, at path: String) -> ProjectError {
        ProjectError(.image, "\(image) is not in the Docker engine and there is no bootstrap at \(path) to build it from: "
            + "install perl-lambda with its bootstrap beside it, or run images/build.sh in a perl-lambda checkout "
            + "(make images), or give --base IMAGE")
    }
}
