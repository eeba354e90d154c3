#if canImport(Glibc)
import Glibc
#endif
import LambdaWire

/// One keep-alive HTTP/1.1 client connection driven entirely by the calling thread: request bytes framed by
/// `HTTPRequestBytes` go out over a blocking TCP socket with TCP_NODELAY, responses are read by LambdaWire's
/// `HTTPResponseParser`. No event loop thread, no thread hop per request: the interpreter's thread talks to
/// the Runtime API directly.
final class BlockingHTTPConnection {
    private let fd: Int32
    private var parser = HTTPResponseParser()
    private var readBuffer = [UInt8](repeating: 0, count: 64 << 10)
    /// Called when a blocking read was interrupted by a signal, before it is retried (the runtime runs Perl's
    /// `%SIG` handlers there: a SIGTERM at shutdown arrives while the bootstrap waits in GET /next).
    var interrupted: (() -> Void)?

    init(host: String, port: Int) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw RuntimeError(.unreachable, "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
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
            throw RuntimeError(.unreachable, "cannot reach the Runtime API at \(host):\(port): \(String(cString: strerror(lastError)))")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        self.fd = fd
    }

    deinit { close(fd) }

    /// Writes request bytes to the socket (one write: one packet with TCP_NODELAY).
    func send(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try writeAll($0) }
    }

    /// Reads until one whole response to `request` ("METHOD /path", for messages) has arrived. A malformed one
    /// is a RuntimeError (.malformedResponse); the connection is then of no further use.
    func receive(for request: String) throws -> HTTPResponse {
        do {
            return try readResponse()
        } catch let error as RuntimeError where error.code == .malformedResponse {
            throw RuntimeError(.malformedResponse, "\(request): the Runtime API sent a \(error.description)")
        }
    }

    private func readResponse() throws -> HTTPResponse {
        while true {
            if let response = try parser.next() { return response }
            let n = readBuffer.withUnsafeMutableBytes { ptr -> Int in
                var r: Int
                while true {
                    r = read(fd, ptr.baseAddress, ptr.count)
                    guard r < 0 && errno == EINTR else { break }
                    interrupted?()
                }
                return r
            }
            if n <= 0 {
                parser.finish()
                if let response = try parser.next() { return response }
                throw RuntimeError(.connectionClosed, "the Runtime API closed the connection")
            }
            parser.append(readBuffer[0..<n])
        }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw RuntimeError(.connectionClosed, "the Runtime API connection failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }
}
