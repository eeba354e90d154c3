import LambdaWire
import NIOCore
import NIOHTTP1
import NIOPosix

/// Runtime API client over one keep-alive HTTP/1.1 connection (SwiftNIO's HTTP codec, TCP_NODELAY).
/// Its blocking methods are called from the interpreter's thread and wait on the event loop's futures.
public final class NIORuntimeClient: RuntimeAPIClient {
    private let host: String
    private let port: Int
    private let group: EventLoopGroup
    private var channel: Channel?
    private var collector: ResponseCollector?

    public struct Response {
        public var head: HTTPResponseHead
        public var body: ByteBuffer
    }

    /// `endpoint` is `AWS_LAMBDA_RUNTIME_API`: `host:port`.
    public init(endpoint: String, group: EventLoopGroup) throws {
        guard let colon = endpoint.lastIndex(of: ":"), let port = Int(endpoint[endpoint.index(after: colon)...]),
              colon != endpoint.startIndex else {
            throw RuntimeAPIError("AWS_LAMBDA_RUNTIME_API must be host:port, got '\(endpoint)'")
        }
        var host = String(endpoint[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host
        self.port = port
        self.group = group
    }

    deinit { try? channel?.close().wait() }

    /// Opens the connection now (at start-up) so an unreachable Runtime API is reported at once.
    public func connect() throws { _ = try connectedChannel() }

    private func connectedChannel() throws -> (Channel, ResponseCollector) {
        if let channel, let collector, channel.isActive { return (channel, collector) }
        let collector = ResponseCollector()
        do {
            let channel = try ClientBootstrap(group: group)
                .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
                .channelInitializer { channel in
                    channel.pipeline.addHTTPClientHandlers().flatMap { channel.pipeline.addHandler(collector) }
                }
                .connect(host: host, port: port).wait()
            self.channel = channel
            self.collector = collector
            return (channel, collector)
        } catch {
            throw RuntimeAPIError("cannot reach the Runtime API at \(host):\(port): \(error)")
        }
    }

    private func head(_ method: HTTPMethod, _ uri: String, _ extra: [(String, String)] = [], length: Int?) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        headers.add(name: "User-Agent", value: "perl-lambda")
        if let length { headers.add(name: "Content-Length", value: String(length)) }
        for (n, v) in extra { headers.add(name: n, value: v) }
        return HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)
    }

    /// Sends one request and waits for its whole response. Retries once when the keep-alive connection
    /// turned out to be closed before the request went out (never after, so nothing is posted twice).
    func roundTrip(_ head: HTTPRequestHead, body: [UInt8]?) throws -> Response {
        do {
            return try send(head, body)
        } catch let error as ChannelError where error == .ioOnClosedChannel || error == .alreadyClosed {
            channel = nil
            return try send(head, body)
        }
    }

