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

    /// `bytes` random bytes as lowercase hex, drawn 8 at a time (one getrandom call per 8 bytes, not per byte).
    static func hex(_ bytes: Int) -> String {
        var out = ""
        out.reserveCapacity(bytes * 2)
        var left = bytes
        while left > 0 {
            let digits = String(UInt64.random(in: .min ... .max), radix: 16)
            let word = String(repeating: "0", count: 16 - digits.count) + digits
            let take = min(8, left)
            out += word.prefix(take * 2)
            left -= take
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
