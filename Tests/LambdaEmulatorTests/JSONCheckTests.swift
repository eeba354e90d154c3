import Foundation
@testable import LambdaEmulator
import LambdaWire
import Testing

@Suite struct JSONCheckTests {
    func valid(_ text: String) -> Bool { JSONCheck.check(Array(text.utf8)) == nil }

    @Test func acceptsJSONTexts() {
        for text in ["{}", "[]", "0", "-0.5e+10", "\"\"", "true", "false", "null", " {\"a\" : [1, 2.5, \"x\", {}, []] } ",
                     "[\"\\u00e9\\ud83d\\ude00\\n\\/\"]", "\"h\u{e9}\u{65e5}\u{1F42A}\"", "[1E3,0.0,-1]", "{\"\":null}"] {
            #expect(valid(text), "\(text)")
            #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil,
                    "Foundation agrees: \(text)")
        }
    }

    @Test func refusesWhatIsNotJSON() {
        for text in ["", " ", "{", "[1,]", "{\"a\"}", "{\"a\":}", "{a:1}", "[1 2]", "01", "1.", ".5", "-", "1e", "+1",
                     "tru", "nul", "[true false]", "\"unterminated", "\"tab\there\"", "\"bad \\x escape\"", "\"\\u12\"",
                     "{} {}", "[1]]", "{\"a\":1,}", "NaN", "'single'"] {
            #expect(!valid(text), "\(text)")
            // Foundation accepts trailing commas (the service, and so serve, does not)
            if !text.contains(",]") && !text.contains(",}") {
                #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) == nil,
                        "Foundation agrees: \(text)")
            }
        }
    }

    @Test func refusesMalformedUTF8() {
        for bytes: [UInt8] in [[0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],
                               [0x22, 0xE2, 0x82, 0x22], [0x22, 0xFF, 0x22], [0x22, 0x80, 0x22]] {
            #expect(JSONCheck.check(bytes) != nil, "\(bytes)")
        }
        #expect(JSONCheck.check([0x22, 0xF0, 0x9F, 0x90, 0xAA, 0x22]) == nil)
    }

    /// The service's limit (1,000) rather than Foundation's (512); deeper is refused with where it happened.
    @Test func nestingDepth() throws {
        let ok = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        #expect(valid(ok))
        let objects = String(repeating: "{\"a\":", count: 1000) + "1" + String(repeating: "}", count: 1000)
        #expect(valid(objects))
        let deep = "\n" + String(repeating: "[", count: 1001) + String(repeating: "]", count: 1001)
        let failure = try #require(JSONCheck.check(Array(deep.utf8)))
        #expect(failure.kind == .tooDeep)
        #expect(failure.location == "line 2, column 1001")
        // a million levels: refused, without exhausting the stack
        let hostile = [UInt8](repeating: UInt8(ascii: "["), count: 1_000_000)
        #expect(JSONCheck.check(hostile)?.kind == .tooDeep)
    }

    @Test func syntaxErrorsSayWhere() throws {
        let f = try #require(JSONCheck.check(Array("{\"a\": [1,\n  2,, 3]}".utf8)))
        #expect(f.kind == .syntax)
        #expect(f.location == "line 2, column 5")
    }

    @Test func invokePayloadErrors() {
        let deep = Array((String(repeating: "[", count: 600) + String(repeating: "]", count: 600)).utf8)
        guard case .success = InvokeRequest.validatePayload(deep) else {
            Issue.record("600 levels are within Lambda's limit")
            return
        }
        let tooDeep = Array((String(repeating: "{\"k\":", count: 1200) + "0" + String(repeating: "}", count: 1200)).utf8)
        guard case .failure(let e) = InvokeRequest.validatePayload(tooDeep) else {
            Issue.record("1,200 levels are refused")
            return
        }
        #expect(e.type == "InvalidRequestContentException")
        #expect(e.message.contains("Document nesting depth (1001) exceeds the maximum allowed (1000) at line 1, column 5001"), "\(e.message)")
        guard case .failure(let bad) = InvokeRequest.validatePayload(Array("{\"a\":tru}".utf8)) else {
            Issue.record("invalid JSON is refused")
            return
        }
        #expect(bad.message.contains("Unrecognized token '{\"a\":tru}'"), "\(bad.message)")
        #expect(bad.message.hasSuffix("at line 1, column 6"), "\(bad.message)")
    }
}
