import Foundation
import Testing
@testable import LambdaProject

private func folder(_ files: [String: String]) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("My Func-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for (name, text) in files { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
    return dir
}

@Test func buildImageIsDerivedFromBase() {
    #expect(ImageBuild.buildImage(for: "perl-lambda:base") == "perl-lambda:build")
    #expect(ImageBuild.buildImage(for: "registry:5000/acme/perl-lambda:base-5.40") == "registry:5000/acme/perl-lambda:build-5.40")
    #expect(ImageBuild.buildImage(for: "acme/runtime:v1") == "acme/runtime:v1-build")
    #expect(ImageBuild.buildImage(for: "localhost:5000/runtime") == "localhost:5000/runtime:build")
}

@Test func dockerfileWithoutCpanfileIsOneStage() throws {
    let b = ImageBuild(directory: try folder(["handler.pl": "1;"]))
    #expect(b.dockerfile().hasSuffix("FROM perl-lambda:base\nCOPY . /var/task/\nCMD [\"handler.handle\"]\n"))
    #expect(b.tag.hasPrefix("my-func-") && b.tag.hasSuffix(":latest"))
    try b.validate()
}

@Test func cpanfileInstallsInABuildStage() throws {
    let b = ImageBuild(directory: try folder(["app.pl": "1;", "cpanfile": "requires 'JSON';"]), tag: "t:1",
                       handler: "app.run", base: "acme/perl:base")
    let d = b.dockerfile()
    #expect(d.contains("FROM acme/perl:build AS deps"))
    #expect(d.contains("cpanm --notest --quiet --local-lib-contained local --installdeps ."))
    #expect(d.contains("FROM acme/perl:base\nCOPY --from=deps /var/task /var/task"))
    #expect(d.hasSuffix("CMD [\"app.run\"]\n"))
    #expect(b.buildArguments(dockerfilePath: "/tmp/D", extra: ["--network", "host"])
            == ["build", "-f", "/tmp/D", "-t", "t:1", "--network", "host", b.directory.path])
    try b.validate()
}

@Test func missingHandlerFileIsAClearError() throws {
    let b = ImageBuild(directory: try folder(["other.pl": "1;"]))
    #expect { try b.validate() } throws: { ($0 as? ProjectError)?.code == .image }
    let bad = ImageBuild(directory: try folder(["handler.pl": "1;"]), handler: "handler")
    #expect { try bad.validate() } throws: { ($0 as? ProjectError)?.code == .image }
}

@Test func missingDockerIsAClearError() {
    do {
        _ = try Docker.locate(environment: ["PATH": "/nonexistent"])
        Issue.record("expected an error")
    } catch {
        #expect("\(error)".contains("docker is not installed"))
    }
}

@Test func daemonDownIsAClearError() throws {
    // a docker stand-in that fails like the CLI does when no daemon answers
    let dir = try folder([:])
    let fake = dir.appendingPathComponent("docker")
    try Data("#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///x.sock. Is the docker daemon running?' >&2\nexit 1\n".utf8)
        .write(to: fake)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
    let docker = try Docker.locate(environment: ["PATH": dir.path, "DOCKER_HOST": "unix:///x.sock"])
    #expect(docker.environment["DOCKER_BUILDKIT"] == "0")
    do {
        try docker.checkDaemon()
        Issue.record("expected an error")
    } catch {
        #expect("\(error)".contains("the Docker daemon is not running at unix:///x.sock: Cannot connect"))
    }
}

@Test func bundledRuntimeGoesToOptOnAnOSOnlyBase() throws {
    let b = ImageBuild(directory: try folder(["handler.pl": "1;"]), bundlesRuntime: true)
    #expect(b.base == "public.ecr.aws/lambda/provided:al2023")
    let d = b.dockerfile()
    #expect(d.contains("FROM public.ecr.aws/lambda/provided:al2023\n# the perl-lambda runtime"))
    #expect(d.contains("COPY perl-lambda-runtime/ /opt/\n"))
    #expect(d.contains("ln -sf /opt/bootstrap /var/runtime/bootstrap && /var/runtime/bootstrap --version\n"))
    #expect(d.hasSuffix("COPY function/ /var/task/\nCMD [\"handler.handle\"]\n"))
    let context = URL(fileURLWithPath: "/tmp/ctx")
    #expect(b.buildArguments(dockerfilePath: "/tmp/D", context: context).last == "/tmp/ctx")

    // with a cpanfile the modules compile in perl-lambda:build, whose perl is the one bundled
    let c = ImageBuild(directory: try folder(["handler.pl": "1;", "cpanfile": "requires 'JSON';"]), base: "my/al2023:1",
                       bundlesRuntime: true)
    #expect(c.dockerfile().contains("FROM perl-lambda:build AS deps\nWORKDIR /var/task\nCOPY function/ /var/task/\n"))
    #expect(c.dockerfile().contains("FROM my/al2023:1\n# the perl-lambda runtime"))
    #expect(c.dockerfile().contains("COPY --from=deps /var/task /var/task\nCMD"))
}

