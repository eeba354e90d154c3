import LambdaWire
import NIOCore
import NIOHTTP1

/// Serves the Invoke API to callers: Invoke (RequestResponse, Event, DryRun) and InvokeWithResponseStream.
final class InvokeAPIHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case receiving(InvokeRequest, keepAlive: Bool, body: ByteBuffer)
        /// The request is refused; its body is read and dropped before answering (unless already answered).
        case rejecting(ServiceError, keepAlive: Bool, answered: Bool)
        case waiting
    }

    private let emulator: Emulator
    private var state: State = .idle

    init(emulator: Emulator) {
        self.emulator = emulator
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): begin(head, context: context)
        case .body(var chunk): append(&chunk)
        case .end: end(context: context)
        }
    }

    private func begin(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let parsed = InvokeRequest.parse(method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                                         region: emulator.region, knownFunction: { emulator.pool(named: $0) != nil })
        let expectsContinue = head.headers["Expect"].contains { $0.lowercased() == "100-continue" }
        switch parsed {
        case .success(let request):
            if expectsContinue {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
            var body = ByteBuffer()
            body.reserveCapacity(min(request.contentLength ?? 0, request.maxPayloadBytes))
            state = .receiving(request, keepAlive: head.isKeepAlive, body: body)
        case .failure(let error):
            if expectsContinue {
                // The caller waits for our word before sending the body: answer now and close.
                sendError(error, keepAlive: false, requestID: Identifiers.requestID(), context: context)
                state = .rejecting(error, keepAlive: false, answered: true)
            } else {
                state = .rejecting(error, keepAlive: head.isKeepAlive, answered: false)
            }
        }
    }

    private func append(_ chunk: inout ByteBuffer) {
        guard case .receiving(let request, let keepAlive, var body) = state else { return }
        state = .waiting  // drop the enum's reference so `body` grows in place
        if body.readableBytes + chunk.readableBytes > request.maxPayloadBytes {
            state = .rejecting(.requestTooLarge(limit: request.maxPayloadBytes, operation: request.operation),
                               keepAlive: keepAlive, answered: false)
        } else {
            body.writeBuffer(&chunk)
            state = .receiving(request, keepAlive: keepAlive, body: body)
        }
    }

    private func end(context: ChannelHandlerContext) {
        let current = state
        state = .waiting
        switch current {
        case .idle, .waiting:
            state = .idle
        case .rejecting(let error, let keepAlive, let answered):
            state = .idle
            if !answered { sendError(error, keepAlive: keepAlive, requestID: Identifiers.requestID(), context: context) }
        case .receiving(let request, let keepAlive, let body):
            dispatch(request, body: body, keepAlive: keepAlive, context: context)
        }
    }

    private func dispatch(_ request: InvokeRequest, body: ByteBuffer, keepAlive: Bool, context: ChannelHandlerContext) {
        let requestID = Identifiers.requestID()
        let payload: [UInt8]
        switch InvokeRequest.validatePayload(body.getBytes(at: body.readerIndex, length: body.readableBytes) ?? []) {
        case .failure(let error):
            state = .idle
            sendError(error, keepAlive: keepAlive, requestID: requestID, context: context)
            return
        case .success(let bytes):
            payload = bytes
        }
        guard let pool = emulator.pool(named: request.route.functionName) else {
            state = .idle
            sendError(.functionNotFound(arn: InvokeAPI.functionARN(region: emulator.region, name: request.route.functionName)),
                      keepAlive: keepAlive, requestID: requestID, context: context)
            return
        }
        if let error = ServiceError.checkTenancy(isolated: pool.config.tenantIsolation, tenantID: request.tenantID) {
            state = .idle
            sendError(error, keepAlive: keepAlive, requestID: requestID, context: context)
            return
        }
        switch (request.invocationType, request.operation) {
        case (.dryRun, _):
            state = .idle
            send(.noContent, headers: baseHeaders(requestID), body: nil, keepAlive: keepAlive, context: context)
            return
        case (.event, _):
            state = .idle
            send(.accepted, headers: baseHeaders(requestID), body: ByteBuffer(), keepAlive: keepAlive, context: context)
            pool.submit(Invocation(requestID: requestID, payload: ByteBuffer(bytes: payload), clientContext: request.clientContext, traceID: request.traceID,
                                   tenantID: request.tenantID, sink: InvocationSink(completed: { _ in })))
            return
        case (.requestResponse, .invoke):
            let sink = InvocationSink.buffered { [weak self] outcome in
                self?.state = .idle
                self?.sendOutcome(outcome, requestID: requestID, keepAlive: keepAlive, context: context)
            }
            pool.submit(Invocation(requestID: requestID, payload: ByteBuffer(bytes: payload), clientContext: request.clientContext, traceID: request.traceID,
                                   tenantID: request.tenantID, wantsLogTail: request.wantsLogTail, sink: sink))
        case (.requestResponse, .invokeWithResponseStream):
            let writer = EventStreamResponseWriter(context: context, requestID: requestID, keepAlive: keepAlive,
                                                   headers: baseHeaders(requestID))
            let sink = InvocationSink(
                streamStarted: { _ in writer.start() },
                chunk: { writer.chunk($0) },
                completed: { [weak self] outcome in
                    self?.state = .idle
                    writer.complete(outcome)
                })
            pool.submit(Invocation(requestID: requestID, payload: ByteBuffer(bytes: payload), clientContext: request.clientContext, traceID: request.traceID,
                                   tenantID: request.tenantID, wantsLogTail: request.wantsLogTail, sink: sink))
        }
    }

    // MARK: - Writing

    private func baseHeaders(_ requestID: String) -> HTTPHeaders {
        HTTPHeaders([(InvokeAPI.Header.requestID, requestID), (InvokeAPI.Header.executedVersion, InvokeAPI.latestVersion)])
    }

    private func sendOutcome(_ outcome: InvocationOutcome, requestID: String, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = baseHeaders(requestID)
        let body: ByteBuffer
        switch outcome.result {
        case .success(let payload, let contentType):
            headers.add(name: "Content-Type", value: contentType ?? "application/json")
            body = payload
        case .functionError(_, let document):
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: InvokeAPI.Header.functionError, value: InvokeAPI.unhandled)
            body = document
        }
        if let tail = outcome.logTail { headers.add(name: InvokeAPI.Header.logResult, value: Base64.encode(tail)) }
        send(.ok, headers: headers, body: body, keepAlive: keepAlive, context: context)
    }

    private func sendError(_ error: ServiceError, keepAlive: Bool, requestID: String, context: ChannelHandlerContext) {
        let headers = HTTPHeaders([("Content-Type", "application/json"), (InvokeAPI.Header.errorType, error.type),
                                   (InvokeAPI.Header.requestID, requestID)])
        send(HTTPResponseStatus(statusCode: error.status), headers: headers, body: ByteBuffer(string: error.json),
             keepAlive: keepAlive, context: context)
    }

    private func send(_ status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer?, keepAlive: Bool,
                      context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        var headers = headers
        if let body { headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes)) }
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        if let body, body.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
