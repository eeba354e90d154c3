import Foundation
import LambdaWire

/// One thing an execution environment reports to telemetry subscribers, stamped when it happened, and its
/// JSON form (`{"time","type","record"}`) for each API and schema version: the Telemetry API (schema
/// 2022-12-13 shapes, AWS's "Telemetry API Event schema reference") or the Logs API (its 2020-08-15 and
/// 2021-03-18 shapes). Some events exist in one API only (`render` gives nil for the other).
struct TelemetryEvent {
    struct Span: Equatable {
        var name: String
        var start: Date
        var durationMs: Double
    }

    struct ReportMetrics: Equatable {
        var durationMs: Double
        var billedDurationMs: Int
        var memorySizeMB: Int
        var maxMemoryUsedMB: Int
        var initDurationMs: Double?
    }

    enum Kind {
        case initStart(functionName: String, functionVersion: String)
        case initRuntimeDone(status: String, errorType: String?)
        case initReport(status: String, errorType: String?, durationMs: Double)
        case start(requestID: String, traceID: String?)
        case runtimeDone(requestID: String, status: String, errorType: String?, durationMs: Double,
                         producedBytes: Int?, spans: [Span], traceID: String?)
        /// The Logs API's `platform.end` (the Telemetry API has no such event).
        case end(requestID: String)
        case report(requestID: String, status: String, errorType: String?, metrics: ReportMetrics, traceID: String?)
        case extensionState(name: String, state: String, events: [String])
        case subscription(api: TelemetryAPIKind, name: String, types: [String])
        case logsDropped(reason: String, droppedRecords: Int, droppedBytes: Int)
        /// A line the function printed; `json`: the line is a JSON object (AWS_LAMBDA_LOG_FORMAT=JSON) and the
        /// record is that object, not a string.
        case functionLine(String, json: Bool)
        case extensionLine(String)
    }

    var time: Date
    var kind: Kind

    init(_ kind: Kind, time: Date = Date()) {
        self.kind = kind
        self.time = time
    }

    var category: TelemetrySubscription.Category {
        switch kind {
        case .functionLine: return .function
        case .extensionLine: return .extension
        default: return .platform
        }
    }

    /// The reason Lambda gives in `platform.logsDropped`.
    static let droppedReason = "Consumer seems to have fallen behind as it has not acknowledged receipt of logs."

