import ArgumentParser
import Foundation
import LambdaProject

struct Image: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Build container images of functions.",
        subcommands: [ImageBuildCommand.self])
}

struct ImageBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a function's container image on the perl-lambda base image.",
        discussion: """
            DIR holds the handler file and optionally a cpanfile and vendored local/lib/perl5. With a cpanfile, \
            `cpanm --installdeps -L local .` runs in a build stage FROM the matching build image (BASE with tag \
            `build` for `base`), so XS modules compile against the perl the function runs with; the final image \
            is BASE plus /var/task. Needs a running Docker daemon. When the engine lacks perl-lambda:base (or \
            perl-lambda:build, for a cpanfile), they are built first, once, from the `bootstrap` and `perl-lambda` \
            beside this program and \(RuntimeImages.osBase) (as images/build.sh does). Extra `docker build` \
            arguments (--docker-arg, and the words of DOCKER_BUILD_ARGS) reach every build, e.g. --network host \
            on engines started with --iptables=false.
            --arch and --perl select another architecture or perl: the base images are then \
            perl-lambda:base-ARCH-perlVERSION and :build-ARCH-perlVERSION, on debian:bookworm-slim (perl 5.36) or \
            debian:trixie-slim (5.40), every build runs with --platform linux/ARCH (arm64 under qemu-user on an \
            x86_64 engine), and missing base images are built from bootstrap-ARCH-perlVERSION beside this \
            program (`make layer ARCH=… PERL=…` leaves it there) and, for arm64, aws-lambda-rie-arm64: an \
            arm64 image serves locally through the AWS RIE, an x86_64 one through perl-lambda serve.
            --bundle-runtime builds on an OS-only base instead (default \(ImageBuild.osOnlyBase)): the runtime \
            of `perl-lambda package --layer` (its own perl, libperl and C library) goes to /opt and the base \
            image's /var/runtime/bootstrap points at it; its entrypoint then runs the function (locally under the \
            AWS RIE that image ships). CPAN modules are installed in perl-lambda:build, whose perl is the bundled one.
              perl-lambda image build my-function --tag my-function:latest
              docker run -p 9000:8080 my-function:latest
              perl-lambda image build my-function --arch arm64 --perl 5.40 --tag my-function:arm64
              docker run --platform linux/arm64 -p 9000:8080 my-function:arm64
              perl-lambda image build my-function --bundle-runtime --tag my-function:al2023
              perl-lambda image build my-function --bundle-runtime --print-dockerfile
            """)

    @Argument(help: "The function's directory.")
    var directory: String = "."

    @Option(name: .shortAndLong, help: "The image's name (default: DIR's name:latest).")
    var tag: String?

    @Option(name: .long, help: "The base image (default: perl-lambda:base, or perl-lambda:base-ARCH-perlVERSION for --arch/--perl; with --bundle-runtime \(ImageBuild.osOnlyBase)).")
    var base: String?

    @Option(name: .long, help: "The image's architecture: x86_64 or arm64 (default: this machine's, \(Scaffold.hostArchitecture)).")
    var arch: String?

    @Option(name: .long, help: "The image's perl: 5.36 or 5.40 (default: the one the bootstrap beside this program embeds). With --bundle-runtime: the perl program to bundle, as for `package`.")
    var perl: String?

    @Option(name: .long, help: "The bootstrap for a base image that must be built (default: bootstrap, or bootstrap-ARCH-perlVERSION, beside this program); with --bundle-runtime: the bootstrap to bundle.")
    var bootstrap: String?

    @Flag(name: .long, help: "Put the runtime into the image (at /opt), for OS-only bases such as provided:al2023.")
    var bundleRuntime = false

    @Flag(name: .long, help: "Print the Dockerfile and stop (nothing is built).")
    var printDockerfile = false

    @Option(name: .long, help: "The image that installs the cpanfile's modules (default: derived from --base).")
    var buildImage: String?

    @Option(name: .long, help: "The handler, FILE.FUNCTION or FILE.psgi (the image's CMD).")
    var handler: String = "handler.handle"

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("An extra `docker build` argument (repeatable), e.g. --docker-arg=--network=host.", valueName: "ARG"))
    var dockerArg: [String] = []

    /// --perl is a version (5.40) for perl-lambda's base images, a perl program with --bundle-runtime.
    var perlVersion: String? {
        guard let perl, perl.first?.isNumber == true, !perl.contains("/") else { return nil }
        return perl
    }

    /// The architecture and perl of the base images; asked only when they matter (not for --bundle-runtime).
    func target() throws -> RuntimeImageTarget {
        let bootstrap = FunctionOptions.besideExecutable("bootstrap")
        return try RuntimeImageTarget.resolve(architecture: arch, perl: perlVersion) {
            try RuntimeImages(bootstrap: bootstrap, cli: bootstrap).perlVersion()
        }
    }

    func run() throws {
        let started = Date()
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        do {
            // without --arch and --perl: this machine's architecture and the bootstrap's perl, asked only if an
            // image must be built (makeMissingImages)
            var target = RuntimeImageTarget.hostDefault
            if bundleRuntime {
                // the bundled runtime is this machine's (package --layer); other architectures and perls have their base images
                if let arch, arch != Scaffold.hostArchitecture {
                    throw ProjectError(.image, "--bundle-runtime bundles this machine's runtime (\(Scaffold.hostArchitecture)): "
                        + "for \(arch), build on perl-lambda's base image (leave out --bundle-runtime)")
                }
                if let v = perlVersion {
                    throw ProjectError(.image, "with --bundle-runtime, --perl is the perl program to bundle (as for `package`), not a "
                        + "version ('\(v)'); for perl \(v) build on perl-lambda's base image (leave out --bundle-runtime)")
                }
            } else if let perl, perlVersion == nil {
                throw ProjectError(.image, "--perl is the image's perl, \(RuntimeImageTarget.osImages.keys.sorted().joined(separator: " or ")), "
                    + "not '\(perl)' (a perl program is for --bundle-runtime)")
            } else if arch != nil || perl != nil {
                target = try self.target()
            }
            let build = ImageBuild(directory: URL(fileURLWithPath: directory, relativeTo: cwd), tag: tag, handler: handler,
                                   base: base ?? (bundleRuntime ? nil : target.base), buildImage: buildImage,
                                   bundlesRuntime: bundleRuntime)
            try build.validate()
            if printDockerfile {
                print(build.dockerfile(), terminator: "")
                return
            }
            let docker = try Docker.locate()
            try docker.checkDaemon()
            let fm = FileManager.default
            let scratch = fm.temporaryDirectory.appendingPathComponent("perl-lambda-image-\(getpid())")
            try fm.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? fm.removeItem(at: scratch) }
            let extra = (ProcessInfo.processInfo.environment["DOCKER_BUILD_ARGS"] ?? "")
                .split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init) + dockerArg
            try makeMissingImages(for: build, target: target, docker: docker, scratch: scratch, extra: extra)
            let dockerfile = scratch.appendingPathComponent("Dockerfile")
            try Data(build.dockerfile().utf8).write(to: dockerfile)
            var context: URL?
            if bundleRuntime {
                // --bootstrap and --perl are this command's own (they also serve the base images): parsed as package's
                let runtime = try RuntimeOptions.parse((bootstrap.map { ["--bootstrap", $0] } ?? []) + (perl.map { ["--perl", $0] } ?? []))
                let entries = try runtime.entries()
                defer { PackageEntry.removeTemporaryCopies(entries) }
                context = scratch.appendingPathComponent("context")
                let libraries = try build.writeContext(runtime: entries, to: context!)
                for line in libraries.report() { print(line) }
            }
            print(">> building \(build.tag) from \(build.directory.path) on \(build.base)"
                  + (build.hasCpanfile ? " (cpanfile: installing dependencies in \(build.buildImage))" : ""))
            let platform = target.platform.map { ["--platform", $0] } ?? []
            let arguments = build.buildArguments(dockerfilePath: dockerfile.path, context: context, extra: extra + platform)
            let status = try docker.run(arguments, lineHandler: Self.showBuildLine)
            guard status == 0 else {
                throw ProjectError(.image, "docker build failed (status \(status)); the Dockerfile was:\n" + build.dockerfile())
            }
            let size = try docker.imageSize(build.tag)
            let percent = 100 * Double(size) / Double(LambdaLimits.image)
            print(">> built \(build.tag): \(LambdaLimits.megabytes(size)) (\(String(format: "%.1f", percent))% of Lambda's 10 GB image limit) "
                  + "in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
            print(">> run it: docker run \(target.platform.map { "--platform \($0) " } ?? "")-p 9000:8080 \(build.tag)")
            if size > LambdaLimits.image { throw ProjectError(.image, "the image is larger than Lambda's 10 GB limit for container images") }
        } catch let error as ProjectError {
            throw CLIError(error.description)
        }
    }

    /// docker build's output, indented, without its per-step noise.
    static func showBuildLine(_ line: String) {
        guard !line.hasPrefix(" ---> ") && !line.hasPrefix("Removing intermediate") && !line.isEmpty else { return }
        guard !line.contains("legacy builder is deprecated"), !line.hasPrefix("            ") else { return }
        print("   " + line)
        fflush(stdout)
    }

    /// A fresh engine has only the OS image: perl-lambda:base (and :build, for a cpanfile), or the target's tags,
    /// are built from the binaries beside this program before the function's image, so one command still goes from
    /// a folder to an image.
    func makeMissingImages(for build: ImageBuild, target: RuntimeImageTarget, docker: Docker, scratch: URL, extra: [String]) throws {
        let needed = [build.base] + (build.hasCpanfile ? [build.buildImage] : [])
        let missing = RuntimeImages.missing(needed, base: target.base, build: target.build, exists: docker.imageExists)
        guard !missing.isEmpty else { return }
        let bootstrap = self.bootstrap ?? FunctionOptions.besideExecutable(target.bootstrapName)
        // this very program goes into the image as /usr/local/bin/perl-lambda, whatever it is called here; images of
        // another architecture get that architecture's AWS RIE instead
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let rie = target.rieName().map(FunctionOptions.besideExecutable)
        var images = RuntimeImages(bootstrap: bootstrap, cli: rie ?? me, buildArguments: extra, target: target, serverIsRIE: rie != nil)
        for image in missing {
            if image == target.base {
                guard FileManager.default.isExecutableFile(atPath: bootstrap) else {
                    throw RuntimeImages.noBootstrap(image, at: bootstrap, target: target)
                }
                if let rie, !FileManager.default.isExecutableFile(atPath: rie) {
                    throw RuntimeImages.noRIE(image, at: rie, target: target)
                }
                if target == .hostDefault { try images.learnDefaultPerl() }
            }
            let current = images.target
            print(">> building \(image) (once)" + (image == current.base
                ? " from \(bootstrap) on \(current.osImage)" + (current.platform.map { " (\($0))" } ?? "") : ""))
            fflush(stdout)
            let arguments = try images.prepare(image, in: scratch.appendingPathComponent(image == current.base ? "base" : "build"))
            let status = try docker.run(arguments, lineHandler: Self.showBuildLine)
            guard status == 0 else {
                throw RuntimeImages.failure(image, status: status, osBasePresent: docker.imageExists(current.osImage), target: current)
            }
        }
    }
}
