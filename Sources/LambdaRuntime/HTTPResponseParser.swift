/// An HTTP/1.1 response as the Runtime API client needs it: status, header fields in arrival order, the whole
/// body, and whether the connection stays open.
public struct HTTPResponse: Equatable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var keepAlive: Bool

    /// The first field named `name` (ASCII case-insensitive).
    public func header(_ name: String) -> String? {
        for field in headers where HTTPResponseParser.sameName(field.name, name) { return field.value }
        return nil
    }

    public static func == (a: HTTPResponse, b: HTTPResponse) -> Bool {
        a.status == b.status && a.body == b.body && a.keepAlive == b.keepAlive
            && a.headers.map { $0.name + ":" + $0.value } == b.headers.map { $0.name + ":" + $0.value }
    }
}

extension RuntimeError {
    /// The parser's finding: what is wrong with the response.
    static func malformed(_ what: String) -> RuntimeError { RuntimeError(.malformedResponse, "malformed HTTP response: " + what) }
}

/// Incremental HTTP/1.1 response parser for a client connection: bytes go in as they arrive (`append`), whole
/// responses come out (`next`). Bodies framed by Content-Length or chunked transfer coding (trailers are read
/// and dropped), none for 1xx/204/304 or a HEAD request, or delimited by the end of the connection (`finish`).
/// Pure: no sockets, so every framing and every split of the bytes is testable.
public struct HTTPResponseParser {
    /// Status line and header fields together may not exceed this.
    public static let maxHeadBytes = 64 * 1024

    private var buffer: [UInt8] = []
    private var start = 0         // first byte not yet consumed
    private var scanned = 0       // bytes from `start` already searched for the end of the head
    private var closed = false

    public init() {}

