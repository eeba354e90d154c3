import Foundation
import LambdaRuntime
import LambdaWire
import NIOHTTP1
import Testing

@Suite("RuntimeLoop + RuntimeHTTPClient against a mock Runtime API", .timeLimit(.minutes(1)))
struct RuntimeLoopTests {
    static let echo = """
    sub handle { my ($p, $c) = @_;
      return { event => $p, id => $c->aws_request_id, deadline => $c->deadline_ms, arn => $c->invoked_function_arn,
               trace => $ENV{_X_AMZN_TRACE_ID}, identity => $c->identity, client_context => $c->client_context,
               tenant => $c->tenant_id } }
    1;
    """

    @Test func responseIsPostedWithTheHandlersResult() async throws {
        try await withMockServer { server in
            server.enqueue(.init("req-1", #"{"n":1,"s":"ü"}"#, deadlineMs: 1_900_000_000_000, arn: "arn:aws:lambda:us-east-1:1:function:f",
                                 trace: "Root=1-2-3", clientContext: #"{"custom":{"a":"b"}}"#, identity: #"{"cognito_identity_id":"i"}"#,
                                 tenant: "t-1"))
            try await withRuntime(server, try TaskRoot.handler(Self.echo)) { loop, _, _ in try loop.serveOne() }
            let requests = server.requests
            #expect(requests.paths == ["GET /2018-06-01/runtime/invocation/next", "POST /2018-06-01/runtime/invocation/req-1/response"])
            let next = requests[0], post = requests[1]
            #expect(next.version == .http1_1)
            #expect(next.body.isEmpty)
            #expect(next.header("Host") == server.endpoint)
            #expect(next.header("User-Agent") == "perl-lambda")
            #expect(post.header("Content-Type") == "application/json")
            #expect(post.header("Content-Length") == String(post.body.count))
            #expect(post.header("Lambda-Runtime-Function-Error-Type") == nil)
            #expect(post.header("Transfer-Encoding") == nil)
            let r = try #require(post.bodyJSON, "\(post.bodyText)")
            #expect((r["event"] as? [String: Any])?["s"] as? String == "ü")
            #expect(r["id"] as? String == "req-1")
            #expect((r["deadline"] as? NSNumber)?.int64Value == 1_900_000_000_000)
            #expect(r["arn"] as? String == "arn:aws:lambda:us-east-1:1:function:f")
            #expect(r["trace"] as? String == "Root=1-2-3")
            #expect((r["identity"] as? [String: String]) == ["cognito_identity_id": "i"])
            #expect(((r["client_context"] as? [String: Any])?["custom"] as? [String: String]) == ["a": "b"])
            #expect(r["tenant"] as? String == "t-1")
        }
    }

    @Test func missingARNFromTheRIEIsFine() async throws {
        try await withMockServer { server in
            server.enqueue(.init("no-arn"))
            try await withRuntime(server, try TaskRoot.handler(Self.echo)) { loop, _, _ in try loop.serveOne() }
            let post = try #require(server.requests.last)
            #expect(post.uri == RuntimeAPI.responsePath("no-arn"))
            #expect(post.bodyJSON?["arn"] as? String == "")
        }
    }

    @Test func dieIsPostedAsAnError() async throws {
        try await withMockServer { server in
            server.enqueue(.init("req-err"))
            try await withRuntime(server, try TaskRoot.handler("sub fails { die \"handler failed\\n\" }\nsub handle { fails() }\n1;")) { loop, _, _ in
                try loop.serveOne()
            }
            let post = try #require(server.requests.last)
            #expect(post.method == .POST)
            #expect(post.uri == "/2018-06-01/runtime/invocation/req-err/error")
            #expect(post.header("Lambda-Runtime-Function-Error-Type") == "Error")
            #expect(post.header("Content-Type") == "application/json")
            let doc = try #require(post.bodyJSON, "\(post.bodyText)")
            #expect(Set(doc.keys) == ["errorMessage", "errorType", "stackTrace"])
            #expect(doc["errorMessage"] as? String == "handler failed\n")
            #expect(doc["errorType"] as? String == "Error")
            #expect((doc["stackTrace"] as? [String])?.first?.hasPrefix("main::fails at ") == true)
        }
    }

    @Test(arguments: [
        ("sub handle { exit 9 } 1;", "{}", "Runtime.ExitError"),
        ("sub handle { 1 } 1;", "{not json", "Runtime.UnmarshalError"),
        ("sub handle { \\*STDOUT } 1;", "{}", "Runtime.MarshalError"),
        ("sub handle { die bless({}, 'Custom::Failure') } 1;", "{}", "Custom::Failure"),
    ])
    func runtimeErrorsArePostedWithTheirType(_ source: String, _ payload: String, _ type: String) async throws {
        try await withMockServer { server in
            server.enqueue(.init("r", payload))
            try await withRuntime(server, try TaskRoot.handler(source)) { loop, _, _ in try loop.serveOne() }
            let post = try #require(server.requests.last)
            #expect(post.uri == RuntimeAPI.errorPath("r"))
            #expect(post.header(RuntimeAPI.Header.functionErrorType) == type)
            #expect(post.bodyJSON?["errorType"] as? String == type)
        }
    }

