/// HTTP/1.1 request framing for the Runtime API client: request lines, headers and chunked-body
/// framing, written straight into a byte array (no pipeline pass per request on the hot path).
/// Responses are read by LambdaWire's `HTTPResponseParser` (see `BlockingHTTPConnection`).
enum HTTPRequestBytes {
    /// `METHOD uri HTTP/1.1` + headers + blank line.
    static func head(method: String, uri: String, headers: [(String, String)]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(256)
        out += method.utf8
        out.append(UInt8(ascii: " "))
        out += uri.utf8
        out += " HTTP/1.1\r\n".utf8
        appendFields(headers, to: &out)
        return out
    }

    /// `name: value` lines and the blank line that ends a header or trailer section.
    private static func appendFields(_ fields: [(String, String)], to out: inout [UInt8]) {
        for (name, value) in fields {
            out += name.utf8
            out += ": ".utf8
            out += value.utf8
            out += "\r\n".utf8
        }
        out += "\r\n".utf8
    }

    /// One chunk of a chunked body: hex size, CRLF, data, CRLF. Empty data produces nothing (an empty
    /// chunk would end the body).
    static func chunk(_ data: UnsafeRawBufferPointer) -> [UInt8] {
        guard !data.isEmpty else { return [] }
        var out = Array(String(data.count, radix: 16, uppercase: true).utf8)
        out.reserveCapacity(out.count + data.count + 4)
        out += "\r\n".utf8
        out += data
        out += "\r\n".utf8
        return out
    }

    /// The end of a chunked body: the last chunk, optional trailers, blank line.
    static func lastChunk(trailers: [(String, String)]) -> [UInt8] {
        var out = Array("0\r\n".utf8)
        appendFields(trailers, to: &out)
        return out
    }
}
