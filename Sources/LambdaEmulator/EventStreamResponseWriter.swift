import LambdaWire
import NIOCore
import NIOHTTP1

/// Writes one InvokeWithResponseStream response: HTTP 200 with an `application/vnd.amazon.eventstream` body of
/// PayloadChunk events as the function produces them, then one InvokeComplete event.
final class EventStreamResponseWriter {
    private let context: ChannelHandlerContext
    private let requestID: String
    private let keepAlive: Bool
    private var headers: HTTPHeaders
    private var started = false

    init(context: ChannelHandlerContext, requestID: String, keepAlive: Bool, headers: HTTPHeaders) {
        self.context = context
        self.requestID = requestID
        self.keepAlive = keepAlive
        self.headers = headers
    }

    /// Sends the response head (once).
    func start() {
        guard !started else { return }
        started = true
        guard context.channel.isActive else { return }
        headers.add(name: "Content-Type", value: EventStreamMessage.contentType)
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
    }

    func chunk(_ buffer: ByteBuffer) {
        start()
        guard buffer.readableBytes > 0 else { return }
        write(InvokeComplete.payloadChunk(Array(buffer.readableBytesView)))
    }

    func complete(_ outcome: InvocationOutcome) {
        start()
        var done = InvokeComplete(logResult: outcome.logTail.map { Base64.encode($0) })
        switch outcome.result {
        case .success(let payload, _):
            if !outcome.streamed, payload.readableBytes > 0 { chunk(payload) }
        case .functionError(let type, let document):
            done.errorCode = type
            done.errorDetails = ErrorBody.message(document)
        }
        write(done.message)
        guard context.channel.isActive else { return }
        let finished = context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
        if !keepAlive {
            let channel = context.channel
            finished.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    private func write(_ message: EventStreamMessage) {
        guard context.channel.isActive else { return }
        let bytes = message.encoded()
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
    }
}
