#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOEmbedded
import NIOHTTP1

/// One keep-alive HTTP/1.1 client connection driven entirely by the calling thread: responses are parsed
/// by SwiftNIO's HTTP/1 decoder (HTTPResponseDecoder) in an EmbeddedChannel, request bytes framed by
/// `HTTPRequestBytes` go out over a blocking TCP socket with TCP_NODELAY. No event loop thread, no
/// thread hop per request: the interpreter's thread talks to the Runtime API directly.
final class BlockingHTTPConnection {
    struct Closed: Error {}

    private let fd: Int32
    private let channel = EmbeddedChannel()
    private var readBuffer: ByteBuffer
    private let decoder = HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)

    init(host: String, port: Int) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw RuntimeAPIError("cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var fd: Int32 = -1
        var lastError: Int32 = 0
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            fd = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
            if fd >= 0 {
                if connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { break }
                lastError = errno
                close(fd)
                fd = -1
            }
            ai = a.pointee.ai_next
        }
        guard fd >= 0 else {
            throw RuntimeAPIError("cannot reach the Runtime API at \(host):\(port): \(String(cString: strerror(lastError)))")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        self.fd = fd
        readBuffer = channel.allocator.buffer(capacity: 64 << 10)
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(decoder))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: port)).wait()
    }

    deinit {
        _ = try? channel.finish()
        close(fd)
    }

    /// Writes request bytes to the socket (one write: one packet with TCP_NODELAY).
    func send(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try writeAll($0) }
    }

    /// Tells the response decoder which request the next response answers (it must know HEAD
    /// requests, whose responses have no body). The request bytes are sent separately.
    func expectResponse(to method: HTTPMethod, uri: String) {
        decoder.write(data: .head(HTTPRequestHead(version: .http1_1, method: method, uri: uri)))
    }

    /// Reads until one whole response has been decoded.
    func receive() throws -> (head: HTTPResponseHead, body: ByteBuffer) {
        var head: HTTPResponseHead?
        var body = channel.allocator.buffer(capacity: 0)
        while true {
            while let part = try channel.readInbound(as: HTTPClientResponsePart.self) {
                switch part {
                case .head(let h): head = h
                case .body(var chunk):
                    if body.readableBytes == 0 { body = chunk } else { body.writeBuffer(&chunk) }
                case .end:
                    guard let head else { throw RuntimeAPIError("malformed response from the Runtime API") }
                    return (head, body)
                }
            }
            readBuffer.clear()
            let n = readBuffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 64 << 10) { ptr in
                var r: Int
                repeat { r = read(fd, ptr.baseAddress, ptr.count) } while r < 0 && errno == EINTR
                return max(r, 0)
            }
            if n == 0 { throw Closed() }
            try channel.writeInbound(readBuffer)
        }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw Closed()
            }
            offset += n
        }
    }
}