@Test func bundledContextHoldsThePackagedFilesAndTheRuntime() throws {
    let dir = try folder(["handler.pl": "sub handle { 1 }\n1;\n", "Dockerfile": "FROM x\n", ".env": "SECRET=1\n"])
    let ctx = FileManager.default.temporaryDirectory.appendingPathComponent("pl-ctx-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: ctx) }
    let runtime = [PackageEntry(path: "bootstrap", source: .bytes(Array("#!/bin/sh\n".utf8)), executable: true),
                   PackageEntry(path: "perl5/lib/strict.pm", source: .bytes(Array("1;\n".utf8)), executable: false)]
    try ImageBuild(directory: dir, bundlesRuntime: true).writeContext(runtime: runtime, to: ctx)
    let files = try FileManager.default.subpathsOfDirectory(atPath: ctx.path).sorted()
    #expect(files == ["function", "function/handler.pl", "perl-lambda-runtime", "perl-lambda-runtime/bootstrap",
                      "perl-lambda-runtime/perl5", "perl-lambda-runtime/perl5/lib", "perl-lambda-runtime/perl5/lib/strict.pm"])
    let mode = try FileManager.default.attributesOfItem(atPath: ctx.path + "/perl-lambda-runtime/bootstrap")[.posixPermissions]
    #expect((mode as? NSNumber)?.intValue == 0o755)
}

/// README: a .psgi file can be the handler (`CMD ["app.psgi"]`); `image build` used to look for app.pl.
@Test func psgiHandlerIsTheImagesCMD() throws {
    let b = ImageBuild(directory: try folder(["app.psgi": "sub { [200, [], ['ok']] };"]), handler: "app.psgi")
    try b.validate()
    #expect(b.dockerfile().hasSuffix("COPY . /var/task/\nCMD [\"app.psgi\"]\n"))
    let missing = ImageBuild(directory: try folder(["handler.pl": "1;"]), handler: "web/app.psgi")
    #expect { try missing.validate() } throws: { ($0 as? ProjectError)?.code == .image }
    do { try missing.validate() } catch {
        #expect("\(error)".hasPrefix("no web/app.psgi in '"), "\(error)")
    }
    let outside = ImageBuild(directory: try folder(["handler.pl": "1;"]), handler: "/srv/app.psgi")
    do { try outside.validate(); Issue.record("an absolute .psgi path is outside the image's /var/task") } catch {
        #expect("\(error)".contains("outside the image's /var/task"), "\(error)")
    }
}

