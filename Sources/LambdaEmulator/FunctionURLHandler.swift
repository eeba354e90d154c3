import Foundation
import LambdaWire
import NIOCore
import NIOHTTP1

/// A Function URL or API Gateway in front of a function: plain HTTP requests become its events.
public struct HTTPFrontDoor: Sendable {
    public var format: HTTPEventFormat
    /// Function URL `InvokeMode: RESPONSE_STREAM`: streamed results reach the client as they are written.
    public var streaming: Bool
    /// REST API stage name that request paths may start with (→ `requestContext.stage`).
    public var stage: String?
    /// The function behind it (default: the emulator's first).
    public var function: String?

    public init(format: HTTPEventFormat, streaming: Bool = false, stage: String? = nil, function: String? = nil) {
        self.format = format
        self.streaming = streaming
        self.stage = stage
        self.function = function
    }
}

/// Routes each request of a connection: Invoke API paths to the Invoke API, everything else to the front door.
final class FrontDoorRouter: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let invoke: InvokeAPIHandler
    private let door: FunctionURLHandler
    private var toInvokeAPI = false

    init(emulator: Emulator, frontDoor: HTTPFrontDoor) {
        invoke = InvokeAPIHandler(emulator: emulator)
        door = FunctionURLHandler(emulator: emulator, frontDoor: frontDoor)
    }

    static func isInvokeAPI(_ uri: String) -> Bool {
        uri.hasPrefix(InvokeAPI.invokePathPrefix) || uri.hasPrefix(InvokeAPI.streamPathPrefix)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) { toInvokeAPI = Self.isInvokeAPI(head.uri) }
        if toInvokeAPI { invoke.channelRead(context: context, data: data) } else { door.channelRead(context: context, data: data) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// Turns one HTTP request at a time into an invocation and its result into the HTTP response.
final class FunctionURLHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case receiving(HTTPRequestHead, body: [UInt8], tooLarge: Bool)
        case waiting
    }

    /// Function URLs and API Gateway accept request bodies up to 6 MB.
    static let maxRequestBytes = 6 * 1024 * 1024

    private let emulator: Emulator
    private let frontDoor: HTTPFrontDoor
    private var state: State = .idle

    init(emulator: Emulator, frontDoor: HTTPFrontDoor) {
        self.emulator = emulator
        self.frontDoor = frontDoor
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if head.headers["Expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                context.writeAndFlush(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: head.version, status: .continue))),
                                      promise: nil)
            }
            state = .receiving(head, body: [], tooLarge: false)
        case .body(let chunk):
            guard case .receiving(let head, var body, let tooLarge) = state else { return }
            state = .waiting
            if tooLarge || body.count + chunk.readableBytes > Self.maxRequestBytes {
                state = .receiving(head, body: [], tooLarge: true)
            } else {
                body += chunk.readableBytesView
                state = .receiving(head, body: body, tooLarge: false)
            }
        case .end:
            guard case .receiving(let head, let body, let tooLarge) = state else { state = .idle; return }
            state = .waiting
            dispatch(head, body: body, tooLarge: tooLarge, context: context)
        }
    }

    private func dispatch(_ head: HTTPRequestHead, body: [UInt8], tooLarge: Bool, context: ChannelHandlerContext) {
        let requestID = Identifiers.requestID()
        let logger = emulator.logger
        let writer = HTTPResultWriter(context: context, keepAlive: head.isKeepAlive, isHead: head.method == .HEAD,
                                      format: frontDoor.format, requestID: requestID, warn: { logger.warning("\($0)") }) { [weak self] in
            self?.state = .idle
        }
        let name = frontDoor.function ?? emulator.functions[0].name
        guard !tooLarge, let pool = emulator.pool(named: name) else {
            writer.sendWhole(HTTPResponseParts(status: tooLarge ? 413 : 404, headers: [.init("content-type", "application/json")],
                                               body: Array((tooLarge ? "{\"message\":\"Request Too Long\"}" : "{\"message\":\"Not Found\"}").utf8)))
            return
        }
        if pool.config.tenantIsolation {
            // Plain HTTP requests carry no tenant; an isolated function cannot take them (as on the Invoke API).
            let error = ServiceError.tenancy(isolated: true)
            writer.sendWhole(HTTPResponseParts(status: error.status, headers: [.init("content-type", "application/json")],
                                               body: Array(error.json.utf8)))
            return
        }
        let request = HTTPRequestInfo(method: head.method.rawValue, target: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                                      body: body, sourceIP: context.remoteAddress?.ipAddress ?? "127.0.0.1", requestID: requestID,
                                      region: emulator.region)
        let event = HTTPEventMapping.event(request, format: frontDoor.format, stage: frontDoor.stage)
        let sink: InvocationSink
        if frontDoor.streaming {
            sink = InvocationSink(streamStarted: { writer.begin(contentType: $0) }, chunk: { writer.chunk($0) },
                                  completed: { writer.complete($0) })
        } else {
            sink = InvocationSink.buffered { writer.complete($0) }
        }
        pool.submit(Invocation(requestID: requestID, payload: ByteBuffer(bytes: event), sink: sink))
    }
}

