import Foundation
@testable import LambdaEmulator
import Logging
import NIOCore
import NIOEmbedded
import Testing

/// The hub on an embedded event loop, with deliveries captured instead of POSTed.
@Suite struct TelemetryHubTests {
    final class Destination {
        var batches: [[[String: Any]]] = []
        var pending: [EventLoopPromise<Void>] = []
        var holdAnswers = false
        var types: [String] { batches.flatMap { $0.map { $0["type"] as? String ?? "?" } } }
    }

    private func hub(_ loop: EmbeddedEventLoop, _ dest: Destination, json: Bool = false) -> TelemetryHub {
        let h = TelemetryHub(loop: loop, logger: Logger(label: "test"), jsonLogs: json)
        h.extensionName = { $0 == Self.id ? "my-ext" : ($0 == Self.id2 ? "other" : nil) }
        h.post = { body, _, loop in
            let items = (try? JSONSerialization.jsonObject(with: Data(body))) as? [[String: Any]] ?? []
            dest.batches.append(items)
            let p = loop.makePromise(of: Void.self)
            if dest.holdAnswers { dest.pending.append(p) } else { p.succeed(()) }
            return p.futureResult
        }
        return h
    }

    static let id = "11111111-2222-3333-4444-555555555555"
    static let id2 = "11111111-2222-3333-4444-666666666666"

    private func body(types: String = #"["platform","function"]"#, maxItems: Int = 1000, timeoutMs: Int = 100,
                      schema: String = "2022-12-13") -> [UInt8] {
        Array(("{\"schemaVersion\":\"\(schema)\",\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox.localdomain:4243\"},"
               + "\"types\":\(types),\"buffering\":{\"maxItems\":\(maxItems),\"timeoutMs\":\(timeoutMs)}}").utf8)
    }