    /// The event's JSON text for a subscriber of `api` with `schemaVersion`; nil when that API has no such event.
    func render(api: TelemetryAPIKind, schemaVersion: String) -> [UInt8]? {
        var j = JSONWriter()
        j.raw("{\"time\":")
        j.string(Self.timestamp(time))
        j.raw(",\"type\":")
        switch (kind, api) {
        case (.initStart(let name, let version), .telemetry):
            j.string("platform.initStart")
            j.raw(",\"record\":{\"initializationType\":\"on-demand\",\"phase\":\"init\",\"functionName\":")
            j.string(name)
            j.raw(",\"functionVersion\":")
            j.string(version)
            j.raw("}")
        case (.initRuntimeDone(let status, let errorType), .telemetry):
            j.string("platform.initRuntimeDone")
            j.raw(",\"record\":{\"initializationType\":\"on-demand\",\"phase\":\"init\"")
            j.status(status, errorType)
            j.raw("}")
        case (.initReport(let status, let errorType, let durationMs), .telemetry):
            j.string("platform.initReport")
            j.raw(",\"record\":{\"initializationType\":\"on-demand\",\"phase\":\"init\"")
            j.status(status, errorType)
            j.raw(",\"metrics\":{\"durationMs\":")
            j.number(durationMs)
            j.raw("}}")
        case (.start(let id, let trace), _):
            j.string("platform.start")
            j.raw(",\"record\":{\"requestId\":")
            j.string(id)
            j.raw(",\"version\":")
            j.string(InvokeAPI.latestVersion)
            if api == .telemetry { j.tracing(trace) }
            j.raw("}")
        case (.runtimeDone(let id, let status, let errorType, let durationMs, let produced, let spans, let trace), .telemetry):
            j.string("platform.runtimeDone")
            j.raw(",\"record\":{\"requestId\":")
            j.string(id)
            j.status(status, errorType)
            j.raw(",\"metrics\":{\"durationMs\":")
            j.number(durationMs)
            if let produced {
                j.raw(",\"producedBytes\":\(produced)")
            }
            j.raw("}")
            j.spans(spans)
            j.tracing(trace)
            j.raw("}")
        case (.runtimeDone(let id, let status, _, _, _, _, _), .logs):
            // Logs API: only from schema 2021-03-18, and only success, failure or timeout
            guard schemaVersion >= "2021-03-18" else { return nil }
            j.string("platform.runtimeDone")
            j.raw(",\"record\":{\"requestId\":")
            j.string(id)
            j.raw(",\"status\":")
            j.string(status == "error" ? "failure" : status)
            j.raw("}")
        case (.end(let id), .logs):
            j.string("platform.end")
            j.raw(",\"record\":{\"requestId\":")
            j.string(id)
            j.raw("}")
        case (.report(let id, let status, let errorType, let m, let trace), _):
            j.string("platform.report")
            j.raw(",\"record\":{\"requestId\":")
            j.string(id)
            if api == .telemetry { j.status(status, errorType) }
            j.raw(",\"metrics\":{\"durationMs\":")
            j.number(m.durationMs)
            j.raw(",\"billedDurationMs\":\(m.billedDurationMs),\"memorySizeMB\":\(m.memorySizeMB),\"maxMemoryUsedMB\":\(m.maxMemoryUsedMB)")
            if let i = m.initDurationMs {
                j.raw(",\"initDurationMs\":")
                j.number(i)
            }
            j.raw("}")
            if api == .telemetry { j.tracing(trace) }
            j.raw("}")
        case (.extensionState(let name, let state, let events), _):
            j.string("platform.extension")
            j.raw(",\"record\":{\"name\":")
            j.string(name)
            j.raw(",\"state\":")
            j.string(state)
            j.raw(",\"events\":")
            j.strings(events)
            j.raw("}")
        case (.subscription(let from, let name, let types), _):
            // each API reports subscriptions made through it
            guard from == api else { return nil }
            j.string(api.subscriptionEventType)
            j.raw(",\"record\":{\"name\":")
            j.string(name)
            j.raw(",\"state\":\"Subscribed\",\"types\":")
            j.strings(types)
            j.raw("}")
        case (.logsDropped(let reason, let records, let bytes), _):
            j.string("platform.logsDropped")
            j.raw(",\"record\":{\"reason\":")
            j.string(reason)
            j.raw(",\"droppedRecords\":\(records),\"droppedBytes\":\(bytes)}")
        case (.functionLine(let line, let json), _):
            j.string("function")
            j.raw(",\"record\":")
            if json { j.raw(line) } else { j.string(line) }
        case (.extensionLine(let line), _):
            j.string("extension")
            j.raw(",\"record\":")
            j.string(line)
        case (.initStart, .logs), (.initRuntimeDone, .logs), (.initReport, .logs), (.end, .telemetry):
            return nil
        }
        j.raw("}")
        return j.bytes
    }

    /// ISO 8601 with milliseconds in UTC, as Lambda stamps events.
    static func timestamp(_ date: Date) -> String {
        Timestamp.string(epochMs: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }
}

/// Appends JSON text; numbers as Lambda writes durations (at most 3 decimals).
struct JSONWriter {
    private var out = ""

    var bytes: [UInt8] { Array(out.utf8) }

    mutating func raw(_ s: String) { out += s }
    mutating func string(_ s: String) { JSONText.appendString(s, to: &out) }

    mutating func number(_ v: Double) {
        let thousandths = Int64((v * 1000).rounded())
        let whole = thousandths / 1000, frac = thousandths % 1000
        if frac == 0 { out += "\(whole).0"; return }
        var f = String(frac)
        f = String(repeating: "0", count: 3 - f.count) + f
        while f.hasSuffix("0") { f.removeLast() }
        out += "\(whole).\(f)"
    }

    mutating func strings(_ list: [String]) {
        raw("[")
        for (i, s) in list.enumerated() {
            if i > 0 { raw(",") }
            string(s)
        }
        raw("]")
    }

    mutating func status(_ status: String, _ errorType: String?) {
        raw(",\"status\":")
        string(status)
        if let errorType {
            raw(",\"errorType\":")
            string(errorType)
        }
    }

    mutating func tracing(_ traceID: String?) {
        guard let traceID else { return }
        raw(",\"tracing\":{\"type\":\"X-Amzn-Trace-Id\",\"value\":")
        string(traceID)
        raw("}")
    }

    mutating func spans(_ spans: [TelemetryEvent.Span]) {
        guard !spans.isEmpty else { return }
        raw(",\"spans\":[")
        for (i, s) in spans.enumerated() {
            if i > 0 { raw(",") }
            raw("{\"name\":")
            string(s.name)
            raw(",\"start\":")
            string(TelemetryEvent.timestamp(s.start))
            raw(",\"durationMs\":")
            number(s.durationMs)
            raw("}")
        }
        raw("]")
    }
}
