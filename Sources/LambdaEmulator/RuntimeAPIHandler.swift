import LambdaWire
import NIOCore
import NIOHTTP1

/// Serves the Runtime API (`/2018-06-01/runtime/...`) on one connection from one environment's runtime.
final class RuntimeAPIHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Kind { case response, error, initError }

    private enum Request {
        case none
        case next(keepAlive: Bool)
        case buffered(Kind, requestID: String, head: HTTPRequestHead, body: ByteBuffer, tooLarge: Bool)
        case streaming(Invocation?, keepAlive: Bool)
        /// An Extensions API call (same endpoint as the Runtime API, as on Lambda).
        case extensions(ExtensionsAPI.Route, head: HTTPRequestHead, body: ByteBuffer)
        case unknown(HTTPRequestHead)
        /// PUT /2022-07-01/telemetry or /2020-08-15/logs from an extension.
        case subscribe(TelemetryAPIKind, head: HTTPRequestHead, body: ByteBuffer)
    }

    /// Largest subscription request body taken (a real one is a few hundred bytes).
    static let maxSubscribeBytes = 64 * 1024

    private let environment: ExecutionEnvironment
    private var request: Request = .none
    private var context: ChannelHandlerContext?

    init(environment: ExecutionEnvironment) {
        self.environment = environment
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelInactive(context: ChannelHandlerContext) {
        environment.nextCancelled(connection: ObjectIdentifier(self))
        environment.extensionNextCancelled(connection: ObjectIdentifier(self))
        self.context = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): begin(head, context: context)
        case .body(var chunk): append(&chunk)
        case .end(let trailers): end(trailers, context: context)
        }
    }

    // MARK: - Routing

    private func begin(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        if head.method == .PUT, let api = TelemetryAPIKind.parse(path: path) {
            request = .subscribe(api, head: head, body: ByteBuffer())
            return
        }
        if let route = ExtensionsAPI.parse(path: path) {
            let allowed: HTTPMethod = route == .next ? .GET : .POST
            request = head.method == allowed ? .extensions(route, head: head, body: ByteBuffer()) : .unknown(head)
            return
        }
        switch (head.method, RuntimeAPI.parse(path: path)) {
        case (.GET, .next):
            request = .next(keepAlive: head.isKeepAlive)
        case (.POST, .initError):
            request = .buffered(.initError, requestID: "", head: head, body: ByteBuffer(), tooLarge: false)
        case (.POST, .response(let id)) where head.headers[RuntimeAPI.Header.responseMode].first?.lowercased() == RuntimeAPI.streamingMode:
            let inv = environment.invocation(id)
            inv?.startStream(contentType: head.headers["Content-Type"].first ?? "application/octet-stream")
            request = .streaming(inv, keepAlive: head.isKeepAlive)
        case (.POST, .response(let id)):
            environment.invocation(id)?.responseBegan()
            request = .buffered(.response, requestID: id, head: head, body: ByteBuffer(), tooLarge: false)
        case (.POST, .error(let id)):
            request = .buffered(.error, requestID: id, head: head, body: ByteBuffer(), tooLarge: false)
        default:
            request = .unknown(head)
        }
    }

    private func append(_ chunk: inout ByteBuffer) {
        switch request {
        case .buffered(let kind, let id, let head, var body, let tooLarge):
            if tooLarge { return }
            request = .none  // avoid a copy-on-write of `body`
            if body.readableBytes + chunk.readableBytes > RuntimeAPI.maxResponseBytes {
                request = .buffered(kind, requestID: id, head: head, body: ByteBuffer(), tooLarge: true)
            } else {
                body.writeBuffer(&chunk)
                request = .buffered(kind, requestID: id, head: head, body: body, tooLarge: false)
            }
        case .streaming(let inv?, _):
            inv.streamChunk(chunk)
        case .subscribe(let api, let head, var body):
            request = .none
            if body.readableBytes + chunk.readableBytes <= Self.maxSubscribeBytes { body.writeBuffer(&chunk) }
            request = .subscribe(api, head: head, body: body)
        case .extensions(let route, let head, var body):
            request = .none
            if body.readableBytes + chunk.readableBytes <= Self.maxExtensionRequestBytes { body.writeBuffer(&chunk) }
            request = .extensions(route, head: head, body: body)
        default:
            break
        }
    }

    private func end(_ trailers: HTTPHeaders?, context: ChannelHandlerContext) {
        let current = request
        request = .none
        switch current {
        case .none:
            break
        case .unknown(let head):
            respond(context, .notFound, Self.errorJSON("UnknownOperation", "Unknown Runtime API path \(head.method) \(head.uri)"),
                    keepAlive: head.isKeepAlive)
        case .next(let keepAlive):
            environment.nextRequested(NextWaiter(connection: ObjectIdentifier(self)) { [weak self] inv, headers in
                self?.sendNext(inv, headers: headers, keepAlive: keepAlive)
            })
        case .streaming(let inv, let keepAlive):
            guard let inv else {
                respond(context, .badRequest, Self.errorJSON("InvalidRequestID", "Invalid request ID"), keepAlive: keepAlive)
                return
            }
            if let type = trailers?[RuntimeAPI.Header.functionErrorType].first, !type.isEmpty {
                let raw = trailers?[RuntimeAPI.Header.functionErrorBody].first.flatMap { Base64.decode($0) } ?? []
                let (type, body) = ErrorBody.normalize(headerType: type, body: ByteBuffer(bytes: raw))
                environment.finish(inv, .functionError(type: type, body: body), status: .error(type: type))
            } else {
                environment.finish(inv, .success(ByteBuffer(), contentType: nil), status: .success)
            }
            respond(context, .accepted, Self.accepted, keepAlive: keepAlive)
        case .extensions(let route, let head, let body):
            let keepAlive = head.isKeepAlive
            environment.extensionRequest(route, headers: head.headers, body: body, connection: ObjectIdentifier(self)) {
                [weak self] status, headers, body in
                guard let self, let context = self.context else { return }
                self.respond(context, status, body, headers: headers, keepAlive: keepAlive)
            }
        case .buffered(let kind, let id, let head, let body, let tooLarge):
            finishBuffered(kind, id: id, head: head, body: body, tooLarge: tooLarge, context: context)
        case .subscribe(let api, let head, let body):
            let answer = environment.telemetry.subscribe(api: api, identifier: head.headers["Lambda-Extension-Identifier"].first,
                                                         body: Array(body.readableBytesView))
            respond(context, HTTPResponseStatus(statusCode: answer.status), answer.body, keepAlive: head.isKeepAlive)
        }
    }

    private func finishBuffered(_ kind: Kind, id: String, head: HTTPRequestHead, body: ByteBuffer, tooLarge: Bool,
                                context: ChannelHandlerContext) {
        let keepAlive = head.isKeepAlive
        let errorType = head.headers[RuntimeAPI.Header.functionErrorType].first
        if kind == .initError {
            let (type, doc) = ErrorBody.normalize(headerType: errorType, body: body)
            if environment.initErrorPosted(type: type, body: doc) {
                respond(context, .accepted, Self.accepted, keepAlive: keepAlive)
            } else {
                respond(context, .forbidden, Self.errorJSON("InvalidStateTransition", "State transition from Ready to InitError failed"),
                        keepAlive: keepAlive)
            }
            return
        }
        guard let inv = environment.invocation(id) else {
            respond(context, .badRequest, Self.errorJSON("InvalidRequestID", "Invalid request ID"), keepAlive: keepAlive)
            return
        }
        if tooLarge {
            let doc = ErrorDocument.responseTooLarge(RuntimeAPI.maxResponseBytes + 1)
            environment.finish(inv, .functionError(type: doc.errorType, body: ByteBuffer(bytes: doc.bytes)),
                               status: .error(type: doc.errorType))
            respond(context, .payloadTooLarge,
                    Self.errorJSON("RequestEntityTooLarge", "Exceeded maximum allowed payload size (\(RuntimeAPI.maxResponseBytes) bytes)."),
                    keepAlive: keepAlive)
            return
        }
        switch kind {
        case .response:
            environment.finish(inv, .success(body, contentType: head.headers["Content-Type"].first), status: .success)
        case .error, .initError:
            let (type, doc) = ErrorBody.normalize(headerType: errorType, body: body)
            environment.finish(inv, .functionError(type: type, body: doc), status: .error(type: type))
        }
        respond(context, .accepted, Self.accepted, keepAlive: keepAlive)
    }

    // MARK: - Writing

    private static let accepted = "{\"status\":\"OK\"}"

    private static func errorJSON(_ type: String, _ message: String) -> String {
        ErrorDocument(type: type, message: message).json
    }

    private func sendNext(_ inv: Invocation, headers fields: InvocationHeaders, keepAlive: Bool) {
        guard let context else { return }
        var headers = HTTPHeaders(fields.headerFields)
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(inv.payload.readableBytes))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(inv.payload))), promise: nil)
        finishResponse(context, keepAlive: keepAlive)
    }

    /// Extensions API bodies (register's `{"events":[...]}`, an error document) are small; more is not kept.
    private static let maxExtensionRequestBytes = 1 << 20

    private func respond(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ body: String,
                         headers extra: [(String, String)] = [], keepAlive: Bool) {
        var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", String(body.utf8.count))] + extra)
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        finishResponse(context, keepAlive: keepAlive)
    }

    private func finishResponse(_ context: ChannelHandlerContext, keepAlive: Bool) {
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
