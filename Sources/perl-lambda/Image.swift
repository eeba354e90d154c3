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
            is BASE plus /var/task. Needs a running Docker daemon.
              perl-lambda image build my-function --tag my-function:latest
              docker run -p 9000:8080 my-function:latest
            """)

    @Argument(help: "The function's directory.")
    var directory: String = "."

    @Option(name: .shortAndLong, help: "The image's name (default: DIR's name:latest).")
    var tag: String?

    @Option(name: .long, help: "The base image.")
    var base: String = "perl-lambda:base"

    @Option(name: .long, help: "The image that installs the cpanfile's modules (default: derived from --base).")
    var buildImage: String?

    @Option(name: .long, help: "The handler, FILE.FUNCTION (the image's CMD).")
    var handler: String = "handler.handle"

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("An extra `docker build` argument (repeatable), e.g. --docker-arg=--network=host.", valueName: "ARG"))
    var dockerArg: [String] = []

    func run() throws {
        let started = Date()
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let build = ImageBuild(directory: URL(fileURLWithPath: directory, relativeTo: cwd), tag: tag, handler: handler,
                               base: base, buildImage: buildImage)
        do {
            try build.validate()
            let docker = try Docker.locate()
            try docker.checkDaemon()
            let dockerfile = FileManager.default.temporaryDirectory.appendingPathComponent("perl-lambda-\(getpid()).Dockerfile")
            try Data(build.dockerfile().utf8).write(to: dockerfile)
            defer { try? FileManager.default.removeItem(at: dockerfile) }
            print(">> building \(build.tag) from \(build.directory.path) on \(build.base)"
                  + (build.hasCpanfile ? " (cpanfile: installing dependencies in \(build.buildImage))" : ""))
            let status = try docker.run(build.buildArguments(dockerfilePath: dockerfile.path, extra: dockerArg)) { line in
                guard !line.hasPrefix(" ---> ") && !line.hasPrefix("Removing intermediate") && !line.isEmpty else { return }
                guard !line.contains("legacy builder is deprecated"), !line.hasPrefix("            ") else { return }
                print("   " + line)
                fflush(stdout)
            }
            guard status == 0 else {
                throw ImageError("docker build failed (status \(status)); the Dockerfile was:\n" + build.dockerfile())
            }
            let size = try docker.imageSize(build.tag)
            let percent = 100 * Double(size) / Double(LambdaLimits.image)
            print(">> built \(build.tag): \(LambdaLimits.megabytes(size)) (\(String(format: "%.1f", percent))% of Lambda's 10 GB image limit) "
                  + "in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
            print(">> run it: docker run -p 9000:8080 \(build.tag)")
            if size > LambdaLimits.image { throw ImageError("the image is larger than Lambda's 10 GB limit for container images") }
        } catch let error as ImageError {
            throw CLIError(error.description)
        }
    }
}
