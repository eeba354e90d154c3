import NIOCore
import NIOHTTP1

/// Bounds the request head on every front door (Invoke API, Function URL, API Gateway) and answers
/// 431 Request Header Fields Too Large with a JSON error past it, closing the connection; without it serve took
/// 10,000 headers (118 KB) and invoked the function with them. The size is API Gateway HTTP APIs' documented quota
/// (10,240 bytes for the request line and header values); the count is ours (SDKs and browsers send a few dozen).
final class RequestHeadLimit: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let maxBytes = 10_240
    static let maxFields = 100

    /// The request being refused: its remaining parts are dropped.
    private var refusing = false

    /// Why `head` is over the limits, nil when it is within them.
    static func violation(_ head: HTTPRequestHead) -> String? {
        let lineBytes = head.method.rawValue.utf8.count + head.uri.utf8.count
        let valueBytes = head.headers.reduce(0) { $0 + $1.value.utf8.count }
        if head.headers.count > maxFields {
            return "\(head.headers.count) request header fields (the limit is \(maxFields))"
        }
        if lineBytes + valueBytes > maxBytes {
            return "\(lineBytes + valueBytes) bytes of request line and header values (the limit is \(maxBytes))"
        }
        return nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .head(let head) = part {
            refusing = false
            if let why = Self.violation(head) {
                refusing = true
                refuse(why, context: context)
                return
            }
        }
        if refusing { return }
        context.fireChannelRead(data)
    }

    private func refuse(_ why: String, context: ChannelHandlerContext) {
        var body = context.channel.allocator.buffer(capacity: 160)
        body.writeString("{\"Type\":\"User\",\"message\":\"Request Header Fields Too Large: \(why)\"}")
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.readableBytes))
        headers.add(name: "connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .requestHeaderFieldsTooLarge, headers: headers))),
                      promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
