import Foundation
import LambdaWire
import NIOHTTP1
import Testing

/// Failure modes that hang or kill the runtime, so they run in a (killable) bootstrap process.
@Suite("The bootstrap executable: robustness", .timeLimit(.minutes(1)))
struct BootstrapRobustnessTests {
    func start(_ server: MockRuntimeAPI, _ source: String) throws -> BootstrapProcess {
        let root = try TaskRoot.handler(source)
        return try BootstrapProcess(environment: ["_HANDLER": "handler.handle", "LAMBDA_TASK_ROOT": root.path,
                                                  "AWS_LAMBDA_RUNTIME_API": server.endpoint], retaining: [root])
    }

    /// `exit` after the streaming responder was called: the open stream should be ended with Runtime.ExitError
    /// trailers and the next invocation served.
    @Test func exitMidStream() async throws {
        try await withMockServer { server in
            let p = try start(server, """
            sub handle { my ($p) = @_; return $p->{n} unless $p->{stream};
              sub { my $w = $_[0]->('text/plain'); $w->write('before exit'); exit 3 } }
            1;
            """)
            defer { p.kill() }
            server.enqueue(.init("ex", #"{"stream":1}"#), .init("after", #"{"n":2}"#))
            let served = try? await server.waitForRequests(1, timeout: .seconds(5)) { $0.uri == RuntimeAPI.responsePath("after") }
            let streamed = server.requests.first { $0.uri == RuntimeAPI.responsePath("ex") }
            // The runtime recovers: the next invocation is served.
            #expect(served?.first?.bodyText == "2", "running: \(p.isRunning); stderr: \(p.stderr)")
            #expect(streamed?.trailers?.first(name: RuntimeAPI.Header.functionErrorType) == "Runtime.ExitError",
                    "requests: \(server.requests.map(\.description)); stderr: \(p.stderr)")
        }
    }

    /// The server answers every post with `Connection: close` and closes the connection at once. The runtime
    /// must open a new connection for the next request each time.
    @Test func connectionCloseAfterEveryResponse() async throws {
        try await withMockServer { server in
            server.policy = { _ in .init(close: true) }
            let count = 40
            for i in 1...count { server.enqueue(.init("cc\(i)", #"{"n":\#(i)}"#)) }
            let p = try start(server, "sub handle { $_[0]{n} } 1;")
            defer { p.kill() }
            // Until all are served or the process gave up.
            let posts = try? await server.wait("\(count) responses", timeout: .seconds(15)) { () -> [MockRuntimeAPI.Request]? in
                let posts = server.requests.filter { $0.method == .POST }
                return posts.count == count || !p.isRunning ? posts : nil
            }
            #expect(posts?.count == count,
                    "\(server.requests.filter { $0.method == .POST }.count) of \(count) served; running: \(p.isRunning); stderr: \(p.stderr)")
            #expect(p.isRunning)
            // Every response was posted on a fresh connection.
            let answered = server.requests.filter { $0.method == .POST }
            #expect(Set(answered.map(\.connection)).count == answered.count)
            #expect(answered.count >= 1)
        }
    }
}