    @Test func identifierIsRequiredAndMustBeRegistered() {
        let loop = EmbeddedEventLoop()
        let h = hub(loop, Destination())
        #expect(h.subscribe(api: .telemetry, identifier: nil, body: body())
                == .init(status: 403, body: #"{"errorType":"Extension.MissingExtensionIdentifier","errorMessage":"Missing Lambda-Extension-Identifier header"}"#))
        #expect(h.subscribe(api: .telemetry, identifier: "00000000-0000-0000-0000-000000000000", body: body()).status == 403)
        let bad = h.subscribe(api: .telemetry, identifier: Self.id, body: Array("{}".utf8))
        #expect(bad.status == 400 && bad.body.contains("\"errorType\":\"ValidationError\""))
        #expect(!h.hasSubscribers)
        #expect(h.subscribe(api: .telemetry, identifier: Self.id, body: body()) == .init(status: 200, body: "\"OK\""))
        #expect(h.hasSubscribers)
    }

    @Test func aSubscriberDuringInitGetsInitFromItsStartThenTheTimeoutFlushes() throws {
        let loop = EmbeddedEventLoop()
        let dest = Destination()
        let h = hub(loop, dest)
        h.initStarted(functionName: "f")
        h.functionLine("loading")
        #expect(h.subscribe(api: .telemetry, identifier: Self.id, body: body(timeoutMs: 100)).status == 200)
        h.initSucceeded(durationMs: 5)
        loop.advanceTime(by: .milliseconds(99))
        #expect(dest.batches.isEmpty)   // timeoutMs not reached, maxItems not reached
        loop.advanceTime(by: .milliseconds(1))
        #expect(dest.types == ["platform.initStart", "function", "platform.telemetrySubscription",
                               "platform.initRuntimeDone", "platform.initReport"])
        let sub = try #require(dest.batches[0][2]["record"] as? [String: Any])
        #expect(sub["name"] as? String == "my-ext" && sub["state"] as? String == "Subscribed")
        // after init: no replay for a later subscriber
        #expect(h.subscribe(api: .telemetry, identifier: Self.id2, body: body(types: #"["function"]"#)).status == 200)
        h.functionLine("later")
        loop.advanceTime(by: .milliseconds(100))
        #expect(dest.batches.count == 3)
        #expect(dest.batches.last.map { $0.map { $0["record"] as? String } } == ["later"])
    }

    @Test func typesFilterAndJSONLogRecords() throws {
        let loop = EmbeddedEventLoop()
        let dest = Destination()
        let h = hub(loop, dest, json: true)
        h.initSucceeded(durationMs: 1)
        #expect(h.subscribe(api: .telemetry, identifier: Self.id, body: body(types: #"["function"]"#)).status == 200)
        h.functionLine(#"{"level":"INFO","message":"hi"}"#)
        h.functionLine("plain")
        h.emit(.extensionLine("not subscribed"))
        loop.advanceTime(by: .milliseconds(100))
        let records = dest.batches.flatMap { $0 }.map { $0["record"] }
        #expect(records.count == 2)
        #expect((records[0] as? [String: String]) == ["level": "INFO", "message": "hi"])
        #expect(records[1] as? String == "plain")
    }

    @Test func oneAPIPerExtensionAndResubscribingIsIdempotent() {
        let loop = EmbeddedEventLoop()
        let dest = Destination()
        let h = hub(loop, dest)
        #expect(h.subscribe(api: .logs, identifier: Self.id, body: body(schema: "2021-03-18")).status == 200)
        #expect(h.subscribe(api: .logs, identifier: Self.id, body: body(schema: "2021-03-18")).status == 200)
        let other = h.subscribe(api: .telemetry, identifier: Self.id, body: body())
        #expect(other.status == 400 && other.body.contains("already subscribed through the Logs API"))
        h.functionLine("once")
        loop.advanceTime(by: .milliseconds(100))
        #expect(dest.types.filter { $0 == "function" }.count == 1)
        #expect(dest.types.filter { $0 == "platform.logsSubscription" }.count == 2)
    }

    @Test func maxItemsFlushesAtOnceAndBatchesGoOneAtATimeInOrder() throws {
        let loop = EmbeddedEventLoop()
        let dest = Destination()
        dest.holdAnswers = true
        let h = hub(loop, dest)
        h.initSucceeded(durationMs: 1)
        #expect(h.subscribe(api: .telemetry, identifier: Self.id, body: body(types: #"["function"]"#, maxItems: 1000, timeoutMs: 30000)).status == 200)
        for i in 0..<2500 { h.functionLine("line \(i)") }
        #expect(dest.batches.count == 1 && dest.batches[0].count == 1000)   // no waiting for the timeout
        dest.pending.removeFirst().succeed(())
        #expect(dest.batches.count == 2 && dest.batches[1].count == 1000)
        dest.pending.removeFirst().succeed(())
        #expect(dest.batches.count == 2)   // 500 left: they wait for timeoutMs
        loop.advanceTime(by: .milliseconds(30000))
        #expect(dest.batches.count == 3 && dest.batches[2].count == 500)
        let lines = dest.batches.flatMap { $0 }.compactMap { $0["record"] as? String }
        #expect(lines == (0..<2500).map { "line \($0)" })
    }

    @Test func aSlowDestinationLosesWhatExceedsTheBacklogAndIsTold() throws {
        let loop = EmbeddedEventLoop()
        let dest = Destination()
        dest.holdAnswers = true
        let h = hub(loop, dest)
        h.initSucceeded(durationMs: 1)
        #expect(h.subscribe(api: .telemetry, identifier: Self.id, body: body(maxItems: 1000, timeoutMs: 25)).status == 200)
        // one batch in flight (the subscription event and 999 lines), 8 × 1000 waiting, the rest dropped
        let total = 1000 + 1000 * TelemetryBuffer.backlogBatches + 123
        for i in 0..<total { h.functionLine("l\(i)") }
        while let p = dest.pending.first {
            dest.pending.removeFirst()
            p.succeed(())
            loop.advanceTime(by: .milliseconds(25))
        }
        let all = dest.batches.flatMap { $0 }
        let dropped = try #require(all.first { $0["type"] as? String == "platform.logsDropped" }?["record"] as? [String: Any])
        #expect(dropped["droppedRecords"] as? Int == 124)   // 123 + the one line displaced by the subscription event
        #expect(dropped["reason"] as? String == TelemetryEvent.droppedReason)
        let lines = all.compactMap { $0["type"] as? String == "function" ? $0["record"] as? String : nil }
        #expect(lines.count == total - 124)
        #expect(lines == (0..<(total - 124)).map { "l\($0)" })   // the oldest kept, in order
    }

    @Test func failedDeliveriesAreRetriedThenCounted() throws {
        let loop = EmbeddedEventLoop()
        let h = TelemetryHub(loop: loop, logger: Logger(label: "test"), jsonLogs: false)
        h.extensionName = { _ in "e" }
        var attempts = 0
        var delivered: [[String: Any]] = []
        h.post = { body, _, loop in
            attempts += 1
            if attempts <= TelemetrySubscriber.maxAttempts { return loop.makeFailedFuture(TelemetryPoster.Failed(description: "down")) }
            delivered += (try? JSONSerialization.jsonObject(with: Data(body))) as? [[String: Any]] ?? []
            return loop.makeSucceededVoidFuture()
        }
        h.initSucceeded(durationMs: 1)
        #expect(h.subscribe(api: .telemetry, identifier: Self.id, body: body(timeoutMs: 25)).status == 200)
        loop.advanceTime(by: .seconds(30))
        // the subscription event's batch failed every attempt; the next batch says so
        #expect(attempts == TelemetrySubscriber.maxAttempts + 1)
        #expect(delivered.map { $0["type"] as? String } == ["platform.logsDropped"])
        #expect((delivered[0]["record"] as? [String: Any])?["droppedRecords"] as? Int == 1)
        h.functionLine("after")
        loop.advanceTime(by: .seconds(1))
        #expect(delivered.map { $0["type"] as? String } == ["platform.logsDropped", "function"])
    }
}

