import Foundation
import LambdaWire
import PerlBridge
import Testing

@Suite("PerlInterpreter.loadHandler", .timeLimit(.minutes(1)))
struct LoadHandlerTests {
    let host = PerlHost.shared

    func load(_ files: [String: String], _ handler: String) async throws -> PerlOutcome {
        let root = try TaskRoot(files)
        return try await host.run { $0.loadHandler(taskRoot: root.path, handler: handler) }
    }

    func loadError(_ files: [String: String], _ handler: String) async throws -> (type: String, message: String) {
        let outcome = try await load(files, handler)
        guard case .failure(let type, _) = outcome, let doc = outcome.error?.document else {
            throw PerlHostError("expected a failure, got \(outcome)")
        }
        #expect(doc.errorType == type, "the document's errorType matches the outcome's")
        #expect(doc.stackTrace != nil, "the document has a stackTrace array")
        return (type, doc.errorMessage ?? "")
    }

    @Test func loadsAValidHandler() async throws {
        let outcome = try await load(["handler.pl": "sub handle { 1 } 1;"], "handler.handle")
        #expect(outcome == .success([]))
    }

    @Test func loadsAFullyQualifiedFunctionAndFilesInSubdirectories() async throws {
        let root = try TaskRoot(["lib.pl": "package My::App; sub run { { where => 'My::App' } } 1;"])
        try FileManager.default.createDirectory(atPath: root.path + "/sub", withIntermediateDirectories: true)
        try "sub nested_handle { { where => 'nested' } } 1;".write(toFile: root.path + "/sub/h.pl", atomically: true, encoding: .utf8)
        let outcomes = try await host.run { perl -> [PerlOutcome] in
            let a = perl.loadHandler(taskRoot: root.path, handler: "lib.My::App::run")
            let ia = perl.invoke(event("{}"))
            let b = perl.loadHandler(taskRoot: root.path, handler: "sub/h.nested_handle")
            let ib = perl.invoke(event("{}"))
            return [a, ia, b, ib]
        }
        #expect(outcomes[0] == .success([]))
        #expect(outcomes[1].successText == #"{"where":"My::App"}"#)
        #expect(outcomes[2] == .success([]))
        #expect(outcomes[3].successText == #"{"where":"nested"}"#)
    }

    @Test func taskRootIsOnINCForHelperModules() async throws {
        let root = try TaskRoot(["handler.pl": "use Helper; sub handle { Helper::greet() } 1;",
                                 "Helper.pm": "package Helper; sub greet { 'from Helper.pm' } 1;"])
        let outcomes = try await loadAndInvoke(root, [event("null")])
        #expect(outcomes[0].successText == #""from Helper.pm""#)
    }

    @Test func missingFile() async throws {
        let (type, message) = try await loadError(["other.pl": "1;"], "nope.handle")
        #expect(type == "Error")
        #expect(message.contains("Can't locate"), "\(message)")
        #expect(message.contains("nope.pl"), "\(message)")
    }

    @Test func compileError() async throws {
        let (type, message) = try await loadError(["handler.pl": "sub handle {\n  my $x = ;\n}\n1;\n"], "handler.handle")
        #expect(type == "Error")
        #expect(message.contains("syntax error"), "\(message)")
        #expect(message.contains("handler.pl line 2"), "\(message)")
    }

    @Test func missingModuleAtCompileTime() async throws {
        let (type, message) = try await loadError(["handler.pl": "use No::Such::Module::Here; sub handle {} 1;"], "handler.handle")
        #expect(type == "Error")
        #expect(message.contains("Can't locate No/Such/Module/Here.pm"), "\(message)")
    }

    @Test func dieAtLoad() async throws {
        let (type, message) = try await loadError(["handler.pl": "die \"init failed: no config\\n\";\nsub handle {}\n1;"], "handler.handle")
        #expect(type == "Error")
        #expect(message.hasPrefix("init failed: no config\n"), "\(message)")
    }

