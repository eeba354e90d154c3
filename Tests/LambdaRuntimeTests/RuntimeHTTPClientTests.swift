import Foundation
@testable import LambdaRuntime
import LambdaWire
import NIOCore
import NIOPosix
import Testing

/// Runs blocking client calls on their own thread and waits at most `timeout`. A call that never returns
/// is reported as a hang (its thread is left blocked; the process ends with the test run).
func blocking<T>(timeout: Duration = .seconds(10), _ body: @escaping () throws -> T) async throws -> T {
    let box = ResultBox<T>()
    let thread = Thread { box.set(Result { try body() }) }
    thread.start()
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let r = box.get() { return try r.get() }
        try await Task.sleep(for: .milliseconds(5))
    }
    throw MockError("the call did not return within \(timeout) (hang)")
}

final class ResultBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<T, Error>?
    func set(_ v: Result<T, Error>) { lock.lock(); value = v; lock.unlock() }
    func get() -> Result<T, Error>? { lock.lock(); defer { lock.unlock() }; return value }
}

/// A port with nothing listening on it.
func unusedPort() throws -> Int {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    defer { try? group.syncShutdownGracefully() }
    let channel = try ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
    let port = channel.localAddress!.port!
    try channel.close().wait()
    return port
}

@Suite("RuntimeHTTPClient", .timeLimit(.minutes(1)))
struct RuntimeHTTPClientTests {
    @Test(arguments: ["localhost", "host:", ":9001", "host:port", "", "host:-", "host:0", "host:65536"])
    func invalidEndpointsAreRejected(_ endpoint: String) throws {
        let error = #expect(throws: RuntimeError.self) { _ = try RuntimeHTTPClient(endpoint: endpoint) }
        #expect(error?.description == "AWS_LAMBDA_RUNTIME_API must be host:port, got '\(endpoint)'")
    }

    @Test(arguments: [("127.0.0.1:9001", "127.0.0.1", 9001), ("localhost:1", "localhost", 1), ("[::1]:9001", "::1", 9001),
                      ("runtime.example:65535", "runtime.example", 65535)])
    func validEndpointsAreAccepted(_ endpoint: String, host: String, port: Int) throws {
        let client = try RuntimeHTTPClient(endpoint: endpoint)
        #expect(client.host == host)
        #expect(client.port == port)
    }

    @Test func unreachableRuntimeAPIIsReportedAtConnect() async throws {
        let port = try unusedPort()
        let message = try await blocking { () -> String in
            do {
                try RuntimeHTTPClient(endpoint: "127.0.0.1:\(port)").connect()
                return "connected"
            } catch { return "\(error)" }
        }
        #expect(message.hasPrefix("cannot reach the Runtime API at 127.0.0.1:\(port): "), "\(message)")
    }

    @Test func clientCallsAgainstTheMock() async throws {
        try await withMockServer { server in
            server.enqueue(.init("c-1", #"{"k":"v"}"#, deadlineMs: 42, arn: "arn:x", tenant: "t"))
            server.failNextWhenEmpty = true
            let endpoint = server.endpoint
            let (headers, body, nextError) = try await blocking { () -> (InvocationHeaders, [UInt8], String) in
                return try { () throws -> (InvocationHeaders, [UInt8], String) in
                    let client = try RuntimeHTTPClient(endpoint: endpoint)
                    let (h, b) = try client.nextInvocation()
                    try client.sendResponse(requestID: h.requestID, body: Array("resp".utf8))
                    try client.sendError(requestID: h.requestID, errorType: "T.E", document: Array(#"{"errorType":"T.E"}"#.utf8))
                    try client.sendInitError(errorType: "I.E", document: Array("{}".utf8))
                    var e = ""
                    do { _ = try client.nextInvocation() } catch { e = "\(error)" }
                    return (h, b, e)
                }()
            }
            #expect(headers == InvocationHeaders(requestID: "c-1", deadlineMs: 42, invokedFunctionARN: "arn:x", tenantID: "t"))
            #expect(body == Array(#"{"k":"v"}"#.utf8))
            #expect(nextError == "GET /next failed: HTTP 500 no more invocations")
            let r = server.requests
            #expect(r.paths == ["GET \(RuntimeAPI.nextPath)", "POST \(RuntimeAPI.responsePath("c-1"))", "POST \(RuntimeAPI.errorPath("c-1"))",
                                "POST \(RuntimeAPI.initErrorPath)", "GET \(RuntimeAPI.nextPath)"])
            #expect(r[1].bodyText == "resp")
            #expect(r[2].header(RuntimeAPI.Header.functionErrorType) == "T.E")
            #expect(r[3].header(RuntimeAPI.Header.functionErrorType) == "I.E")
            #expect(Set(r.map(\.connection)).count == 1)
        }
    }

    /// The server answers `Connection: close` (and, here, leaves the connection open so nothing can hang).
    /// An HTTP/1.1 client must not send another request on that connection: the next GET /next belongs on a
    /// new one. (When the server does close, reusing it would race the close; see BootstrapRobustnessTests.)
    @Test func connectionCloseResponseIsNotReused() async throws {
        try await withMockServer { server in
            server.policy = { _ in .init(connectionCloseHeader: true) }
            server.enqueue(.init("cc-1"), .init("cc-2"))
            let endpoint = server.endpoint
            let second = try await blocking { () -> String in
                return try { () throws -> String in
                    let client = try RuntimeHTTPClient(endpoint: endpoint)
                    let (h, _) = try client.nextInvocation()
                    try client.sendResponse(requestID: h.requestID, body: Array("1".utf8))
                    do { return try client.nextInvocation().0.requestID } catch { return "error: \(error)" }
                }()
            }
            let r = server.requests
            #expect(r.paths == ["GET \(RuntimeAPI.nextPath)", "POST \(RuntimeAPI.responsePath("cc-1"))", "GET \(RuntimeAPI.nextPath)"])
            #expect(r.count == 3 && r[2].connection != r[1].connection, "GET /next after `Connection: close` on connection \(r.last?.connection ?? 0)")
            #expect(second == "cc-2")
        }
    }
}

/// Answers every request on a connection with the same bytes, whatever they are.
final class FixedReplyHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let reply: [UInt8]
    init(_ reply: [UInt8]) { self.reply = reply }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: reply)), promise: nil)
    }
}

@Suite("RuntimeHTTPClient against a server that is not an HTTP Runtime API", .timeLimit(.minutes(1)))
struct RuntimeHTTPClientGarbageTests {
    @Test(arguments: ["SSH-2.0-OpenSSH_9.2\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n"])
    func garbageFromTheRuntimeAPIIsAClearError(reply: String) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bytes = Array(reply.utf8)
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { $0.pipeline.addHandler(FixedReplyHandler(bytes)) }
            .bind(host: "127.0.0.1", port: 0).get()
        let endpoint = "127.0.0.1:\(server.localAddress!.port!)"
        let message = try await blocking { () -> String in
            do { _ = try RuntimeHTTPClient(endpoint: endpoint).nextInvocation(); return "no error" } catch { return "\(error)" }
        }
        try await server.close()
        try await group.shutdownGracefully()
        #expect(message.contains("GET \(RuntimeAPI.nextPath): the Runtime API sent a malformed HTTP response"), "\(message)")
    }
}

struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