    private func send(_ head: HTTPRequestHead, _ body: [UInt8]?) throws -> Response {
        let (channel, collector) = try connectedChannel()
        let promise = channel.eventLoop.makePromise(of: Response.self)
        let buffer = body.map { channel.allocator.buffer(bytes: $0) }
        channel.eventLoop.execute {
            collector.expect(promise)
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let buffer { channel.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil) }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }
        return try promise.futureResult.wait()
    }

    private func expectSuccess(_ response: Response, _ what: String) throws {
        guard (200..<300).contains(response.head.status.code) else {
            var body = response.body
            let text = body.readString(length: min(body.readableBytes, 512)) ?? ""
            throw RuntimeAPIError("\(what) failed: HTTP \(response.head.status.code) \(text)")
        }
    }

    public func nextInvocation() throws -> (InvocationHeaders, [UInt8]) {
        let response = try roundTrip(head(.GET, RuntimeAPI.nextPath, length: nil), body: nil)
        try expectSuccess(response, "GET /next")
        let headers = try InvocationHeaders(headers: response.head.headers.map { ($0.name, $0.value) })
        var body = response.body
        return (headers, body.readBytes(length: body.readableBytes) ?? [])
    }

    public func sendResponse(requestID: String, body: [UInt8]) throws {
        let r = try roundTrip(head(.POST, RuntimeAPI.responsePath(requestID),
                                   [("Content-Type", "application/json")], length: body.count), body: body)
        try expectSuccess(r, "POST response for \(requestID)")
    }

    public func sendError(requestID: String, errorType: String, document: [UInt8]) throws {
        let r = try roundTrip(head(.POST, RuntimeAPI.errorPath(requestID),
                                   [("Content-Type", "application/json"), (RuntimeAPI.Header.functionErrorType, errorType)],
                                   length: document.count), body: document)
        try expectSuccess(r, "POST error for \(requestID)")
    }

    public func sendInitError(errorType: String, document: [UInt8]) throws {
        let r = try roundTrip(head(.POST, RuntimeAPI.initErrorPath,
                                   [("Content-Type", "application/json"), (RuntimeAPI.Header.functionErrorType, errorType)],
                                   length: document.count), body: document)
        try expectSuccess(r, "POST init error")
    }

    public func startStream(requestID: String, contentType: String) throws -> RuntimeResponseStream {
        let (channel, collector) = try connectedChannel()
        let h = head(.POST, RuntimeAPI.responsePath(requestID), [
            ("Content-Type", contentType),
            ("Transfer-Encoding", "chunked"),
            ("Trailer", RuntimeAPI.streamingTrailer),
            (RuntimeAPI.Header.responseMode, RuntimeAPI.streamingMode),
        ], length: nil)
        let promise = channel.eventLoop.makePromise(of: Response.self)
        let written = channel.eventLoop.makePromise(of: Void.self)
        channel.eventLoop.execute {
            collector.expect(promise)
            channel.writeAndFlush(HTTPClientRequestPart.head(h), promise: written)
        }
        try written.futureResult.wait()
        return NIOResponseStream(channel: channel, response: promise.futureResult, requestID: requestID)
    }
}

/// One streamed response body on the client's connection.
final class NIOResponseStream: RuntimeResponseStream {
    private let channel: Channel
    private let response: EventLoopFuture<NIORuntimeClient.Response>
    private let requestID: String

    init(channel: Channel, response: EventLoopFuture<NIORuntimeClient.Response>, requestID: String) {
        self.channel = channel
        self.response = response
        self.requestID = requestID
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        let buffer = channel.allocator.buffer(bytes: bytes)
        try channel.writeAndFlush(HTTPClientRequestPart.body(.byteBuffer(buffer))).wait()
    }

    func finish(error: (type: String, document: [UInt8])?) throws {
        var trailers: HTTPHeaders?
        if let error {
            trailers = HTTPHeaders([(RuntimeAPI.Header.functionErrorType, error.type),
                                    (RuntimeAPI.Header.functionErrorBody, Base64.encode(error.document))])
        }
        try channel.writeAndFlush(HTTPClientRequestPart.end(trailers)).wait()
        let r = try response.wait()
        guard (200..<300).contains(r.head.status.code) else {
            throw RuntimeAPIError("streamed response for \(requestID) failed: HTTP \(r.head.status.code)")
        }
    }
}

/// Collects HTTP responses in order and completes the matching request's promise.
final class ResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    private var waiting = CircularBuffer<EventLoopPromise<NIORuntimeClient.Response>>()
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?

    func expect(_ promise: EventLoopPromise<NIORuntimeClient.Response>) { waiting.append(promise) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = context.channel.allocator.buffer(capacity: 0)
        case .body(var chunk):
            body?.writeBuffer(&chunk)
        case .end:
            if let head, !waiting.isEmpty {
                waiting.removeFirst().succeed(.init(head: head, body: body ?? ByteBuffer()))
            }
            head = nil
            body = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(ChannelError.eof)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: Error) {
        while !waiting.isEmpty { waiting.removeFirst().fail(error) }
    }
}
