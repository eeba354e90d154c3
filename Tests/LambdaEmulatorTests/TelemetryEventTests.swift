import Foundation
@testable import LambdaEmulator
import Testing

@Suite struct TelemetryEventTests {
    private let at = Date(timeIntervalSince1970: 1_665_532_815.064)

    private func record(_ kind: TelemetryEvent.Kind, _ api: TelemetryAPIKind = .telemetry,
                        schema: String = "2022-12-13") throws -> [String: Any]? {
        guard let bytes = TelemetryEvent(kind, time: at).render(api: api, schemaVersion: schema) else { return nil }
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func timestampIsISO8601WithMillisecondsInUTC() {
        #expect(TelemetryEvent.timestamp(at) == "2022-10-12T00:00:15.064Z")
        #expect(TelemetryEvent.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
    }

    @Test func initEvents() throws {
        let start = try #require(try record(.initStart(functionName: "f", functionVersion: "$LATEST")))
        #expect(start["time"] as? String == "2022-10-12T00:00:15.064Z")
        #expect(start["type"] as? String == "platform.initStart")
        let r = try #require(start["record"] as? [String: Any])
        #expect(r["initializationType"] as? String == "on-demand" && r["phase"] as? String == "init")
        #expect(r["functionName"] as? String == "f" && r["functionVersion"] as? String == "$LATEST")

        let done = try #require(try record(.initRuntimeDone(status: "error", errorType: "Runtime.ExitError"))?["record"] as? [String: Any])
        #expect(done["status"] as? String == "error" && done["errorType"] as? String == "Runtime.ExitError")
        let report = try #require(try record(.initReport(status: "success", errorType: nil, durationMs: 12.3456))?["record"] as? [String: Any])
        #expect((report["metrics"] as? [String: Any])?["durationMs"] as? Double == 12.346)
        #expect(report["errorType"] == nil)
        // the Logs API has no init events
        #expect(try record(.initStart(functionName: "f", functionVersion: "$LATEST"), .logs) == nil)
    }

    @Test func invocationEvents() throws {
        let start = try #require(try record(.start(requestID: "r1", traceID: "Root=1-a-b;Parent=c;Sampled=0"))?["record"] as? [String: Any])
        #expect(start["requestId"] as? String == "r1" && start["version"] as? String == "$LATEST")
        #expect((start["tracing"] as? [String: String]) == ["type": "X-Amzn-Trace-Id", "value": "Root=1-a-b;Parent=c;Sampled=0"])

        let spans = [TelemetryEvent.Span(name: "responseLatency", start: at, durationMs: 1.5),
                     TelemetryEvent.Span(name: "responseDuration", start: at, durationMs: 0.25)]
        let done = try #require(try record(.runtimeDone(requestID: "r1", status: "success", errorType: nil, durationMs: 3,
                                                        producedBytes: 17, spans: spans, traceID: nil))?["record"] as? [String: Any])
        #expect(done["status"] as? String == "success" && done["requestId"] as? String == "r1")
        #expect((done["metrics"] as? [String: Any])?["producedBytes"] as? Int == 17)
        #expect((done["metrics"] as? [String: Any])?["durationMs"] as? Double == 3.0)
        let s = try #require(done["spans"] as? [[String: Any]])
        #expect(s.map { $0["name"] as? String } == ["responseLatency", "responseDuration"])
        #expect(s[0]["start"] as? String == "2022-10-12T00:00:15.064Z" && s[0]["durationMs"] as? Double == 1.5)

        let m = TelemetryEvent.ReportMetrics(durationMs: 2.5, billedDurationMs: 3, memorySizeMB: 128, maxMemoryUsedMB: 40, initDurationMs: 99.9)
        let report = try #require(try record(.report(requestID: "r1", status: "timeout", errorType: "Sandbox.Timedout", metrics: m, traceID: nil))?["record"] as? [String: Any])
        #expect(report["status"] as? String == "timeout")
        let metrics = try #require(report["metrics"] as? [String: Any])
        #expect(metrics["durationMs"] as? Double == 2.5 && metrics["billedDurationMs"] as? Int == 3)
        #expect(metrics["memorySizeMB"] as? Int == 128 && metrics["maxMemoryUsedMB"] as? Int == 40)
        #expect(metrics["initDurationMs"] as? Double == 99.9)
        #expect(try record(.end(requestID: "r1")) == nil)
    }

    @Test func logsAPIShapes() throws {
        let done = TelemetryEvent.Kind.runtimeDone(requestID: "r", status: "error", errorType: "Runtime.ExitError", durationMs: 1,
                                                   producedBytes: nil, spans: [], traceID: nil)
        #expect(try record(done, .logs, schema: "2020-08-15") == nil)
        let r = try #require(try record(done, .logs, schema: "2021-03-18")?["record"] as? [String: String])
        #expect(r == ["requestId": "r", "status": "failure"])
        #expect(try record(.end(requestID: "r"), .logs, schema: "2020-08-15")?["type"] as? String == "platform.end")
        let start = try #require(try record(.start(requestID: "r", traceID: "t"), .logs)?["record"] as? [String: Any])
        #expect(start["tracing"] == nil)
        let sub = try #require(try record(.subscription(api: .logs, name: "ext", types: ["function"]), .logs))
        #expect(sub["type"] as? String == "platform.logsSubscription")
        #expect(try record(.subscription(api: .logs, name: "ext", types: ["function"]), .telemetry) == nil)
    }

    @Test func logRecords() throws {
        #expect(try record(.functionLine("hello \"x\"", json: false))?["record"] as? String == "hello \"x\"")
        let json = try #require(try record(.functionLine(#"{"level":"INFO","message":"m"}"#, json: true))?["record"] as? [String: String])
        #expect(json == ["level": "INFO", "message": "m"])
        let ext = try #require(try record(.extensionLine("ext says")))
        #expect(ext["type"] as? String == "extension" && ext["record"] as? String == "ext says")
        let dropped = try #require(try record(.logsDropped(reason: TelemetryEvent.droppedReason, droppedRecords: 2, droppedBytes: 30))?["record"] as? [String: Any])
        #expect(dropped["droppedRecords"] as? Int == 2 && dropped["droppedBytes"] as? Int == 30)
        let extState = try #require(try record(.extensionState(name: "e", state: "Ready", events: ["INVOKE", "SHUTDOWN"])))
        #expect(extState["type"] as? String == "platform.extension")
        #expect(TelemetryHub.isJSONObject(#" {"a":1}"#) && !TelemetryHub.isJSONObject("{oops") && !TelemetryHub.isJSONObject("[1]"))
    }

    @Test func statusOfAnInvocation() {
        #expect(TelemetryHub.status(.success) == ("success", nil))
        #expect(TelemetryHub.status(.timeout) == ("timeout", "Sandbox.Timedout"))
        #expect(TelemetryHub.status(.error(type: "Runtime.ExitError")) == ("error", "Runtime.ExitError"))
        #expect(TelemetryHub.status(.error(type: "Error")) == ("failure", "Error"))
    }
}
