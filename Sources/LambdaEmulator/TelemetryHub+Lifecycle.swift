import Foundation
import LambdaWire
import NIOCore

/// The platform events of an environment's lifecycle, one call per point where Lambda reports something (the
/// same points where `ExecutionEnvironment` writes START, END and REPORT), so those hooks stay one line each.
extension TelemetryHub {
    /// The runtime process was started: `platform.initStart`.
    func initStarted(functionName: String) {
        emit(.initStart(functionName: functionName, functionVersion: InvokeAPI.latestVersion))
    }

    /// Init finished: `platform.initRuntimeDone` and `platform.initReport`; later subscribers get no replay.
    func initSucceeded(durationMs: Double) {
        emit(.initRuntimeDone(status: "success", errorType: nil))
        emit(.initReport(status: "success", errorType: nil, durationMs: durationMs))
        initEnded()
    }

    /// Init failed (an init error, a crash, the init timeout).
    func initFailed(durationMs: Double, status lines: LambdaLogLines.Status) {
        let (status, type) = Self.status(lines)
        emit(.initRuntimeDone(status: status, errorType: type))
        emit(.initReport(status: status, errorType: type, durationMs: durationMs))
        flush()
    }

    /// The runtime took `inv` (START): `platform.start`.
    func invocationStarted(_ inv: Invocation) {
        guard isListening else { return }   // no subscriber: nothing to compute
        emit(.start(requestID: inv.requestID, traceID: inv.traceID))
    }

    /// The runtime answered `inv` (before END): `platform.runtimeDone` with the response's size and spans.
    func runtimeDone(_ inv: Invocation, result: InvocationOutcome.Result, status: LambdaLogLines.Status) {
        guard isListening else { return }   // no subscriber: nothing to compute
        let (statusText, errorType) = Self.status(status)
        let end = Date()
        let durationMs = inv.startedWall.map { end.timeIntervalSince($0) * 1000 } ?? 0
        var spans: [TelemetryEvent.Span] = []
        var produced: Int?
        if case .success(let body, _) = result {
            produced = inv.streamedBytes + body.readableBytes
            if let start = inv.startedWall {
                // responseLatency: from the start until the runtime began its response; responseDuration: from
                // then until the response was complete
                let began = max(inv.responseBeganWall ?? end, start)
                spans = [TelemetryEvent.Span(name: "responseLatency", start: start, durationMs: began.timeIntervalSince(start) * 1000),
                         TelemetryEvent.Span(name: "responseDuration", start: began, durationMs: max(0, end.timeIntervalSince(began) * 1000))]
            }
        }
        emit(.runtimeDone(requestID: inv.requestID, status: statusText, errorType: errorType, durationMs: durationMs,
                          producedBytes: produced, spans: spans, traceID: inv.traceID))
    }

    /// `inv` is over, its extensions included (END, REPORT): the Logs API's `platform.end`, then `platform.report`.
    func reported(_ inv: Invocation, status: LambdaLogLines.Status, durationMs: Double, memoryMB: Int, maxMemoryMB: Int?,
                  initDurationMs: Double?) {
        guard isListening else { return }   // no subscriber: nothing to compute
        let (statusText, errorType) = Self.status(status)
        emit(.end(requestID: inv.requestID))
        emit(.report(requestID: inv.requestID, status: statusText, errorType: errorType,
                     metrics: TelemetryEvent.ReportMetrics(durationMs: durationMs, billedDurationMs: LambdaLogLines.billedMs(durationMs),
                                                           memorySizeMB: memoryMB, maxMemoryUsedMB: maxMemoryMB ?? 0,
                                                           initDurationMs: initDurationMs),
                     traceID: inv.traceID))
    }

    /// A line an extension serve started printed: an `extension` record.
    func extensionLine(_ line: String) {
        guard isListening else { return }
        emit(.extensionLine(line))
    }

    /// Telemetry's `status` and `errorType` for how an invocation ended: `failure` for an error the function
    /// reported, `error` for one of the runtime or the platform (Runtime.*, Sandbox.*), `timeout`.
    static func status(_ s: LambdaLogLines.Status) -> (String, String?) {
        switch s {
        case .success: return ("success", nil)
        case .timeout: return ("timeout", "Sandbox.Timedout")
        case .error(let type) where type.hasPrefix("Runtime.") || type.hasPrefix("Sandbox."): return ("error", type)
        case .error(let type): return ("failure", type)
        }
    }
}
