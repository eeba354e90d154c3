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
    #expect(throws: ImageError.self) { try b.validate() }
    let bad = ImageBuild(directory: try folder(["handler.pl": "1;"]), handler: "handler")
    #expect(throws: ImageError.self) { try bad.validate() }
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
