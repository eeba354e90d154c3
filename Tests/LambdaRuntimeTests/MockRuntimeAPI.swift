import Foundation
import LambdaWire
import NIOCore
import NIOHTTP1
import NIOPosix

/// A mock Lambda Runtime API on 127.0.0.1 (random port), built on SwiftNIO's HTTP/1 server pipeline.
/// It queues invocations and hands them to GET /next requests (held open while the queue is empty),
/// records every request (connection id, method, path, headers, body, body parts, trailers) and the raw
/// bytes of every connection, and answers posts with 202 unless `policy` says otherwise.
final class MockRuntimeAPI: @unchecked Sendable {
    struct Invocation {
        var headers: InvocationHeaders
        var body: [UInt8]
        /// Extra or replacement headers sent with this /next response (e.g. to omit the request id).
        var rawHeaders: [(String, String)]?

        init(_ id: String, _ body: String = "{}", deadlineMs: Int64? = nil, arn: String? = nil, trace: String? = nil,
             clientContext: String? = nil, identity: String? = nil, tenant: String? = nil) {
            headers = InvocationHeaders(requestID: id, deadlineMs: deadlineMs ?? Int64(Date().timeIntervalSince1970 * 1000) + 60_000,
                                        invokedFunctionARN: arn, traceID: trace, clientContext: clientContext,
                                        cognitoIdentity: identity, tenantID: tenant)
            self.body = Array(body.utf8)
        }
    }

    struct Request: CustomStringConvertible {
        var connection: Int
        var method: HTTPMethod
        var uri: String
        var version: HTTPVersion
        var headers: HTTPHeaders
        var body: [UInt8]
        /// Body parts as the HTTP decoder delivered them (not necessarily the wire's chunks).
        var bodyParts: [[UInt8]]
        var trailers: HTTPHeaders?

