#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The one timestamp format Lambda writes: ISO 8601 in UTC with milliseconds, `2022-10-12T00:00:15.064Z` (the
/// runtime's JSON log records, the emulator's timeout lines, Telemetry API events). Formatted by hand from
/// `gmtime_r`: Foundation's ISO8601DateFormatter costs a formatter per call and is not in the bootstrap.
public enum Timestamp {
    /// Now, from the realtime clock.
    public static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return string(epochMs: Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec / 1_000_000))
    }

    /// `ms` milliseconds since the Unix epoch.
    public static func string(epochMs ms: Int64) -> String {
        var t = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(ms % 1000), 3))Z"
    }
}
