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
    var expected = ["handler.pl", "t/handler.t", "cpanfile", "Makefile", "Dockerfile", ".dockerignore", "template.yaml",
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
    // sam build runs the Makefile's build-Demo target; the built function bundles the runtime, so no layer
    let zipText = s.samTemplate(image: false)
    #expect(zipText.contains("      CodeUri: .\n"))
    #expect(zipText.hasSuffix("\n") && zipText.contains("    Metadata:\n      BuildMethod: makefile\n"))
    #expect(!zipText.contains("Layers") && !zipText.contains("Parameters"))
    #expect(zipText.contains("sam build && sam deploy --guided"))

    let image = try SAMTemplate.parse(yaml: s.samTemplate(image: true), directory: "/fn")
    let g = try #require(image.function(named: "Demo"))
    #expect(g.packageType == .image)
    #expect(g.codeDirectory == "/fn")
    #expect(s.samTemplate(image: true).contains("Dockerfile: Dockerfile"))
    #expect(s.samTemplate(image: true).contains("DockerTag: latest"))
    #expect(g.architectures == ["arm64"])
    #expect(!s.samTemplate(image: true).contains("BuildMethod"))
}

@Test(arguments: ["x86_64", "arm64"])
func makefileBuildsTheLogicalID(architecture: String) throws {
    let s = Scaffold(template: .hello, name: "my-fn", architecture: architecture)
    let text = try #require(s.files.first { $0.path == "Makefile" }?.contents)
    #expect(text.contains("\nbuild-MyFn:\n"))
    #expect(text.contains(".PHONY: build-MyFn\n"))
    #expect(text.contains("ARCHITECTURE ?= \(architecture)\n"))
    #expect(text.contains("PERL_LAMBDA ?= perl-lambda\n") && text.contains("CPANM ?= cpanm\n"))
    // make needs a tab before every recipe line: the lines after the target up to the blank line
    let recipe = text.components(separatedBy: "\nbuild-MyFn:\n")[1].components(separatedBy: "\n\n")[0]
    let lines = recipe.split(separator: "\n")
    #expect(lines.count > 5)
    #expect(lines.allSatisfy { $0.hasPrefix("\t") }, "\(lines.filter { !$0.hasPrefix("\t") })")
    #expect(recipe.contains(#"$(PERL_LAMBDA) package . $(PACKAGE_FLAGS) --output "$(ARTIFACTS_DIR)/"#))
    #expect(recipe.contains("--local-lib-contained local --installdeps ."))
    // the cpanfile check's perl reaches the shell unexpanded by make
    #expect(text.contains("export CPANFILE_CHECK = $(value cpanfile_check)\n"))
    #expect(Scaffold.architectures.contains(Scaffold.hostArchitecture))
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