/// Writes one front-door response: whole, or streamed (raw bytes, or the HTTP integration format's prelude first).
final class HTTPResultWriter {
    private let context: ChannelHandlerContext
    private let keepAlive: Bool
    private let isHead: Bool
    private let format: HTTPEventFormat
    private let requestID: String
    private let done: () -> Void
    private let warn: (String) -> Void
    private var pendingPrelude: [UInt8]?
    private var headSent = false
    private var finished = false

    init(context: ChannelHandlerContext, keepAlive: Bool, isHead: Bool, format: HTTPEventFormat, requestID: String,
         warn: @escaping (String) -> Void, done: @escaping () -> Void) {
        self.warn = warn
        self.context = context
        self.keepAlive = keepAlive
        self.isHead = isHead
        self.format = format
        self.requestID = requestID
        self.done = done
    }

    func begin(contentType: String) {
        if contentType.lowercased().hasPrefix(HTTPEventMapping.integrationContentType) {
            pendingPrelude = []
        } else {
            sendHead(HTTPResponseParts(status: 200, headers: [.init("content-type", contentType)]), length: nil)
        }
    }

    func chunk(_ buffer: ByteBuffer) {
        guard !finished else { return }
        if var pending = pendingPrelude {
            pending += buffer.readableBytesView
            guard let end = HTTPEventMapping.preludeEnd(pending) else { pendingPrelude = pending; return }
            pendingPrelude = nil
            guard let head = HTTPEventMapping.streamHead(prelude: Array(pending[..<end])) else {
                sendWhole(HTTPEventMapping.badGateway(format))
                return
            }
            if let why = head.invalidHeader { return refuseInvalid(why) }
            sendHead(head, length: nil)
            let rest = pending[(end + HTTPEventMapping.preludeDelimiter.count)...]
            if !rest.isEmpty { write(ByteBuffer(bytes: rest)) }
        } else {
            write(buffer)
        }
    }

    func complete(_ outcome: InvocationOutcome) {
        guard !finished else { return }
        switch outcome.result {
        case .success(let payload, let contentType) where !outcome.streamed || !headSent && pendingPrelude == nil:
            sendWhole(HTTPEventMapping.response(payload: Array(payload.readableBytesView), contentType: contentType, format: format))
        case .success where headSent:
            end()
        case .functionError where headSent:
            // the response is under way: cut it short, as Lambda does
            finished = true
            context.close(promise: nil)
            done()
        default:
            sendWhole(HTTPEventMapping.badGateway(format))
        }
    }

    func sendWhole(_ parts: HTTPResponseParts) {
        guard !finished else { return }
        if let why = parts.invalidHeader { return refuseInvalid(why) }
        sendHead(parts, length: parts.body.count)
        if !parts.body.isEmpty { write(ByteBuffer(bytes: parts.body)) }
        end()
    }

    /// A function response whose headers cannot be written: 502, as the service answers, and the reason logged.
    private func refuseInvalid(_ why: String) {
        warn("function response for \(requestID) refused (502): \(why)")
        sendWhole(HTTPEventMapping.badGateway(format))
    }

    private func sendHead(_ parts: HTTPResponseParts, length: Int?) {
        guard !headSent else { return }
        headSent = true
        var headers = HTTPHeaders(parts.headers.map { ($0.name, $0.value) })
        headers.remove(name: "transfer-encoding")
        if let length, !(isHead && headers.contains(name: "content-length")) {
            headers.replaceOrAdd(name: "content-length", value: String(length))
        } else if isHead, !headers.contains(name: "content-length") {
            headers.add(name: "content-length", value: "0")
        }
        headers.add(name: "x-amzn-RequestId", value: requestID)
        if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: parts.status)
        guard context.channel.isActive else { return }
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                              promise: nil)
    }

    private func write(_ buffer: ByteBuffer) {
        guard !isHead, buffer.readableBytes > 0, context.channel.isActive else { return }
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
    }

    private func end() {
        guard !finished else { return }
        finished = true
        done()
        guard context.channel.isActive else { return }
        let written = context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
