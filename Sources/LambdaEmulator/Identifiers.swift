import Foundation

/// Request ids, trace ids and log stream names in the shapes Lambda uses. Their randomness comes from one
/// generator seeded by the system once (unique, not secret): no /dev/urandom read or getrandom call per id.
enum Identifiers {
    /// A version 4 UUID, lowercase: `xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`.
    static func requestID() -> String {
        var (a, b) = random.withLock { ($0.next(), $0.next()) }
        a = (a & ~0xF000) | 0x4000                                         // version 4 (bits 48-51 of the first half)
        b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000           // RFC 4122 variant
        let h = hexWord(a), l = hexWord(b)
        return "\(h.prefix(8))-\(h.dropFirst(8).prefix(4))-\(h.suffix(4))-\(l.prefix(4))-\(l.suffix(12))"
    }

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

    /// `bytes` random bytes as lowercase hex, drawn 8 at a time.
    static func hex(_ bytes: Int) -> String {
        var out = ""
        out.reserveCapacity(bytes * 2)
        var left = bytes
        while left > 0 {
            let word = hexWord(random.withLock { $0.next() })
            let take = min(8, left)
            out += word.prefix(take * 2)
            left -= take
        }
        return out
    }

    /// 16 lowercase hex digits.
    private static func hexWord(_ v: UInt64) -> String {
        let digits = String(v, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    private static let random = LockedGenerator()

    static func epochMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

/// xoshiro256** seeded from the system generator, behind a lock (ids are made on any thread).
final class LockedGenerator: @unchecked Sendable {
    private let lock = NSLock()
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init() {
        var system = SystemRandomNumberGenerator()
        state = (system.next(), system.next(), system.next(), system.next() | 1)
    }

    func withLock<T>(_ body: (LockedGenerator) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(self)
    }

    /// Call inside `withLock`.
    func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
