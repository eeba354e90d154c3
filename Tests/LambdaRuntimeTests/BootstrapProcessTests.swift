import Foundation
import LambdaWire
import NIOHTTP1
import Testing

@Suite("The bootstrap executable against the mock Runtime API", .timeLimit(.minutes(1)))
struct BootstrapProcessTests {
    static let okHandler = "sub handle { my ($p, $c) = @_; return { id => $c->aws_request_id, pid => $$, event => $p } } 1;"

    func environment(_ server: MockRuntimeAPI?, _ root: TaskRoot, _ extra: [String: String] = [:]) -> [String: String] {
        var env = ["_HANDLER": "handler.handle", "LAMBDA_TASK_ROOT": root.path]
        if let server { env["AWS_LAMBDA_RUNTIME_API"] = server.endpoint }
        return env.merging(extra) { $1 }
    }

    @Test func versionAndHelp() async throws {
        let version = try BootstrapProcess(environment: [:], arguments: ["--version"])
        #expect(try await version.exitStatus() == 0)
        #expect(version.stdout.hasPrefix("perl-lambda bootstrap "))
        let help = try BootstrapProcess(environment: [:], arguments: ["--help"])
        #expect(try await help.exitStatus() == 0)
        #expect(help.stdout.contains("usage: bootstrap"))
    }

    @Test func scriptModeRunsPerlWithTheRuntimesModules() async throws {
        let root = try TaskRoot(["t.pl": "use AWS::Lambda::Context; print AWS::Lambda::Context->new(deadline_ms => 5)->deadline_ms, \" @ARGV\\n\"; exit 7;"])
        let p = try BootstrapProcess(environment: [:], arguments: ["--script", root.path + "/t.pl", "a", "b"], retaining: [root])
        #expect(try await p.exitStatus() == 7)
        #expect(p.stdout == "5 a b\n")
    }

    @Test func unreachableRuntimeAPIExitsWithAClearMessage() async throws {
        let port = try unusedPort()
        let root = try TaskRoot.handler(Self.okHandler)
        let p = try BootstrapProcess(environment: environment(nil, root, ["AWS_LAMBDA_RUNTIME_API": "127.0.0.1:\(port)"]), retaining: [root])
        let status = try await p.exitStatus()
        #expect(status != 0)
        #expect(p.stderr.contains("cannot reach the Runtime API at 127.0.0.1:\(port)"), "\(p.stderr)")
    }

    @Test(arguments: [
        ("_HANDLER", "no handler: pass FILE.FUNCTION"),
        ("AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_RUNTIME_API is not set"),
        ("LAMBDA_TASK_ROOT", "LAMBDA_TASK_ROOT is not set"),
    ])
    func missingConfigurationExitsWithAClearMessage(_ missing: String, _ message: String) async throws {
        let root = try TaskRoot.handler(Self.okHandler)
        var env = environment(nil, root, ["AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9"])
        env.removeValue(forKey: missing)
        let p = try BootstrapProcess(environment: env, retaining: [root])
        #expect(try await p.exitStatus() == 2)
        #expect(p.stderr.contains(message), "\(p.stderr)")
    }

    @Test(arguments: [
        (["LAMBDA_TASK_ROOT": "/nonexistent/task/root"], "LAMBDA_TASK_ROOT '/nonexistent/task/root' is not a directory"),
        (["AWS_LAMBDA_MAX_CONCURRENCY": "many"], "AWS_LAMBDA_MAX_CONCURRENCY must be an integer from 0 to 1024, got 'many'"),
        (["AWS_LAMBDA_MAX_CONCURRENCY": "2000"], "AWS_LAMBDA_MAX_CONCURRENCY must be an integer"),
    ])
    func invalidConfigurationExitsWithAClearMessage(_ extra: [String: String], _ message: String) async throws {
        let root = try TaskRoot.handler(Self.okHandler)
        let p = try BootstrapProcess(environment: environment(nil, root, extra.merging(["AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9"]) { a, _ in a }),
                                     retaining: [root])
        #expect(try await p.exitStatus() == 2)
        #expect(p.stderr.contains(message), "\(p.stderr)")
    }

    @Test func initErrorIsPostedThenTheProcessExits() async throws {
        try await withMockServer { server in
            let root = try TaskRoot.handler("die \"no database\\n\";\n1;")
            let p = try BootstrapProcess(environment: environment(server, root), retaining: [root])
            let status = try await p.exitStatus()
            #expect(status != 0)
            let requests = server.requests
            #expect(requests.paths == ["POST \(RuntimeAPI.initErrorPath)"])
            let post = try #require(requests.first)
            #expect(post.header(RuntimeAPI.Header.functionErrorType) == "Error")
            #expect((post.bodyJSON?["errorMessage"] as? String)?.hasPrefix("no database\n") == true, "\(post.bodyText)")
            #expect(post.bodyJSON?["errorType"] as? String == "Error")
            #expect(p.stderr.contains("init error"), "\(p.stderr)")
        }
    }