    /// perl's `require` turns any exception thrown by the file into the string "<error>Compilation failed in
    /// require", so an exception object's class is lost at load (as with AWS::Lambda's bootstrap).
    @Test func dieWithAnObjectAtLoadIsStringifiedByRequire() async throws {
        let source = """
        package My::InitError; use overload '""' => sub { "init: " . $_[0]{why} }, fallback => 1;
        package main; die bless({ why => 'db down' }, 'My::InitError');
        1;
        """
        let (type, message) = try await loadError(["handler.pl": source], "handler.handle")
        #expect(type == "Error")
        #expect(message.hasPrefix("init: db downCompilation failed in require"), "\(message)")
    }

    @Test func fileReturningFalse() async throws {
        let (type, message) = try await loadError(["handler.pl": "sub handle { 1 }\n0;\n"], "handler.handle")
        #expect(type == "Error")
        #expect(message.contains("did not return a true value"), "\(message)")
    }

    @Test(arguments: ["handler.nope", "handler.My::Missing::handle"])
    func missingSub(_ handler: String) async throws {
        let (type, message) = try await loadError(["handler.pl": "sub handle { 1 } 1;"], handler)
        #expect(type == "Error")
        let name = String(handler.dropFirst("handler.".count))
        #expect(message.hasPrefix("handler \(name) is not found"), "\(message)")
    }

    @Test(arguments: ["nodot", ".handle", "handler.", "", ".psgi"])
    func invalidHandlerString(_ handler: String) async throws {
        let (type, message) = try await loadError(["handler.pl": "sub handle { 1 } 1;"], handler)
        #expect(type == "Error")
        #expect(message == "invalid handler '\(handler)': \(HandlerName.expected)\n")
    }

    /// The file and function come from HandlerName: FILE.FUNCTION splits at the first dot (`v2.x.handle` is the
    /// function `x.handle` of v2.pl), and a `.psgi` suffix wins over FILE.FUNCTION (`app.psgi` is never app.pl's psgi).
    @Test func fileAndFunctionComeFromHandlerName() async throws {
        let root = try TaskRoot(["v2.pl": "sub x { 1 } 1;", "app.pl": "die 'app.pl loaded';",
                                 "app.psgi": "sub { [200, [], ['ok']] };"])
        let outcomes = try await host.run { perl in
            [perl.loadHandler(taskRoot: root.path, handler: "v2.x.handle"),
             perl.loadHandler(taskRoot: root.path, handler: "app.psgi")]
        }
        #expect(outcomes[0].error?.document.errorMessage?.hasPrefix("handler x.handle is not found") == true, "\(outcomes[0])")
        #expect(outcomes[1] == .success([]))
    }

    @Test func exitAtLoadIsAnExitErrorAndTheInterpreterSurvives() async throws {
        let root = try TaskRoot(["handler.pl": "exit 4;\n1;", "good.pl": "sub good { 'good' } 1;"])
        let outcomes = try await host.run { perl in
            [perl.loadHandler(taskRoot: root.path, handler: "handler.handle"),
             perl.loadHandler(taskRoot: root.path, handler: "good.good"),
             perl.invoke(event("{}"))]
        }
        guard case .exited(4, "Runtime.ExitError", _) = outcomes[0] else {
            Issue.record("expected exit 4, got \(outcomes[0])")
            return
        }
        #expect(outcomes[0].error?.document.errorMessage
                == "the handler file called exit(4); the runtime kept the execution environment alive")
        #expect(outcomes[1] == .success([]))
        #expect(outcomes[2].successText == #""good""#)
    }

    @Test func failedLoadLeavesTheInterpreterUsable() async throws {
        let root = try TaskRoot(["bad.pl": "die 'bad';", "good.pl": "sub ok { 'ok' } 1;"])
        let outcomes = try await host.run { perl in
            [perl.loadHandler(taskRoot: root.path, handler: "bad.handle"),
             perl.loadHandler(taskRoot: root.path, handler: "good.ok"),
             perl.invoke(event("1"))]
        }
        #expect(!outcomes[0].isSuccess)
        #expect(outcomes[1] == .success([]))
        #expect(outcomes[2].successText == #""ok""#)
    }
}
