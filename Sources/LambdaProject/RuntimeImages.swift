import CImageFiles
import Foundation

/// perl-lambda:base and perl-lambda:build (or their `-<arch>-perl<ver>` tags: `RuntimeImageTarget`), made by
/// `perl-lambda image build` when the engine lacks them, as images/build.sh does: base FROM the target's Debian
/// image with the bootstrap and the local server (perl-lambda, or the AWS RIE of another architecture) beside the
/// running perl-lambda, build FROM base. The Dockerfiles and the entrypoint are images/'s, compiled into perl-lambda
/// (CImageFiles), so an installed perl-lambda needs no checkout.
public struct RuntimeImages {
    /// The default target's tags.
    public static let base = "perl-lambda:base"
    public static let build = "perl-lambda:build"
    /// The OS image base.Dockerfile starts FROM for the default target (users pull it from a registry).
    public static let osBase = "debian:bookworm-slim"

    public var target: RuntimeImageTarget
    /// The bootstrap that goes into the base image.
    public var bootstrap: String
    /// The local server that goes into it: perl-lambda, or (`serverIsRIE`) the AWS RIE.
    public var cli: String
    public var serverIsRIE: Bool
    /// Extra `docker build` arguments (DOCKER_BUILD_ARGS, --docker-arg), for every build.
    public var buildArguments: [String]

    public init(bootstrap: String, cli: String, buildArguments: [String] = [],
                target: RuntimeImageTarget = .hostDefault,
                serverIsRIE: Bool = false) {
        self.bootstrap = bootstrap
        self.cli = cli
        self.buildArguments = buildArguments
        self.target = target
        self.serverIsRIE = serverIsRIE
    }

    /// The images of ours among `needed` that the engine lacks, in the order they must be built (build needs
    /// base); images of others are docker's to pull. `base` and `build` are the target's tags.
    public static func missing(_ needed: [String], base: String = base, build: String = build,
                               exists: (String) -> Bool) -> [String] {
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

    /// The version of the perl the bootstrap embeds (`5.36.0`): base.Dockerfile checks the image's perl is it. A
    /// bootstrap of another target cannot run here (another architecture, or a libperl this machine lacks): its
    /// perl is the target's series (`5.40`).
    public func imagePerlVersion() throws -> String {
        target.isDefault ? try perlVersion() : target.perl
    }

    /// The default target's perl, from the bootstrap (its base image is Debian's with that perl).
    public mutating func learnDefaultPerl() throws {
        let series = RuntimeImageTarget.series(try perlVersion())
        guard RuntimeImageTarget.osImages[series] != nil else {
            throw ProjectError(.image, "\(bootstrap) embeds perl \(series), for which there is no Debian image to build "
                + "\(target.base) on: give --base IMAGE")
        }
        target.perl = series
    }

    /// The version of the perl the bootstrap embeds, from running it.
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
        let isBase = image == target.base
        let dockerfile = dir.appendingPathComponent(isBase ? "base.Dockerfile" : "build.Dockerfile")
        try Self.file(dockerfile.lastPathComponent).write(to: dockerfile)
        var args = ["build", "-f", dockerfile.path, "-t", image] + buildArguments
        if let platform = target.platform { args += ["--platform", platform] }
        if isBase {
            let bin = dir.appendingPathComponent("bin")
            try? fm.removeItem(at: bin)
            try fm.createDirectory(at: bin, withIntermediateDirectories: true)
            for (name, path) in [("bootstrap", bootstrap), (serverIsRIE ? "aws-lambda-rie" : "perl-lambda", cli)] {
                let copy = bin.appendingPathComponent(name)
                try fm.copyItem(atPath: path, toPath: copy.path)
                if !serverIsRIE { Self.strip(copy.path) }   // this machine's strip reads its own architecture only
            }
            args += ["--build-arg", "BASE_IMAGE=\(target.osImage)", "--build-arg", "PERL_VERSION=\(try imagePerlVersion())"]
        } else {
            args += ["--build-arg", "BASE_IMAGE=\(target.base)"]
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
    public static func failure(_ image: String, status: Int32, osBasePresent: Bool,
                               target: RuntimeImageTarget? = nil) -> ProjectError {
        let base = target?.base ?? Self.base, osBase = target?.osImage ?? Self.osBase
        if image == base && !osBasePresent {
            let platform = target?.platform.map { "--platform \($0) " } ?? ""
            return ProjectError(.image, "building \(base) failed: it starts FROM \(osBase), which the Docker engine neither has nor "
                + "could pull: `docker pull \(platform)\(osBase)` (or load it from a file), then run this again")
        }
        var hint = "or make the images from a perl-lambda checkout: images/build.sh"
        if let target, !target.isDefault { hint += " --arch \(target.architecture) --perl \(target.perl)" }
        if let platform = target?.platform, platform != RuntimeImageTarget.platform(of: Scaffold.hostArchitecture) {
            hint += "; \(platform) builds run under qemu-user: check that binfmt_misc has qemu-\(target!.architecture == "arm64" ? "aarch64" : "x86_64") "
                + "(apt-get install qemu-user-static binfmt-support)"
        }
        return ProjectError(.image, "building \(image) failed (docker build status \(status), output above); where the default "
            + "network has no route out (dockerd --iptables=false) pass DOCKER_BUILD_ARGS=\"--network host\"; " + hint)
    }

    /// When there is no bootstrap to put into the base image.
    public static func noBootstrap(_ image: String, at path: String, target: RuntimeImageTarget? = nil) -> ProjectError {
        if let target, !target.isDefault {
            return ProjectError(.image, "\(image) is not in the Docker engine and there is no bootstrap at \(path) to build it from: "
                + "`make layer ARCH=\(target.architecture) PERL=\(target.perl)` in a perl-lambda checkout builds it and leaves it "
                + "beside perl-lambda; or give --bootstrap PATH, or --base IMAGE")
        }
        return ProjectError(.image, "\(image) is not in the Docker engine and there is no bootstrap at \(path) to build it from: "
            + "install perl-lambda with its bootstrap beside it, or run images/build.sh in a perl-lambda checkout "
            + "(make images), or give --base IMAGE")
    }

    /// When an image of another architecture has no local server to carry.
    public static func noRIE(_ image: String, at path: String, target: RuntimeImageTarget) -> ProjectError {
        ProjectError(.image, "\(image) is not in the Docker engine and there is no AWS RIE for \(target.architecture) at \(path) "
            + "(the local server of \(target.architecture) images; perl-lambda runs on \(Scaffold.hostArchitecture) only): "
            + "`make layer ARCH=\(target.architecture) PERL=\(target.perl)` in a perl-lambda checkout leaves it beside perl-lambda "
            + "(scripts/fetch-rie.sh fetches it into .cache/bin)")
    }
}
