import Foundation

/// Request ids, trace ids and log stream names in the shapes Lambda uses.
enum Identifiers {
    static func requestID() -> String { UUID().uuidString.lowercased() }

    /// `Root=1-{epoch hex}-{24 hex};Parent={16 hex};Sampled=0`
    static func traceID() -> String {
        let epoch = String(UInt32(Date().timeIntervalSince1970), radix: 16)
        return "Root=1-\(epoch)-\(hex(12));Parent=\(hex(8));Sampled=0"
    }

    /// `2024/01/31/[$LATEST]{32 hex}`
    static func logStreamName() -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyy/MM/dd"
        f.timeZone = TimeZone(identifier: "UTC")
        f.locale = Locale(identifier: "en_US_POSIX")
        return "\(f.string(from: Date()))/[$LATEST]\(hex(16))"
    }

    static func hex(_ bytes: Int) -> String {
        var out = ""
        for _ in 0..<bytes {
            let b = UInt8.random(in: 0...255)
            out += (b < 16 ? "0" : "") + String(b, radix: 16)
        }
        return out
    }

    static func epochMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// `2024-01-31T12:34:56.789Z`
    static func timestamp() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date())
    }
}