@Test func bundledContextHoldsAPSGIOnlyFunction() throws {
    let dir = try folder(["app.psgi": "sub { [200, [], ['ok']] };"])
    let ctx = FileManager.default.temporaryDirectory.appendingPathComponent("ctx-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: ctx) }
    try ImageBuild(directory: dir, handler: "app.psgi", bundlesRuntime: true).writeContext(runtime: [], to: ctx)
    #expect(FileManager.default.fileExists(atPath: ctx.appendingPathComponent("function/app.psgi").path))
}

@Test func invalidHandlerNamesTheGrammar() throws {
    let bad = ImageBuild(directory: try folder(["handler.pl": "1;"]), handler: "handler")
    do { try bad.validate(); Issue.record("expected an error") } catch {
        #expect("\(error)" == "invalid handler 'handler': expected FILE.FUNCTION (e.g. handler.handle) or a .psgi file (e.g. app.psgi) (pass --handler)")
    }
}

// MARK: perl-lambda:base and :build on an engine that lacks them

@Test func missingRuntimeImagesInBuildOrder() {
    let none: (String) -> Bool = { _ in false }
    let all: (String) -> Bool = { _ in true }
    let onlyBase: (String) -> Bool = { $0 == RuntimeImages.base }
    #expect(RuntimeImages.missing(["perl-lambda:base"], exists: none) == ["perl-lambda:base"])
    #expect(RuntimeImages.missing(["perl-lambda:base", "perl-lambda:build"], exists: none) == ["perl-lambda:base", "perl-lambda:build"])
    #expect(RuntimeImages.missing(["perl-lambda:base", "perl-lambda:build"], exists: onlyBase) == ["perl-lambda:build"])
    #expect(RuntimeImages.missing(["perl-lambda:base", "perl-lambda:build"], exists: all) == [])
    // --bundle-runtime with a cpanfile: build needs base even though the function's base is provided:al2023
    #expect(RuntimeImages.missing([ImageBuild.osOnlyBase, "perl-lambda:build"], exists: none) == ["perl-lambda:base", "perl-lambda:build"])
    // other images are docker's to pull
    #expect(RuntimeImages.missing(["acme/perl:base", "acme/perl:build"], exists: none) == [])
}

@Test func otherArchitecturesAndPerlsHaveTheirOwnTags() throws {
    let noPerl: () throws -> String = { throw ProjectError(.image, "cannot tell which perl /x/bootstrap embeds") }
    let arm = try RuntimeImageTarget.resolve(architecture: "arm64", perl: "5.40", host: "x86_64", defaultPerl: noPerl)
    #expect(arm.base == "perl-lambda:base-arm64-perl5.40" && arm.build == "perl-lambda:build-arm64-perl5.40")
    #expect(arm.platform == "linux/arm64" && arm.osImage == "debian:trixie-slim")
    #expect(arm.bootstrapName == "bootstrap-arm64-perl5.40" && arm.rieName(host: "x86_64") == "aws-lambda-rie-arm64")
    #expect(ImageBuild.buildImage(for: arm.base) == arm.build)
    // this machine's architecture and the bootstrap's perl: the plain tags, no --platform unless --arch was given
    let same = try RuntimeImageTarget.resolve(architecture: nil, perl: "5.36", host: "x86_64") { "5.36.0" }
    #expect(same.base == "perl-lambda:base" && same.platform == nil && same.bootstrapName == "bootstrap")
    #expect(try RuntimeImageTarget.resolve(architecture: "x86_64", perl: nil, host: "x86_64") { "5.36.0" }.platform == "linux/amd64")
    let x40 = try RuntimeImageTarget.resolve(architecture: nil, perl: "5.40", host: "x86_64") { "5.36.0" }
    #expect(x40.base == "perl-lambda:base-x86_64-perl5.40" && x40.platform == "linux/amd64" && x40.rieName(host: "x86_64") == nil)
    // --arch alone: the bootstrap's perl, which must then be known
    #expect(try RuntimeImageTarget.resolve(architecture: "arm64", perl: nil, host: "x86_64") { "5.36.0" }.base
            == "perl-lambda:base-arm64-perl5.36")
    do { _ = try RuntimeImageTarget.resolve(architecture: "arm64", perl: nil, host: "x86_64", defaultPerl: noPerl); Issue.record("expected an error") }
    catch { #expect("\(error)" == "cannot tell which perl /x/bootstrap embeds; give --perl 5.36 or 5.40") }
    do { _ = try RuntimeImageTarget.resolve(architecture: "riscv64", perl: nil, defaultPerl: noPerl); Issue.record("expected an error") }
    catch { #expect("\(error)" == "--arch must be x86_64 or arm64, not 'riscv64'") }
    do { _ = try RuntimeImageTarget.resolve(architecture: nil, perl: "5.38", defaultPerl: noPerl); Issue.record("expected an error") }
    catch { #expect("\(error)".hasPrefix("--perl must be 5.36 or 5.40")) }
    #expect(RuntimeImages.missing([arm.base], base: arm.base, build: arm.build) { $0 == "perl-lambda:base" } == [arm.base])
}

@Test func baseImageContextOfAnotherArchitecture() throws {
    let bootstrap = try script("exit 127")      // an arm64 binary does not run here: nothing asks it
    let rie = try script("echo rie")
    let target = try RuntimeImageTarget.resolve(architecture: "arm64", perl: "5.40", host: "x86_64") { "5.36.0" }
    let images = RuntimeImages(bootstrap: bootstrap, cli: rie, target: target, serverIsRIE: true)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("base-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(try images.prepare(target.base, in: dir)
            == ["build", "-f", dir.appendingPathComponent("base.Dockerfile").path, "-t", "perl-lambda:base-arm64-perl5.40",
                "--platform", "linux/arm64", "--build-arg", "BASE_IMAGE=debian:trixie-slim", "--build-arg", "PERL_VERSION=5.40", dir.path])
    #expect(try String(contentsOf: dir.appendingPathComponent("bin/aws-lambda-rie"), encoding: .utf8).hasSuffix("echo rie\n"))
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("bin/perl-lambda").path))
    let build = FileManager.default.temporaryDirectory.appendingPathComponent("build-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: build) }
    #expect(try images.prepare(target.build, in: build).suffix(5)
            == ["--platform", "linux/arm64", "--build-arg", "BASE_IMAGE=perl-lambda:base-arm64-perl5.40", build.path])
    #expect(RuntimeImages.failure(target.base, status: 1, osBasePresent: false, target: target).description
            .contains("`docker pull --platform linux/arm64 debian:trixie-slim`"))
    #expect(RuntimeImages.noBootstrap(target.base, at: "/x/bootstrap-arm64-perl5.40", target: target).description
            .contains("`make layer ARCH=arm64 PERL=5.40`"))
}

