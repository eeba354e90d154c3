import Foundation
import Testing
@testable import LambdaProject

@Test func logicalIDsAndNames() {
    #expect(Scaffold.logicalID(for: "hello-perl") == "HelloPerl")
    #expect(Scaffold.logicalID(for: "my_func 2") == "MyFunc2")
    #expect(Scaffold.logicalID(for: "9lives") == "Fn9lives")
    #expect(Scaffold.logicalID(for: "---") == "Function")
    #expect(Scaffold.functionName(from: "My App!") == "My-App")
    #expect(Scaffold.functionName(from: "...") == "function")
}

@Test(arguments: ScaffoldTemplate.allCases)
func fileSet(template: ScaffoldTemplate) throws {
    let s = Scaffold(template: template, name: "demo-fn", architecture: "x86_64")
    var expected = ["handler.pl", "t/handler.t", "cpanfile", "Dockerfile", ".dockerignore", "template.yaml",
                    "template-image.yaml", "README.md"]
    if template == .psgi { expected.insert("app.psgi", at: 1) }
    #expect(s.files.map(\.path) == expected)
    let file = Dictionary(uniqueKeysWithValues: s.files.map { ($0.path, $0.contents) })
    #expect(file["handler.pl"]!.contains("sub handle"))
    #expect(file["Dockerfile"]!.contains("FROM perl-lambda:base"))
    #expect(file["Dockerfile"]!.contains("COPY . /var/task/"))
    #expect(file["Dockerfile"]!.contains(#"CMD ["handler.handle"]"#))
    #expect(file["t/handler.t"]!.contains("done_testing"))
    #expect(file["README.md"]!.contains("/2015-03-31/functions/DemoFn/invocations"))
    #expect(!file["README.md"]!.contains("'$("), "command substitution inside single quotes")
    switch template {
    case .psgi:
        #expect(file["handler.pl"]!.contains(#"my $app = require "./app.psgi";"#))
        #expect(file["handler.pl"]!.contains("AWS::Lambda::PSGI->wrap($app)"))
        #expect(file["template.yaml"]!.contains("InvokeMode: BUFFERED"))
    case .streaming:
        #expect(file["handler.pl"]!.contains("$responder->('text/plain')"))
        #expect(file["template.yaml"]!.contains("InvokeMode: RESPONSE_STREAM"))
        #expect(file["template-image.yaml"]!.contains("InvokeMode: RESPONSE_STREAM"))
    case .hello:
        #expect(!file["template.yaml"]!.contains("FunctionUrlConfig"))
    }
}

@Test(arguments: ScaffoldTemplate.allCases)
func templatesDescribeTheFunction(template: ScaffoldTemplate) throws {
    let s = Scaffold(template: template, name: "demo", architecture: "arm64")
    let zip = try SAMTemplate.parse(yaml: s.samTemplate(image: false), directory: "/fn")
    #expect(zip.functions.count == 1)
    let f = try #require(zip.function(named: "Demo"))
    #expect(f.handler == "handler.handle")
    #expect(f.runtime == "provided.al2023")
    #expect(f.codeDirectory == "/fn")
    #expect(f.timeout == 10 && f.memorySize == 256)
    #expect(f.architectures == ["arm64"])
    #expect(zip.warnings.isEmpty, "\(zip.warnings)")
    let mode: String? = ["hello": nil, "psgi": "BUFFERED", "streaming": "RESPONSE_STREAM"][template.rawValue]!
    #expect(f.functionURLInvokeMode == mode)
    #expect(s.samTemplate(image: false).contains("Layers:\n        - !Ref PerlLambdaLayerArn"))

    let image = try SAMTemplate.parse(yaml: s.samTemplate(image: true), directory: "/fn")
    let g = try #require(image.function(named: "Demo"))
    #expect(g.packageType == .image)
    #expect(g.codeDirectory == "/fn")
    #expect(s.samTemplate(image: true).contains("Dockerfile: Dockerfile"))
    #expect(s.samTemplate(image: true).contains("DockerTag: latest"))
}

@Test func writeKeepsExistingFilesUnlessForced() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scaffold-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = Scaffold(template: .hello, name: "w")
    let first = try s.write(to: dir)
    #expect(first.allSatisfy { $0.action == .created })
    #expect(FileManager.default.fileExists(atPath: dir + "/t/handler.t"))

    try Data("mine".utf8).write(to: URL(fileURLWithPath: dir + "/handler.pl"))
    try FileManager.default.removeItem(atPath: dir + "/cpanfile")
    let second = try s.write(to: dir)
    #expect(second.first { $0.path == "handler.pl" }?.action == .kept)
    #expect(second.first { $0.path == "cpanfile" }?.action == .created)
    #expect(try String(contentsOfFile: dir + "/handler.pl", encoding: .utf8) == "mine")

    let forced = try s.write(to: dir, force: true)
    #expect(forced.allSatisfy { $0.action == .overwritten })
    #expect(try String(contentsOfFile: dir + "/handler.pl", encoding: .utf8).contains("sub handle"))
}
