import LambdaWire
import Testing

@Suite struct TimestampTests {
    @Test func millisecondsInUTC() {
        #expect(Timestamp.string(epochMs: 0) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.string(epochMs: 1_665_532_815_064) == "2022-10-12T00:00:15.064Z")
        #expect(Timestamp.string(epochMs: 1_798_761_599_999) == "2026-12-31T23:59:59.999Z")
    }

    @Test func nowHasTheSameShape() {
        let s = Timestamp.now()
        #expect(s.count == 24 && s.hasSuffix("Z") && s.dropFirst(10).first == "T", "\(s)")
    }
}