    @Test func servesInvocationsAndExitsWhenTheRuntimeAPIFails() async throws {
        try await withMockServer { server in
            server.enqueue(.init("p1", #"{"a":1}"#), .init("p2", #"[2]"#))
            server.failNextWhenEmpty = true
            let root = try TaskRoot.handler(Self.okHandler)
            let p = try BootstrapProcess(environment: environment(server, root), retaining: [root])
            #expect(try await p.exitStatus() == 1)
            let posts = server.requests.filter { $0.method == .POST }
            #expect(posts.map(\.uri) == [RuntimeAPI.responsePath("p1"), RuntimeAPI.responsePath("p2")])
            #expect(posts.first?.bodyJSON?["id"] as? String == "p1")
            #expect(Set(server.requests.map(\.connection)).count == 1)
            #expect(p.stderr.contains("GET /next failed: HTTP 500"), "\(p.stderr)")
        }
    }

    /// Each invocation waits (at most 10 s) until all three have started: only truly concurrent workers
    /// can all answer `together`.
    static let rendezvous = """
    use Time::HiRes ();
    sub handle { my ($p) = @_;
      open my $fh, '>', "$p->{dir}/$p->{n}" or die "cannot write: $!"; close $fh;
      my $deadline = Time::HiRes::time() + 10;
      while (Time::HiRes::time() < $deadline) {
        opendir my $d, $p->{dir} or die; my @started = grep { !/^[.]/ } readdir $d; closedir $d;
        return { n => $p->{n}, together => 1, pid => $$ } if @started >= 3;
        Time::HiRes::sleep(0.01);
      }
      return { n => $p->{n}, together => 0, pid => $$ };
    }
    1;
    """

    func startPool(_ server: MockRuntimeAPI) async throws -> (BootstrapProcess, [Int]) {
        let root = try TaskRoot.handler(Self.rendezvous)
        let p = try BootstrapProcess(environment: environment(server, root, ["AWS_LAMBDA_MAX_CONCURRENCY": "3"]), retaining: [root])
        let waiting = try await server.wait("three concurrent GET /next connections") {
            server.waitingConnections.count == 3 ? server.waitingConnections : nil
        }
        #expect(Set(waiting).count == 3)
        #expect(p.isRunning)
        return (p, waiting)
    }

    func rendezvousInvocations(_ tag: String, in root: TaskRoot) throws -> [MockRuntimeAPI.Invocation] {
        let dir = root.path + "/rendezvous-" + tag
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return (1...3).map { .init("\(tag)-\($0)", #"{"dir":"\#(dir)","n":\#($0)}"#) }
    }

    @Test func maxConcurrencyServesThreeInvocationsAtOnce() async throws {
        try await withMockServer { server in
            let (p, _) = try await startPool(server)
            defer { p.kill() }
            let scratch = try TaskRoot([:])
            for i in try rendezvousInvocations("cc", in: scratch) { server.enqueue(i) }
            let posts = try await server.waitForRequests(3) { $0.method == .POST }
            #expect(Set(posts.map(\.uri)) == Set((1...3).map { RuntimeAPI.responsePath("cc-\($0)") }))
            let results = posts.compactMap(\.bodyJSON)
            #expect(results.count == 3)
            #expect(results.allSatisfy { $0["together"] as? Int == 1 }, "\(posts.map(\.bodyText))")
            #expect(Set(results.compactMap { $0["pid"] as? Int }).count == 3, "three worker processes")
            #expect(Set(posts.map(\.connection)).count == 3)
            // ... and each worker asks for the next invocation again.
            _ = try await server.wait("three waiting again") { server.waitingConnections.count == 3 ? true : nil }
        }
    }

    @Test func killedWorkerIsReplaced() async throws {
        try await withMockServer { server in
            let (p, before) = try await startPool(server)
            defer { p.kill() }
            let scratch = try TaskRoot([:])
            let workers = try await server.wait("three workers") { p.children.count == 3 ? p.children : nil }
            let victim = workers[0]
            #expect(kill(victim, SIGKILL) == 0)
            let replacement = try await server.wait("a replacement worker's GET /next") { () -> Int? in
                let waiting = server.waitingConnections
                return waiting.count == 3 ? waiting.first { !before.contains($0) } : nil
            }
            #expect(server.closedConnections.count == 1, "the killed worker's connection is gone")
            #expect(!p.children.contains(victim))
            #expect(p.isRunning)
            #expect(p.stderr.contains("killed by signal 9"), "\(p.stderr)")
            // The pool still serves three invocations concurrently.
            for i in try rendezvousInvocations("after-kill", in: scratch) { server.enqueue(i) }
            let posts = try await server.waitForRequests(3) { $0.method == .POST }
            #expect(posts.compactMap(\.bodyJSON).allSatisfy { $0["together"] as? Int == 1 }, "\(posts.map(\.bodyText))")
            #expect(posts.contains { $0.connection == replacement })
        }
    }
}
