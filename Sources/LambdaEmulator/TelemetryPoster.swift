import NIOCore
import NIOHTTP1
import NIOPosix

/// Delivers one batch: a minimal HTTP/1.1 client that POSTs a JSON body to a loopback listener on a fresh
/// connection and succeeds on a 2xx answer. Telemetry goes only to listeners inside the execution environment,
/// so no TLS, proxies or redirects; one connection per batch (a loopback connect costs ~50 µs here, and the
/// listener, often Python's http.server, closes it anyway).
enum TelemetryPoster {
    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    /// How long a listener may take to answer one batch before the attempt counts as failed.
    static let answerTimeout = TimeAmount.seconds(10)

    static func post(_ body: [UInt8], host: String, port: Int, path: String, method: HTTPMethod = .POST,
                     on loop: EventLoop) -> EventLoopFuture<Void> {
        let promise = loop.makePromise(of: Void.self)
        let handler = ResponseHandler(promise: promise)
        ClientBootstrap(group: loop)
            .connectTimeout(.seconds(2))
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.pipeline.addHTTPClientHandlers().flatMap { channel.pipeline.addHandler(handler) }
            }
            // sandbox.localdomain is the execution environment itself: the loopback
            .connect(host: "127.0.0.1", port: port)
            .whenComplete { result in
                switch result {
                case .failure(let error):
                    handler.finish(Failed(description: "cannot connect to \(host):\(port): \(error)"))
                case .success(let channel):
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "\(host):\(port)")
                    headers.add(name: "Content-Type", value: "application/json")
                    headers.add(name: "Content-Length", value: String(body.count))
                    headers.add(name: "Connection", value: "close")
                    let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
                    channel.write(HTTPClientRequestPart.head(head), promise: nil)
                    channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
                    channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                    let timeout = loop.scheduleTask(in: answerTimeout) {
                        handler.finish(Failed(description: "no answer from \(host):\(port) within \(answerTimeout.nanoseconds / 1_000_000_000) s"))
                        channel.close(promise: nil)
                    }
                    promise.futureResult.whenComplete { _ in
                        timeout.cancel()
                        channel.close(promise: nil)
                    }
                }
            }
        return promise.futureResult
    }

    private final class ResponseHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        let promise: EventLoopPromise<Void>
        var status: HTTPResponseStatus?
        private var done = false

        init(promise: EventLoopPromise<Void>) { self.promise = promise }

        /// Completes the attempt once (an answer, a close, an error or the timeout, whichever comes first).
        func finish(_ error: Error?) {
            guard !done else { return }
            done = true
            if let error { promise.fail(error) } else { promise.succeed(()) }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): status = head.status
            case .body: break
            case .end:
                if let status, (200..<300).contains(status.code) {
                    finish(nil)
                } else {
                    finish(Failed(description: "the listener answered \(status.map { "\($0.code)" } ?? "nothing")"))
                }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            finish(Failed(description: "the listener closed the connection without an answer"))
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            finish(Failed(description: "\(error)"))
            context.close(promise: nil)
        }
    }
}