/// images/ in this checkout: what perl-lambda compiles in must be these files, byte for byte.
private func repoImagesFile(_ name: String) throws -> Data {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return try Data(contentsOf: root.appendingPathComponent("images/" + name))
}

private func script(_ text: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("fake-\(UUID().uuidString)").path
    try Data(("#!/bin/sh\n" + text + "\n").utf8).write(to: URL(fileURLWithPath: path))
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    return path
}

@Test func baseImageContextFromTheBinariesBesidePerlLambda() throws {
    // a stand-in bootstrap: answers `--script FILE` with the perl version, as the real one does for the script
    let bootstrap = try script(#"[ "$1" = --script ] && [ -f "$2" ] && printf 5.36.0"#)
    let cli = try script("echo cli")
    let images = RuntimeImages(bootstrap: bootstrap, cli: cli, buildArguments: ["--network", "host"])
    #expect(try images.perlVersion() == "5.36.0")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("base-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let args = try images.prepare(RuntimeImages.base, in: dir)
    #expect(args == ["build", "-f", dir.appendingPathComponent("base.Dockerfile").path, "-t", "perl-lambda:base",
                     "--network", "host", "--build-arg", "BASE_IMAGE=debian:bookworm-slim",
                     "--build-arg", "PERL_VERSION=5.36.0", dir.path])
    #expect(try Data(contentsOf: dir.appendingPathComponent("base.Dockerfile")) == repoImagesFile("base.Dockerfile"))
    #expect(try Data(contentsOf: dir.appendingPathComponent("lambda-entrypoint.sh")) == repoImagesFile("lambda-entrypoint.sh"))
    #expect(FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("lambda-entrypoint.sh").path))
    #expect(FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("bin/bootstrap").path))
    #expect(try String(contentsOf: dir.appendingPathComponent("bin/perl-lambda"), encoding: .utf8).hasSuffix("echo cli\n"))

    let build = FileManager.default.temporaryDirectory.appendingPathComponent("build-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: build) }
    #expect(try images.prepare(RuntimeImages.build, in: build)
            == ["build", "-f", build.appendingPathComponent("build.Dockerfile").path, "-t", "perl-lambda:build",
                "--network", "host", "--build-arg", "BASE_IMAGE=perl-lambda:base", build.path])
    #expect(try Data(contentsOf: build.appendingPathComponent("build.Dockerfile")) == repoImagesFile("build.Dockerfile"))
}

@Test func bootstrapThatDoesNotRunIsAClearError() throws {
    let broken = try script("echo 'error while loading shared libraries: libperl.so.5.36' >&2; exit 127")
    do { _ = try RuntimeImages(bootstrap: broken, cli: broken).perlVersion(); Issue.record("expected an error") } catch {
        #expect("\(error)" == "cannot tell which perl \(broken) embeds (it does not run here: error while loading shared libraries: libperl.so.5.36)")
    }
}

@Test func runtimeImageFailuresSayWhatToRun() {
    #expect(RuntimeImages.failure("perl-lambda:base", status: 1, osBasePresent: false).description
            .contains("`docker pull debian:bookworm-slim`"))
    let network = RuntimeImages.failure("perl-lambda:build", status: 1, osBasePresent: true).description
    #expect(network.contains("DOCKER_BUILD_ARGS=\"--network host\"") && network.contains("images/build.sh"))
    #expect(RuntimeImages.noBootstrap("perl-lambda:base", at: "/x/bootstrap").description
            .hasPrefix("perl-lambda:base is not in the Docker engine and there is no bootstrap at /x/bootstrap"))
}

/// CMD's exec form is a JSON array: a handler with a quote or a backslash must stay one JSON string.
@Test func handlerInCMDIsJSONEscaped() throws {
    let b = ImageBuild(directory: try folder(["x\"y.pl": "1;"]), handler: "x\"y.handle\\z")
    #expect(b.dockerfile().hasSuffix("CMD [\"x\\\"y.handle\\\\z\"]\n"), "\(b.dockerfile())")
}