        var bodyText: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers.first(name: name) }
        var bodyJSON: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
        var description: String { "#\(connection) \(method) \(uri) \(Array(headers)) \(bodyText.prefix(200))" }
    }

    /// What to answer a request other than GET /next with.
    struct Reply {
        var status: HTTPResponseStatus = .accepted
        var body: String = #"{"status":"OK"}"#
        /// Send `Connection: close` and close the connection after the response.
        var close = false
        /// Close (without answering) this long after the response; models an idle-timeout race.
        var closeAfter: TimeAmount?
        /// Send `Connection: close` (implied by `close`).
        var connectionCloseHeader = false
        static let accepted = Reply()
    }

    let group: MultiThreadedEventLoopGroup
    private var serverChannel: Channel!
    private let lock = NSLock()
    private var queue: [Invocation] = []
    private var waiters: [(connection: Int, channel: Channel)] = []
    private var _requests: [Request] = []
    private var _raw: [Int: [UInt8]] = [:]
    private var _open: Set<Int> = []
    private var _closed: Set<Int> = []
    private var nextConnection = 1
    private var _policy: (Request) -> Reply = { _ in .accepted }
    private var _failNextWhenEmpty = false
    private var _dropNext: Set<Int> = []
    private var nextCount = 0

    var port: Int { serverChannel.localAddress!.port! }
    var endpoint: String { "127.0.0.1:\(port)" }

    init() throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [unowned self] channel in
                let id = self.connectionOpened()
                return channel.pipeline.addHandler(RawRecorder(server: self, connection: id)).flatMap {
                    channel.pipeline.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
                }.flatMap {
                    channel.pipeline.addHandler(RequestHandler(server: self, connection: id))
                }
            }
        serverChannel = try bootstrap.bind(host: "127.0.0.1", port: 0).wait()
    }

    func shutdown() {
        try? serverChannel.close().wait()
        let held = withLock { () -> [Channel] in let c = waiters.map(\.channel); waiters = []; return c }
        for c in held { try? c.close().wait() }
        try? group.syncShutdownGracefully()
    }

    private func withLock<T>(_ body: () -> T) -> T { lock.lock(); defer { lock.unlock() }; return body() }

    // MARK: Test-facing API

    var requests: [Request] { withLock { _requests } }
    func raw(_ connection: Int) -> [UInt8] { withLock { _raw[connection] ?? [] } }
    var openConnections: Set<Int> { withLock { _open } }
    var closedConnections: Set<Int> { withLock { _closed } }
    /// Connections with a GET /next waiting for an invocation.
    var waitingConnections: [Int] { withLock { waiters.map(\.connection) } }

    var policy: (Request) -> Reply {
        get { withLock { _policy } }
        set { withLock { _policy = newValue } }
    }

    /// When set, GET /next with an empty queue is answered 500 at once (ends a runtime's loop).
    var failNextWhenEmpty: Bool {
        get { withLock { _failNextWhenEmpty } }
        set {
            let held = withLock { () -> [Channel] in
                _failNextWhenEmpty = newValue
                guard newValue else { return [] }
                let c = waiters.map(\.channel); waiters = []; return c
            }
            for c in held { Self.send(c, status: .internalServerError, body: "no more invocations") }
        }
    }

    /// The GET /next requests (1-based, counted across connections) met by closing their connection unanswered.
    var dropNext: Set<Int> {
        get { withLock { _dropNext } }
        set { withLock { _dropNext = newValue } }
    }

    func enqueue(_ invocations: Invocation...) {
        for invocation in invocations {
            let waiter = withLock { () -> Channel? in
                if !waiters.isEmpty { return waiters.removeFirst().channel }
                queue.append(invocation)
                return nil
            }
            if let waiter { Self.send(waiter, invocation) }
        }
    }

    /// Polls `probe` every 10 ms until it returns non-nil; throws after `timeout`.
    func wait<T>(_ what: String, timeout: Duration = .seconds(15), _ probe: () -> T?) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let value = probe() { return value }
            if ContinuousClock.now >= deadline {
                throw MockError("timed out after \(timeout) waiting for \(what); requests so far:\n"
                                + requests.map(\.description).joined(separator: "\n"))
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits until `count` requests match `predicate` and returns them.
    @discardableResult
    func waitForRequests(_ count: Int, timeout: Duration = .seconds(15), where predicate: @escaping (Request) -> Bool = { _ in true })
        async throws -> [Request] {
        try await wait("\(count) matching requests", timeout: timeout) {
            let r = requests.filter(predicate)
            return r.count >= count ? r : nil
        }
    }

    // MARK: Server internals

    fileprivate func connectionOpened() -> Int {
        withLock { let id = nextConnection; nextConnection += 1; _open.insert(id); return id }
    }

    fileprivate func connectionClosed(_ id: Int) {
        withLock {
            _open.remove(id)
            _closed.insert(id)
            waiters.removeAll { $0.connection == id }
        }
    }

    fileprivate func received(raw bytes: ByteBuffer, on id: Int) {
        withLock { _raw[id, default: []].append(contentsOf: bytes.readableBytesView) }
    }

    fileprivate func received(_ request: Request, channel: Channel) {
        if request.method == .GET && request.uri == RuntimeAPI.nextPath {
            let (invocation, fail, drop) = withLock { () -> (Invocation?, Bool, Bool) in
                _requests.append(request)
                nextCount += 1
                if _dropNext.contains(nextCount) { return (nil, false, true) }
                if !queue.isEmpty { return (queue.removeFirst(), false, false) }
                if _failNextWhenEmpty { return (nil, true, false) }
                waiters.append((request.connection, channel))
                return (nil, false, false)
            }
            if drop { channel.close(promise: nil) }
            if let invocation { Self.send(channel, invocation) }
            if fail { Self.send(channel, status: .internalServerError, body: "no more invocations") }
            return
        }
        let reply = withLock { () -> Reply in _requests.append(request); return _policy(request) }
        Self.send(channel, status: reply.status, body: reply.body, close: reply.close, closeAfter: reply.closeAfter,
                  connectionCloseHeader: reply.connectionCloseHeader)
    }

    private static func send(_ channel: Channel, _ invocation: Invocation) {
        var headers = HTTPHeaders(invocation.rawHeaders ?? invocation.headers.headerFields)
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(invocation.body.count))
        write(channel, HTTPResponseHead(version: .http1_1, status: .ok, headers: headers), invocation.body)
    }

    private static func send(_ channel: Channel, status: HTTPResponseStatus, body: String, close: Bool = false,
                             closeAfter: TimeAmount? = nil, connectionCloseHeader: Bool = false) {
        var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", String(body.utf8.count))])
        if close || connectionCloseHeader { headers.add(name: "Connection", value: "close") }
        let done = write(channel, HTTPResponseHead(version: .http1_1, status: status, headers: headers), Array(body.utf8))
        if close { done.whenComplete { _ in channel.close(promise: nil) } }
        if let closeAfter {
            done.whenComplete { _ in channel.eventLoop.scheduleTask(in: closeAfter) { channel.close(promise: nil) } }
        }
    }

    @discardableResult
    private static func write(_ channel: Channel, _ head: HTTPResponseHead, _ body: [UInt8]) -> EventLoopFuture<Void> {
        channel.eventLoop.flatSubmit {
            channel.write(HTTPServerResponsePart.head(head), promise: nil)
            channel.write(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
            return channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        }
    }
}

