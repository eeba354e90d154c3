/// The two APIs through which extensions subscribe to an execution environment's telemetry: the Telemetry API
/// (`PUT /2022-07-01/telemetry`) and the older Logs API (`PUT /2020-08-15/logs`) it supersedes. They differ in
/// schema versions, buffering defaults and error type names (AWS's Telemetry API and Logs API references).
enum TelemetryAPIKind: Equatable, Sendable {
    case telemetry
    case logs

    static let telemetryPath = "/2022-07-01/telemetry"
    static let logsPath = "/2020-08-15/logs"

    /// The API a request path names (a trailing slash is allowed: AWS's own examples write `/telemetry/`).
    static func parse(path: String) -> TelemetryAPIKind? {
        let p = path.hasSuffix("/") ? String(path.dropLast()) : path
        switch p {
        case telemetryPath: return .telemetry
        case logsPath: return .logs
        default: return nil
        }
    }

    /// Schema versions a subscription may name. The Telemetry API requires one; the Logs API defaults to
    /// 2020-08-15 and sends `platform.runtimeDone` only from 2021-03-18 on.
    var schemaVersions: [String] {
        switch self {
        case .telemetry: return ["2022-07-01", "2022-12-13", "2025-01-29"]
        case .logs: return ["2020-08-15", "2021-03-18"]
        }
    }

    var defaultSchemaVersion: String? { self == .logs ? "2020-08-15" : nil }

    /// `errorType` of a 400 answer to an invalid subscription.
    var validationErrorType: String { self == .telemetry ? "ValidationError" : "Logs.ValidationError" }

    /// The platform event that tells subscribers a subscription was made.
    var subscriptionEventType: String { self == .telemetry ? "platform.telemetrySubscription" : "platform.logsSubscription" }

    var name: String { self == .telemetry ? "Telemetry API" : "Logs API" }

    /// Buffering bounds and defaults, from AWS's references (Telemetry API: maxItems 1,000–10,000 default 1,000;
    /// Logs API: default 10,000; both: maxBytes 262,144–1,048,576 default 262,144, timeoutMs 25–30,000 default 1,000).
    var maxItems: (min: Int, max: Int, default: Int) { (1000, 10_000, self == .telemetry ? 1000 : 10_000) }
    var maxBytes: (min: Int, max: Int, default: Int) { (262_144, 1_048_576, 262_144) }
    var timeoutMs: (min: Int, max: Int, default: Int) { (25, 30_000, 1000) }
}
