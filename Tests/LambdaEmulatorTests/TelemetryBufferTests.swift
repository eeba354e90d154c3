import Foundation
@testable import LambdaEmulator
import Testing

@Suite struct TelemetryBufferTests {
    private let small = TelemetrySubscription.Buffering(maxItems: 1000, maxBytes: 262_144, timeoutMs: 100)

    private func event(_ i: Int, size: Int = 10) -> [UInt8] {
        let s = "\"\(i)" + String(repeating: "x", count: max(0, size - "\"\(i)\"".count)) + "\""
        return Array(s.utf8)
    }

    private func decode(_ body: [UInt8]) throws -> [Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [Any])
    }

    @Test func fullAtMaxItemsAndBatchesHoldAtMostMaxItems() throws {
        var b = TelemetryBuffer(buffering: small)
        for i in 0..<999 { b.append(event(i)) }
        #expect(!b.isFull)
        b.append(event(999))
        #expect(b.isFull)
        for i in 1000..<1500 { b.append(event(i)) }
        let first = try #require(b.takeBatch { _, _ in nil })
        #expect(first.events == 1000)
        let items = try decode(first.body)
        #expect(items.count == 1000)
        #expect((items.first as? String)?.hasPrefix("0") == true && (items.last as? String)?.hasPrefix("999") == true)
        #expect(try #require(b.takeBatch { _, _ in nil }).events == 500)
        #expect(b.takeBatch { _, _ in nil } == nil)
    }

    @Test func fullAtMaxBytesAndBatchesStayUnderIt() throws {
        var b = TelemetryBuffer(buffering: small)
        for i in 0..<26 { b.append(event(i, size: 10_000)) }
        #expect(!b.isFull)   // 260,000 < 262,144
        b.append(event(26, size: 10_000))
        #expect(b.isFull)
        let batch = try #require(b.takeBatch { _, _ in nil })
        #expect(batch.events == 26)   // a 27th would pass maxBytes
        #expect(try #require(b.takeBatch { _, _ in nil }).events == 1)
        b.append(event(1, size: 300_000))   // one event larger than maxBytes still goes, alone
        b.append(event(2))
        #expect(try #require(b.takeBatch { _, _ in nil }).events == 1)
        #expect(try #require(b.takeBatch { _, _ in nil }).events == 1)
    }

    @Test func dropsPastTheBacklogAndReportsItFirst() throws {
        var b = TelemetryBuffer(buffering: small)
        let capacity = small.maxItems * TelemetryBuffer.backlogBatches
        for i in 0..<(capacity + 7) { b.append(event(i)) }
        #expect(b.count == capacity)
        #expect(b.droppedRecords == 7 && b.droppedBytes == 70)
        var seen: (Int, Int)?
        let batch = try #require(b.takeBatch { r, bytes in
            seen = (r, bytes)
            return Array(#"{"type":"platform.logsDropped"}"#.utf8)
        })
        #expect(seen?.0 == 7 && seen?.1 == 70)
        let items = try decode(batch.body)
        #expect((items[0] as? [String: String])?["type"] == "platform.logsDropped")
        #expect((items[1] as? String)?.hasPrefix("0") == true)
        #expect(b.droppedRecords == 0)
    }

    @Test func undeliveredBatchesCountAsDropped() throws {
        var b = TelemetryBuffer(buffering: small)
        b.lost(events: 3, bytes: 99)
        #expect(!b.isEmpty)
        var seen = 0
        let batch = try #require(b.takeBatch { r, _ in seen = r; return Array("1".utf8) })
        #expect(seen == 3 && batch.body == Array("[1]".utf8))
    }
}
