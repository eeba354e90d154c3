import Foundation
import LambdaWire
import Testing

@Suite("Base64 (RFC 4648)")
struct Base64Tests {
    /// RFC 4648 section 10 test vectors.
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    @Test(arguments: vectors)
    func encodesRFCVectors(_ plain: String, _ encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.encode(plain.utf8) == encoded) // any Collection of bytes
    }

    @Test(arguments: vectors)
    func decodesRFCVectors(_ plain: String, _ encoded: String) {
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test(arguments: vectors)
    func decodesUnpaddedAndWrapped(_ plain: String, _ encoded: String) {
        let unpadded = encoded.replacingOccurrences(of: "=", with: "")
        #expect(Base64.decode(unpadded) == Array(plain.utf8))
        #expect(Base64.decode(String(encoded.flatMap { [$0, "\r", "\n"] })) == Array(plain.utf8))
    }

    @Test func usesTheStandardAlphabetNotURLSafe() {
        #expect(Base64.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
        #expect(Base64.encode([0x00, 0x10, 0x83]) == "ABCD")
        #expect(Base64.decode("+/+/") == [0xFB, 0xFF, 0xBF])
        #expect(Base64.decode("-_-_") == nil)
    }

    @Test(arguments: ["Zm9v!", "Zm 9v", "Zm9v\u{0}", "ä", "Zm9vY", "A"])
    func rejectsInvalidInput(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test func allByteValues() {
        let bytes = (0...255).map(UInt8.init)
        let encoded = Base64.encode(bytes)
        #expect(encoded == Data(bytes).base64EncodedString())
        #expect(Base64.decode(encoded) == bytes)
    }

    @Test func randomBytesRoundTripAndMatchFoundation() {
        var rng = SplitMix64(seed: 42)
        for length in Array(0..<70) + [255, 256, 257, 1000, 4096, 65537] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let encoded = Base64.encode(bytes)
            #expect(encoded.utf8.count == (length + 2) / 3 * 4)
            #expect(encoded == Data(bytes).base64EncodedString(), "length \(length)")
            #expect(Base64.decode(encoded) == bytes, "length \(length)")
            #expect(Data(base64Encoded: encoded) == Data(bytes))
        }
    }

    @Test func decodesFoundationOutputWithLineBreaks() {
        var rng = SplitMix64(seed: 7)
        let bytes = (0..<3000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let wrapped = Data(bytes).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        #expect(wrapped.contains("\r\n"))
        #expect(Base64.decode(wrapped) == bytes)
    }

    @Test func paddingInTheMiddleIsRejected() {
        // Two padded groups concatenated are not one base64 text; decoding "Zg==Zg==" must not yield
        // the 3 bytes of "ZgZg".
        #expect(Base64.decode("Zg==Zg==") == nil)
    }
}