extension TelemetryHubTests {
    @Test func theInitBacklogIsBoundedAndNothingIsKeptWithoutSubscribersAfterInit() throws {
        let loop = EmbeddedEventLoop()
        let dest = Destination()
        let h = hub(loop, dest)
        let big = String(repeating: "x", count: 100_000)
        for _ in 0..<20 { h.functionLine(big) }   // 2 MB printed during init: about 1 MiB kept
        #expect(h.subscribe(api: .telemetry, identifier: Self.id, body: body(types: #"["function"]"#)).status == 200)
        loop.advanceTime(by: .milliseconds(100))
        let kept = dest.batches.flatMap { $0 }.count
        #expect(kept == 11)   // lines are kept until 1 MiB is reached: 11 × 100,000 bytes
        h.initSucceeded(durationMs: 1)
        let quiet = hub(loop, Destination())
        quiet.initSucceeded(durationMs: 1)
        #expect(!quiet.isListening)
    }
}

extension TelemetryHubTests {
    /// The lifecycle calls ExecutionEnvironment makes, and the records they produce.
    @Test func lifecycleRecords() throws {
        let loop = EmbeddedEventLoop()
        let dest = Destination()
        let h = hub(loop, dest)
        #expect(h.subscribe(api: .telemetry, identifier: Self.id, body: body(types: #"["platform"]"#)).status == 200)
        h.initFailed(durationMs: 12, status: .error(type: "Runtime.ExitError"))   // flushes at once: no timeout wait
        let initDone = try #require(dest.batches.last?.first { $0["type"] as? String == "platform.initRuntimeDone" }?["record"] as? [String: Any])
        #expect(initDone["status"] as? String == "error" && initDone["errorType"] as? String == "Runtime.ExitError")

        let inv = Invocation(payload: ByteBuffer(), traceID: "Root=1-x", sink: InvocationSink { _ in })
        inv.startedAt = .now()
        h.invocationStarted(inv)
        usleep(2000)
        inv.responseBegan()
        h.runtimeDone(inv, result: .success(ByteBuffer(string: "hello"), contentType: nil), status: .success)
        h.reported(inv, status: .success, durationMs: 4.25, memoryMB: 256, maxMemoryMB: 20, initDurationMs: nil)
        let failed = Invocation(payload: ByteBuffer(), sink: InvocationSink { _ in })
        failed.startedAt = .now()
        h.runtimeDone(failed, result: .functionError(type: "Error", body: ByteBuffer()), status: .error(type: "Error"))
        loop.advanceTime(by: .milliseconds(100))
        let all = dest.batches.flatMap { $0 }
        func record(_ type: String, _ id: String) throws -> [String: Any] {
            try #require(all.first { $0["type"] as? String == type && ($0["record"] as? [String: Any])?["requestId"] as? String == id }?["record"] as? [String: Any])
        }
        let done = try record("platform.runtimeDone", inv.requestID)
        #expect((done["metrics"] as? [String: Any])?["producedBytes"] as? Int == 5)
        let spans = try #require(done["spans"] as? [[String: Any]])
        #expect(spans.map { $0["name"] as? String } == ["responseLatency", "responseDuration"])
        #expect((spans[0]["durationMs"] as? Double ?? 0) >= 2)   // the 2 ms before the response began
        #expect((done["tracing"] as? [String: String])?["value"] == "Root=1-x")
        let report = try record("platform.report", inv.requestID)
        #expect((report["metrics"] as? [String: Any])?["billedDurationMs"] as? Int == 5)
        #expect((report["metrics"] as? [String: Any])?["initDurationMs"] == nil)
        let failure = try record("platform.runtimeDone", failed.requestID)
        #expect(failure["status"] as? String == "failure" && failure["errorType"] as? String == "Error")
        #expect(failure["spans"] == nil && (failure["metrics"] as? [String: Any])?["producedBytes"] == nil)
    }
}
