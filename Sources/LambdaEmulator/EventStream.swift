/// `application/vnd.amazon.eventstream` framing, as InvokeWithResponseStream sends it:
///
///     total length (u32) | headers length (u32) | prelude CRC32 (u32) | headers | payload | message CRC32 (u32)
///
/// Each header is name length (u8), name, value type (u8; 7 = string), value length (u16), value; all big-endian.
public struct EventStreamMessage: Equatable, Sendable {
    public var headers: [EventStreamHeader]
    public var payload: [UInt8]

    public init(headers: [EventStreamHeader], payload: [UInt8]) {
        self.headers = headers
        self.payload = payload
    }

    public static let contentType = "application/vnd.amazon.eventstream"
    static let preludeBytes = 12
    static let trailerBytes = 4
    static let stringType: UInt8 = 7

    /// An `event` message with `:event-type`, `:content-type` and `:message-type` headers.
    public static func event(_ type: String, contentType: String, payload: [UInt8]) -> EventStreamMessage {
        EventStreamMessage(headers: [EventStreamHeader(":event-type", type),
                                     EventStreamHeader(":content-type", contentType),
                                     EventStreamHeader(":message-type", "event")],
                           payload: payload)
    }

    public func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }

    public func encoded() -> [UInt8] {
        var headerBytes = [UInt8]()
        for h in headers {
            let name = Array(h.name.utf8), value = Array(h.value.utf8)
            precondition(name.count <= 255 && value.count <= 65_535, "event-stream header too long")
            headerBytes.append(UInt8(name.count))
            headerBytes += name
            headerBytes.append(Self.stringType)
            Self.appendBE(UInt16(value.count), to: &headerBytes)
            headerBytes += value
        }
        let total = Self.preludeBytes + headerBytes.count + payload.count + Self.trailerBytes
        var out = [UInt8]()
        out.reserveCapacity(total)
        Self.appendBE(UInt32(total), to: &out)
        Self.appendBE(UInt32(headerBytes.count), to: &out)
        Self.appendBE(CRC32.checksum(out), to: &out)
        out += headerBytes
        out += payload
        Self.appendBE(CRC32.checksum(out), to: &out)
        return out
    }

    /// Decodes the first message in `bytes`; nil when more bytes are needed. Returns the bytes consumed.
    public static func decode(_ bytes: ArraySlice<UInt8>) throws -> (message: EventStreamMessage, consumed: Int)? {
        guard bytes.count >= preludeBytes else { return nil }
        let base = bytes.startIndex
        let total = Int(readBE32(bytes, base)), headersLength = Int(readBE32(bytes, base + 4))
        guard CRC32.checksum(bytes[base..<base + 8]) == readBE32(bytes, base + 8) else { throw EmulatorError.preludeChecksum }
        guard total >= preludeBytes + trailerBytes + headersLength else { throw EmulatorError.malformedHeaders }
        guard bytes.count >= total else { return nil }
        guard CRC32.checksum(bytes[base..<base + total - 4]) == readBE32(bytes, base + total - 4) else {
            throw EmulatorError.messageChecksum
        }
        var headers = [EventStreamHeader]()
        var i = base + preludeBytes
        let headersEnd = i + headersLength
        while i < headersEnd {
            let nameLength = Int(bytes[i])
            guard i + 1 + nameLength + 3 <= headersEnd else { throw EmulatorError.malformedHeaders }
            // names and values are UTF-8 strings: anything else is refused, not repaired (which would change the bytes)
            guard let name = String(validating: bytes[i + 1..<i + 1 + nameLength], as: UTF8.self) else {
                throw EmulatorError.malformedHeaders
            }
            i += 1 + nameLength
            guard bytes[i] == stringType else { throw EmulatorError.unsupportedHeaderType(bytes[i]) }
            let valueLength = Int(bytes[i + 1]) << 8 | Int(bytes[i + 2])
            i += 3
            guard i + valueLength <= headersEnd else { throw EmulatorError.malformedHeaders }
            guard let value = String(validating: bytes[i..<i + valueLength], as: UTF8.self) else { throw EmulatorError.malformedHeaders }
            headers.append(EventStreamHeader(name, value))
            i += valueLength
        }
        let payload = Array(bytes[headersEnd..<base + total - 4])
        return (EventStreamMessage(headers: headers, payload: payload), total)
    }

    static func appendBE<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
        for shift in stride(from: T.bitWidth - 8, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> shift)) }
    }

    static func readBE32(_ b: ArraySlice<UInt8>, _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }
}

/// One string-valued event-stream header.
public struct EventStreamHeader: Equatable, Sendable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}
