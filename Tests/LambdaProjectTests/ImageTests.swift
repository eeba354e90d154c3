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