    public mutating func append<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start >= 4096 {  // bytes of a next response stay; what was consumed goes
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole response, or nil when more bytes are needed. `headRequest`: the response answers a HEAD.
    public mutating func next(headRequest: Bool = false) throws -> HTTPResponse? {
        guard let headEnd = findHeadEnd() else {
            if buffer.count - start > Self.maxHeadBytes { throw RuntimeError.malformed("header section larger than \(Self.maxHeadBytes) bytes") }
            if closed && buffer.count > start { throw RuntimeError.malformed("connection closed inside the header section") }
            return nil
        }
        var (response, framing) = try parseHead(start, headEnd - 4)
        let bodyStart = headEnd
        let noBody = headRequest || (100..<200).contains(response.status) || response.status == 204 || response.status == 304
        var end: Int
        if noBody {
            end = bodyStart
        } else if let coding = framing.transferEncoding {
            guard coding.split(separator: ",").last.map({ Self.trimmed(Substring($0)).lowercased() }) == "chunked" else {
                throw RuntimeError.malformed("unsupported Transfer-Encoding '\(coding)'")
            }
            guard let (body, after) = try dechunk(from: bodyStart) else { return nil }
            response.body = body
            end = after
        } else if let length = framing.contentLength {
            guard let n = Int(length), n >= 0 else { throw RuntimeError.malformed("Content-Length '\(length)'") }
            guard buffer.count - bodyStart >= n else {
                if closed { throw RuntimeError.malformed("connection closed after \(buffer.count - bodyStart) of \(n) body bytes") }
                return nil
            }
            end = bodyStart + n
            response.body = Array(buffer[bodyStart..<end])
        } else {
            guard closed else { return nil }  // the body runs to the end of the connection
            end = buffer.count
            response.body = Array(buffer[bodyStart..<end])
            response.keepAlive = false
        }
        start = end
        scanned = 0
        return response
    }

    /// The connection ended: a response delimited by it is now complete (read it with `next`).
    public mutating func finish() { closed = true }

    // MARK: - head

    private mutating func findHeadEnd() -> Int? {
        var i = start + max(scanned - 3, 0)
        while i + 3 < buffer.count {
            if buffer[i + 3] != 10 { i += buffer[i + 3] == 13 ? 1 : 4; continue }
            if buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 { return i + 4 }
            i += 1
        }
        scanned = buffer.count - start
        return nil
    }

    /// The fields that frame the body, noted while the head is read.
    private struct Framing {
        var contentLength: String?
        var transferEncoding: String?
    }

    /// Status line and header fields in buffer[lo..<hi] (without the blank line), in one pass.
    private func parseHead(_ lo: Int, _ hi: Int) throws -> (HTTPResponse, Framing) {
        try buffer.withUnsafeBufferPointer { p in
            /// [from, end of line) without its CR, and the index after its LF.
            func line(_ from: Int) -> (Range<Int>, Int) {
                var j = from
                while j < hi && p[j] != 10 { j += 1 }
                return (from..<(j > from && p[j - 1] == 13 ? j - 1 : j), j + 1)
            }
            func text(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: p[r]), as: UTF8.self) }

            // HTTP/1.x SP 3DIGIT [SP reason]
            let (status, afterStatus) = line(lo)
            let s = status.lowerBound
            let digits = status.count >= 12 ? (p[s + 9], p[s + 10], p[s + 11]) : (0, 0, 0)
            guard status.count >= 12, p[s] == 0x48, p[s + 1] == 0x54, p[s + 2] == 0x54, p[s + 3] == 0x50, p[s + 4] == 0x2F,
                  p[s + 5] == 0x31, p[s + 6] == 0x2E, p[s + 7] == 0x30 || p[s + 7] == 0x31, p[s + 8] == 0x20,
                  (0x31...0x39).contains(digits.0), (0x30...0x39).contains(digits.1), (0x30...0x39).contains(digits.2),
                  status.count == 12 || p[s + 12] == 0x20 else {
                throw RuntimeError.malformed("status line '\(Self.printable(UnsafeBufferPointer(rebasing: p[status])))'")
            }
            var response = HTTPResponse(status: Int(digits.0 - 0x30) * 100 + Int(digits.1 - 0x30) * 10 + Int(digits.2 - 0x30),
                                        headers: [], body: [], keepAlive: p[s + 7] == 0x31)
            var framing = Framing()
            var i = afterStatus
            while i < hi {
                let (field, next) = line(i)
                i = next
                var colon = field.lowerBound
                while colon < field.upperBound && p[colon] != 0x3A && p[colon] > 0x20 && p[colon] < 0x7F { colon += 1 }
                guard colon < field.upperBound, p[colon] == 0x3A, colon > field.lowerBound else {
                    throw RuntimeError.malformed("header line '\(Self.printable(UnsafeBufferPointer(rebasing: p[field])))'")
                }
                var v = colon + 1, e = field.upperBound
                while v < e && (p[v] == 0x20 || p[v] == 0x09) { v += 1 }
                while e > v && (p[e - 1] == 0x20 || p[e - 1] == 0x09) { e -= 1 }
                let name = text(field.lowerBound..<colon), value = text(v..<e)
                response.headers.append((name, value))
                switch colon - field.lowerBound {
                case 10 where Self.sameName(name, "Connection"):
                    let tokens = value.lowercased()
                    if tokens.contains("close") { response.keepAlive = false }
                    if tokens.contains("keep-alive") { response.keepAlive = true }
                case 14 where Self.sameName(name, "Content-Length"):
                    framing.contentLength = value
                case 17 where Self.sameName(name, "Transfer-Encoding"):
                    framing.transferEncoding = value
                default: break
                }
            }
            return (response, framing)
        }
    }

    // MARK: - chunked body

    /// The decoded body and the index after the last chunk's trailer section, or nil when incomplete.
    private func dechunk(from offset: Int) throws -> ([UInt8], Int)? {
        var body: [UInt8] = []
        var i = offset
        while true {
            guard let eol = lineEnd(from: i) else { return try incomplete() }
            let sizeField = buffer[i..<eol].prefix { $0 != 0x3B && $0 != 0x20 && $0 != 0x09 }  // ;extensions
            // hex digits only: Int(_:radix:) also takes a sign, and a negative size crashed the slicing below
            // (found by fuzz/http_response.swift; t/fuzz/http_response/negative-chunk-size)
            guard !sizeField.isEmpty, sizeField.count <= 16, sizeField.allSatisfy(Self.isHexDigit),
                  let size = Int(String(decoding: sizeField, as: UTF8.self), radix: 16) else {
                throw RuntimeError.malformed("chunk size '\(Self.printable(buffer[i..<eol]))'")
            }
            i = eol + 2
            if size == 0 {  // trailer fields until an empty line
                while true {
                    guard let end = lineEnd(from: i) else { return try incomplete() }
                    let empty = end == i
                    i = end + 2
                    if empty { return (body, i) }
                }
            }
            guard buffer.count - i >= size + 2 else { return try incomplete() }
            body.append(contentsOf: buffer[i..<i + size])
            i += size
            guard buffer[i] == 13, buffer[i + 1] == 10 else { throw RuntimeError.malformed("no CRLF after a \(size)-byte chunk") }
            i += 2
        }
    }

    private static func isHexDigit(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x41...0x46).contains(b) || (0x61...0x66).contains(b)
    }

    private func incomplete() throws -> ([UInt8], Int)? {
        if closed { throw RuntimeError.malformed("connection closed inside a chunked body") }
        return nil
    }

    /// Index of the CR of the next CRLF at or after `i`.
    private func lineEnd(from i: Int) -> Int? {
        var j = i
        while j + 1 < buffer.count {
            if buffer[j] == 13 && buffer[j + 1] == 10 { return j }
            j += 1
        }
        return nil
    }

    private static func trimmed(_ s: Substring) -> Substring {
        var t = s
        while let f = t.first, f == " " || f == "\t" { t.removeFirst() }
        while let l = t.last, l == " " || l == "\t" { t.removeLast() }
        return t
    }

    /// ASCII case-insensitive equality of header names (an exact match is the common, fast case).
    static func sameName(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                for k in 0..<x.count where x[k] != y[k] {
                    let l = x[k] | 0x20
                    guard l == y[k] | 0x20, l >= 0x61 && l <= 0x7A else { return false }
                }
                return true
            }
        }
    }

    private static func printable<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        String(bytes.prefix(80).map { (0x20..<0x7F).contains($0) ? Character(UnicodeScalar($0)) : "?" })
    }
}
