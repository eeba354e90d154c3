import LambdaEmulator
import LambdaWire
import Testing

@Suite struct EventStreamTests {
    @Test func crc32KnownValues() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        let whole = CRC32.checksum(Array("hello world".utf8))
        let split = CRC32.checksum(Array(" world".utf8), seed: CRC32.checksum(Array("hello".utf8)))
        #expect(whole == split)
    }

    @Test func emptyMessageVector() {
        // The event-stream specification's "empty message" vector.
        #expect(hex(EventStreamMessage(headers: [], payload: []).encoded()) == "000000100000000005c248eb7d98c8ff")
    }

    @Test func payloadChunkVector() {
        // Encoded independently (zlib.crc32) and checked with botocore's EventStreamBuffer.
        let expected = "0000006f0000005af5fe871f0b3a6576656e742d7479706507000c5061796c6f61644368756e6b0d3a636f6e74656e742d74797065"
            + "0700186170706c69636174696f6e2f6f637465742d73747265616d0d3a6d6573736167652d747970650700056576656e7468656c6c6f29e71260"
        #expect(hex(InvokeComplete.payloadChunk(Array("hello".utf8)).encoded()) == expected)
    }

    @Test func roundTripAndPartialInput() throws {
        let message = InvokeComplete(errorCode: "Oops", errorDetails: "it \"broke\"", logResult: "TE9H").message
        let bytes = message.encoded()
        #expect(try EventStreamMessage.decode(bytes.dropLast()[...]) == nil)
        let (decoded, consumed) = try #require(try EventStreamMessage.decode(bytes[...] + [1, 2, 3]))
        #expect(consumed == bytes.count)
        #expect(decoded == message)
        #expect(decoded.header(":event-type") == "InvokeComplete")
        #expect(decoded.header(":content-type") == "application/json")
        #expect(decoded.header(":message-type") == "event")
        #expect(String(decoding: decoded.payload, as: UTF8.self)
                == #"{"ErrorCode":"Oops","ErrorDetails":"it \"broke\"","LogResult":"TE9H"}"#)
    }

    @Test func corruptionIsDetected() {
        var bytes = InvokeComplete.payloadChunk([1, 2, 3]).encoded()
        bytes[bytes.count - 6] ^= 0xff
        let corruptPayload = bytes
        #expect(throws: EmulatorError.messageChecksum) { try EventStreamMessage.decode(corruptPayload[...]) }
        bytes = InvokeComplete.payloadChunk([1, 2, 3]).encoded()
        bytes[1] ^= 0x01
        let corruptPrelude = bytes
        #expect(throws: EmulatorError.preludeChecksum) { try EventStreamMessage.decode(corruptPrelude[...]) }
    }

    /// Found by fuzzing (t/fuzz/event_stream): a header value that is not UTF-8 was decoded with replacement
    /// characters, so the message no longer matched its bytes. It is refused now.
    @Test func headerStringsMustBeUTF8() throws {
        var bytes = EventStreamMessage(headers: [EventStreamHeader(":message-type", "abc")], payload: [1]).encoded()
        let at = try #require(bytes.firstIndex(of: UInt8(ascii: "a")))
        bytes.replaceSubrange(at..<at + 3, with: [0xE5, 0xCB, 0x41])
        let crc = CRC32.checksum(bytes[..<(bytes.count - 4)])
        bytes.replaceSubrange((bytes.count - 4)..., with: (0..<4).map { UInt8(truncatingIfNeeded: crc >> (24 - 8 * $0)) })
        let malformed = bytes
        #expect(throws: EmulatorError.malformedHeaders) { try EventStreamMessage.decode(malformed[...]) }
    }

    @Test func invokeCompleteOmitsAbsentFields() {
        #expect(InvokeComplete().json == "{}")
        #expect(InvokeComplete(logResult: "eA==").json == #"{"LogResult":"eA=="}"#)
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