    @Test func allRequestsShareOneKeepAliveConnection() async throws {
        try await withMockServer { server in
            for i in 1...5 { server.enqueue(.init("k\(i)", #"{"i":\#(i)}"#)) }
            let source = "sub handle { die \"odd\\n\" if $_[0]{i} % 2; $_[0]{i} } 1;"
            try await withRuntime(server, try TaskRoot.handler(source)) { loop, _, _ in
                for _ in 1...5 { try loop.serveOne() }
            }
            let requests = server.requests
            #expect(requests.count == 10)
            #expect(Set(requests.map(\.connection)).count == 1, "\(requests)")
            var expected: [String] = []
            for i in 1...5 {
                let post: String = i % 2 == 1 ? RuntimeAPI.errorPath("k\(i)") : RuntimeAPI.responsePath("k\(i)")
                expected += ["GET \(RuntimeAPI.nextPath)", "POST \(post)"]
            }
            #expect(requests.paths == expected)
            #expect(requests.allSatisfy { $0.header("Connection")?.lowercased() != "close" })
        }
    }

    @Test func initErrorIsPostedToInitError() async throws {
        try await withMockServer { server in
            let root = try TaskRoot.handler("die \"cannot init\\n\";")
            let loaded = try await RuntimePerlHost.shared.run { $0.loadHandler(taskRoot: root.path, handler: "handler.handle") }
            guard case .failure(let type, let document) = loaded else { Issue.record("\(loaded)"); return }
            try await withRuntime(server, try TaskRoot.handler("sub handle {} 1;")) { _, client, _ in
                try client.sendInitError(errorType: type, document: document)
            }
            let post = try #require(server.requests.first)
            #expect(server.requests.count == 1)
            #expect(post.method == .POST)
            #expect(post.uri == "/2018-06-01/runtime/init/error")
            #expect(post.header("Lambda-Runtime-Function-Error-Type") == "Error")
            #expect(post.header("Content-Type") == "application/json")
            #expect(post.bodyJSON?["errorMessage"] as? String == "cannot init\nCompilation failed in require at /perl-lambda/lib/PerlLambda/Host.pm line 21.\n"
                    || (post.bodyJSON?["errorMessage"] as? String)?.hasPrefix("cannot init\n") == true)
            #expect(post.bodyJSON?["errorType"] as? String == "Error")
            #expect(post.bodyJSON?["stackTrace"] is [Any])
        }
    }

    @Test func resultOverSixMBIsAResponseSizeError() async throws {
        try await withMockServer { server in
            let limit = RuntimeAPI.maxResponseBytes
            // A JSON string result is its length + 2 quotes: exactly at the limit, then one byte over.
            server.enqueue(.init("at-limit", #"{"n":\#(limit - 2)}"#), .init("over-limit", #"{"n":\#(limit - 1)}"#))
            let log = LogFile()
            try await withRuntime(server, try TaskRoot.handler("sub handle { 'x' x $_[0]{n} } 1;"), log: log) { loop, _, _ in
                try loop.serveOne()
                try loop.serveOne()
            }
            let requests = server.requests
            #expect(requests.count == 4)
            let atLimit = requests[1], over = requests[3]
            #expect(atLimit.uri == RuntimeAPI.responsePath("at-limit"))
            #expect(atLimit.body.count == limit)
            #expect(over.uri == RuntimeAPI.errorPath("over-limit"))
            #expect(over.header(RuntimeAPI.Header.functionErrorType) == "Function.ResponseSizeTooLarge")
            let doc = try #require(over.bodyJSON, "\(over.bodyText)")
            #expect(doc["errorType"] as? String == "Function.ResponseSizeTooLarge")
            #expect(doc["errorMessage"] as? String
                    == "Response payload size (\(limit + 1) bytes) exceeded maximum allowed payload size (\(limit) bytes).")
            #expect(log.text.contains("Response payload size (\(limit + 1) bytes)"))
        }
    }

    @Test(arguments: [413, 410, 500])
    func refusedResponseIsLoggedAndTheLoopGoesOn(_ status: Int) async throws {
        try await withMockServer { server in
            server.policy = { request in
                request.uri == RuntimeAPI.responsePath("refused")
                    ? .init(status: .init(statusCode: status), body: #"{"errorMessage":"refused by test","errorType":"Test"}"#)
                    : .accepted
            }
            server.enqueue(.init("refused"), .init("next-one", #"{"v":2}"#))
            let log = LogFile()
            try await withRuntime(server, try TaskRoot.handler("sub handle { $_[0] } 1;"), log: log) { loop, _, _ in
                try loop.serveOne() // must not throw
                try loop.serveOne()
            }
            #expect(server.requests.paths == ["GET \(RuntimeAPI.nextPath)", "POST \(RuntimeAPI.responsePath("refused"))",
                                              "GET \(RuntimeAPI.nextPath)", "POST \(RuntimeAPI.responsePath("next-one"))"])
            #expect(server.requests.last?.bodyText == #"{"v":2}"#)
            #expect(log.text.contains("POST response for refused failed: HTTP \(status)"), "\(log.text)")
            #expect(log.text.contains("refused by test"))
        }
    }

    @Test func runServesUntilTheRuntimeAPIFails() async throws {
        try await withMockServer { server in
            server.enqueue(.init("a"), .init("b"), .init("c"))
            server.failNextWhenEmpty = true
            let error = try await withRuntime(server, try TaskRoot.handler("sub handle { 'ok' } 1;")) { loop, _, _ in loop.run() }
            #expect(error.description.contains("GET /next failed: HTTP 500"), "\(error)")
            #expect(server.requests.filter { $0.method == .POST }.map(\.uri) == ["a", "b", "c"].map(RuntimeAPI.responsePath))
        }
    }

    @Test func invocationWithoutRequestIDStopsTheLoopWithAClearError() async throws {
        try await withMockServer { server in
            var bad = MockRuntimeAPI.Invocation("ignored")
            bad.rawHeaders = [("Lambda-Runtime-Deadline-Ms", "1")]
            server.enqueue(bad)
            let error = try await withRuntime(server, try TaskRoot.handler("sub handle { 1 } 1;")) { loop, _, _ in loop.run() }
            #expect(error.description.contains("Lambda-Runtime-Aws-Request-Id"), "\(error)")
            #expect(server.requests.count == 1)
        }
    }

    @Test func serverClosingTheConnectionBetweenInvocationsMakesTheClientReconnect() async throws {
        try await withMockServer { server in
            server.policy = { _ in .init(close: true) }
            server.enqueue(.init("c1"))
            let root = try TaskRoot.handler("sub handle { $_[1]->aws_request_id } 1;")
            let log = LogFile()
            try await withRuntime(server, root, log: log) { loop, _, _ in
                try loop.serveOne()
                // Wait (bounded) until the server's side of the first connection is gone.
                let deadline = Date().addingTimeInterval(10)
                while server.closedConnections.isEmpty && Date() < deadline { usleep(5_000) }
                usleep(50_000)
                server.enqueue(.init("c2"))
                try loop.serveOne()
            }
            let requests = server.requests
            #expect(requests.paths == ["GET \(RuntimeAPI.nextPath)", "POST \(RuntimeAPI.responsePath("c1"))",
                                       "GET \(RuntimeAPI.nextPath)", "POST \(RuntimeAPI.responsePath("c2"))"])
            #expect(requests[0].connection == requests[1].connection)
            #expect(requests[2].connection == requests[3].connection)
            #expect(requests[2].connection != requests[1].connection, "a new connection after the server closed the first")
            #expect(requests[3].bodyText == #""c2""#)
        }
    }

    /// The server drops the connection after a GET /next arrived, without answering (an idle close racing with
    /// the request). GET /next is safe to retry: the client retries it once on a new connection.
    @Test func getNextIsRetriedOnceWhenTheConnectionDropsUnderIt() async throws {
        try await withMockServer { server in
            server.enqueue(.init("first"), .init("second"))
            server.dropNext = [2]
            server.failNextWhenEmpty = true
            let error = try await withRuntime(server, try TaskRoot.handler("sub handle { 1 } 1;")) { loop, _, _ in loop.run() }
            #expect(error.description.contains("GET /next failed: HTTP 500"), "\(error)")
            let r = server.requests
            #expect(r.paths == ["GET \(RuntimeAPI.nextPath)", "POST \(RuntimeAPI.responsePath("first"))",
                                "GET \(RuntimeAPI.nextPath)", "GET \(RuntimeAPI.nextPath)", "POST \(RuntimeAPI.responsePath("second"))",
                                "GET \(RuntimeAPI.nextPath)"])
            #expect(r.count == 6 && r[3].connection != r[2].connection, "the retry uses a new connection")
        }
    }

    @Test func getNextDroppedTwiceEndsTheLoopWithAnError() async throws {
        try await withMockServer { server in
            server.enqueue(.init("first"))
            server.dropNext = [2, 3]
            let error = try await withRuntime(server, try TaskRoot.handler("sub handle { 1 } 1;")) { loop, _, _ in loop.run() }
            #expect(server.requests.paths == ["GET \(RuntimeAPI.nextPath)", "POST \(RuntimeAPI.responsePath("first"))",
                                              "GET \(RuntimeAPI.nextPath)", "GET \(RuntimeAPI.nextPath)"])
            #expect(!error.description.isEmpty)
        }
    }
}
