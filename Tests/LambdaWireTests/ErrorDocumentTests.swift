import Foundation
import LambdaWire
import Testing

/// Decodes JSON text with Foundation (an independent parser) to check that what we emit is valid JSON.
func parseJSON(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}

@Suite("ErrorDocument JSON")
struct ErrorDocumentTests {
    @Test func plainDocumentHasTheLambdaShape() throws {
        let doc = ErrorDocument(type: "Error", message: "boom at handler.pl line 3.\n",
                                stackTrace: ["main::handle at handler.pl line 3", "main at x line 1"])
        #expect(doc.json == #"{"errorMessage":"boom at handler.pl line 3.\n","errorType":"Error","stackTrace":["main::handle at handler.pl line 3","main at x line 1"]}"#)
        #expect(doc.bytes == Array(doc.json.utf8))
        let obj = try #require(try parseJSON(doc.json) as? [String: Any])
        #expect(Set(obj.keys) == ["errorMessage", "errorType", "stackTrace"])
        #expect(obj["errorMessage"] as? String == "boom at handler.pl line 3.\n")
        #expect(obj["stackTrace"] as? [String] == ["main::handle at handler.pl line 3", "main at x line 1"])
    }

    @Test func emptyStackTraceIsAnEmptyArray() {
        #expect(ErrorDocument(type: "T", message: "m").json == #"{"errorMessage":"m","errorType":"T","stackTrace":[]}"#)
    }

    @Test func quotesAndBackslashesAreEscaped() throws {
        let doc = ErrorDocument(type: #"My::"Error"\"#, message: #"he said "hi" \o/ C:\path"#, stackTrace: [#"a"b\c"#])
        #expect(doc.json == #"{"errorMessage":"he said \"hi\" \\o/ C:\\path","errorType":"My::\"Error\"\\","stackTrace":["a\"b\\c"]}"#)
        let obj = try #require(try parseJSON(doc.json) as? [String: Any])
        #expect(obj["errorMessage"] as? String == doc.errorMessage)
        #expect(obj["errorType"] as? String == doc.errorType)
        #expect(obj["stackTrace"] as? [String] == doc.stackTrace)
    }

    @Test func controlCharactersAreEscaped() throws {
        let message = "nul\u{0}bel\u{7}bs\u{8}tab\tnl\nff\u{C}cr\resc\u{1B}us\u{1F}del\u{7F}"
        let json = ErrorDocument(type: "E", message: message).json
        #expect(json.contains(#""nul\u0000bel\u0007bs\u0008tab\tnl\nff\u000ccr\resc\u001bus\u001fdel"#))
        // No raw control character (< 0x20) may remain in the text.
        #expect(!json.unicodeScalars.contains { $0.value < 0x20 })
        let obj = try #require(try parseJSON(json) as? [String: Any])
        #expect(obj["errorMessage"] as? String == message)
    }

    @Test(arguments: ["ünïcödé", "日本語のエラー", "emoji 🐪🔥", "\u{2028}line sep\u{2029}", "é (e + combining acute)"])
    func nonASCIIPassesThroughAsUTF8(_ message: String) throws {
        let json = ErrorDocument(type: "Error", message: message).json
        #expect(json.contains(message))
        let obj = try #require(try parseJSON(json) as? [String: Any])
        #expect(obj["errorMessage"] as? String == message)
    }

    @Test func everyScalarBelow0x80RoundTrips() throws {
        let message = String(String.UnicodeScalarView((0..<0x80).compactMap(Unicode.Scalar.init)))
        let obj = try #require(try parseJSON(ErrorDocument(type: "E", message: message).json) as? [String: Any])
        #expect(obj["errorMessage"] as? String == message)
    }

    @Test(arguments: [6_291_557, 7_000_000, 100_000_000])
    func responseTooLarge(_ size: Int) throws {
        let doc = ErrorDocument.responseTooLarge(size)
        #expect(doc.errorType == "Function.ResponseSizeTooLarge")
        #expect(doc.errorMessage == "Response payload size (\(size) bytes) exceeded maximum allowed payload size (6291556 bytes).")
        #expect(doc.stackTrace.isEmpty)
        let obj = try #require(try parseJSON(doc.json) as? [String: Any])
        #expect(obj["errorType"] as? String == "Function.ResponseSizeTooLarge")
    }

    @Test func equatable() {
        #expect(ErrorDocument(type: "A", message: "m") == ErrorDocument(type: "A", message: "m", stackTrace: []))
        #expect(ErrorDocument(type: "A", message: "m") != ErrorDocument(type: "A", message: "m", stackTrace: ["x"]))
    }
}

@Suite("JSONText")
struct JSONTextTests {
    @Test(arguments: [
        ("", #""""#),
        ("plain", #""plain""#),
        ("\"", #""\"""#),
        ("\\", #""\\""#),
        ("/", #""/""#),
        ("a\nb\rc\td", #""a\nb\rc\td""#),
        ("\u{0}\u{1}\u{10}\u{1F}", #""\u0000\u0001\u0010\u001f""#),
        ("\u{20}~\u{7F}", "\"\u{20}~\u{7F}\""),
        ("ä€𝄞", "\"ä€𝄞\""),
    ])
    func quoted(_ input: String, _ expected: String) throws {
        #expect(JSONText.quoted(input) == expected)
        #expect(try parseJSON(expected) as? String == input)
    }

    @Test func appendStringAppends() {
        var out = "["
        JSONText.appendString("a\"", to: &out)
        out += ","
        JSONText.appendString("b", to: &out)
        out += "]"
        #expect(out == #"["a\"","b"]"#)
    }

    @Test func randomStringsRoundTripThroughAJSONParser() throws {
        var rng = SplitMix64(seed: 0x5EED)
        let pool: [Unicode.Scalar] = (0..<0x80).compactMap(Unicode.Scalar.init) + ["é", "€", "😀", "\u{FFFD}", "\u{10FFFF}"]
        for _ in 0..<500 {
            let n = Int(rng.next() % 40)
            let s = String(String.UnicodeScalarView((0..<n).map { _ in pool[Int(rng.next() % UInt64(pool.count))] }))
            let parsed = try parseJSON(JSONText.quoted(s)) as? String
            #expect(parsed == s, "round trip of \(s.debugDescription)")
        }
    }
}

/// A tiny deterministic PRNG so random tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