struct MockError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// First in the pipeline: records the raw bytes a connection receives.
private final class RawRecorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    unowned let server: MockRuntimeAPI
    let connection: Int
    init(server: MockRuntimeAPI, connection: Int) { self.server = server; self.connection = connection }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        server.received(raw: unwrapInboundIn(data), on: connection)
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        server.connectionClosed(connection)
        context.fireChannelInactive()
    }
}

/// Last in the pipeline: assembles requests and passes them to the server.
private final class RequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    unowned let server: MockRuntimeAPI
    let connection: Int
    private var current: MockRuntimeAPI.Request?

    init(server: MockRuntimeAPI, connection: Int) { self.server = server; self.connection = connection }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            current = .init(connection: connection, method: head.method, uri: head.uri, version: head.version,
                            headers: head.headers, body: [], bodyParts: [], trailers: nil)
        case .body(let buffer):
            current?.body.append(contentsOf: buffer.readableBytesView)
            current?.bodyParts.append(Array(buffer.readableBytesView))
        case .end(let trailers):
            guard var request = current else { return }
            current = nil
            request.trailers = trailers
            server.received(request, channel: context.channel)
        }
    }
}

// MARK: - Wire-level parsing of a chunked request body

/// The chunks and trailers of the chunked request whose request line starts with `requestLine`, parsed from
/// the raw bytes of its connection.
func chunkedBody(in raw: [UInt8], requestLine: String) throws -> (chunks: [[UInt8]], trailers: [(String, String)]) {
    let text = raw
    guard let start = find(Array(requestLine.utf8), in: text, from: 0),
          let headEnd = find(Array("\r\n\r\n".utf8), in: text, from: start) else {
        throw MockError("request '\(requestLine)' not found on the wire")
    }
    var i = headEnd + 4
    var chunks: [[UInt8]] = []
    func line() throws -> String {
        guard let end = find([13, 10], in: text, from: i) else { throw MockError("unterminated line at \(i)") }
        defer { i = end + 2 }
        return String(decoding: text[i..<end], as: UTF8.self)
    }
    while true {
        let sizeLine = try line()
        guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else { throw MockError("bad chunk size '\(sizeLine)'") }
        if size == 0 { break }
        guard i + size + 2 <= text.count else { throw MockError("truncated chunk") }
        chunks.append(Array(text[i..<(i + size)]))
        i += size
        guard try line().isEmpty else { throw MockError("chunk not followed by CRLF") }
    }
    var trailers: [(String, String)] = []
    while true {
        let l = try line()
        if l.isEmpty { break }
        let parts = l.split(separator: ":", maxSplits: 1)
        trailers.append((String(parts[0]), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""))
    }
    return (chunks, trailers)
}

private func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
    guard needle.count <= haystack.count else { return nil }
    var i = from
    while i + needle.count <= haystack.count {
        if haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle { return i }
        i += 1
    }
    return nil
}
