@testable import LambdaEmulator
import Testing

@Suite struct TelemetrySubscriptionTests {
    private func parse(_ json: String, _ api: TelemetryAPIKind = .telemetry) -> Result<TelemetrySubscription, TelemetrySubscription.Refusal> {
        TelemetrySubscription.parse(Array(json.utf8), api: api)
    }

    private func refusal(_ json: String, _ api: TelemetryAPIKind = .telemetry) -> TelemetrySubscription.Refusal? {
        if case .failure(let r) = parse(json, api) { return r }
        return nil
    }

    @Test func aFullRequest() throws {
        let s = try parse("""
            {"schemaVersion":"2022-12-13","destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:4243/tel?x=1"},
             "types":["platform","function","function"],"buffering":{"maxItems":2000,"maxBytes":300000,"timeoutMs":25}}
            """).get()
        #expect(s.schemaVersion == "2022-12-13")
        #expect(s.types == [.platform, .function])
        #expect(s.buffering == .init(maxItems: 2000, maxBytes: 300_000, timeoutMs: 25))
        #expect(s.host == "sandbox.localdomain" && s.port == 4243 && s.path == "/tel?x=1")
    }

    @Test func defaultsDifferByAPI() throws {
        let body = #"{"schemaVersion":"2022-07-01","destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:8080"},"types":["platform"]}"#
        let t = try parse(body).get()
        #expect(t.buffering == .init(maxItems: 1000, maxBytes: 262_144, timeoutMs: 1000))
        #expect(t.path == "/")
        let logs = try parse(#"{"destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:8080/l"},"types":["function"]}"#, .logs).get()
        #expect(logs.schemaVersion == "2020-08-15")
        #expect(logs.buffering == .init(maxItems: 10_000, maxBytes: 262_144, timeoutMs: 1000))
    }

    @Test func bufferingBounds() throws {
        func body(_ b: String) -> String {
            #"{"schemaVersion":"2022-12-13","destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:1"},"types":["platform"],"buffering":"# + b + "}"
        }
        for ok in [#"{"maxItems":1000,"maxBytes":262144,"timeoutMs":25}"#, #"{"maxItems":10000,"maxBytes":1048576,"timeoutMs":30000}"#] {
            #expect(refusal(body(ok)) == nil, "\(ok)")
        }
        for (bad, key) in [(#"{"maxItems":999}"#, "maxItems"), (#"{"maxItems":10001}"#, "maxItems"),
                           (#"{"maxBytes":262143}"#, "maxBytes"), (#"{"maxBytes":1048577}"#, "maxBytes"),
                           (#"{"timeoutMs":24}"#, "timeoutMs"), (#"{"timeoutMs":30001}"#, "timeoutMs"),
                           (#"{"timeoutMs":100.5}"#, "timeoutMs"), (#"{"timeoutMs":"100"}"#, "timeoutMs")] {
            let r = try #require(refusal(body(bad)), "\(bad)")
            #expect(r.status == 400 && r.errorType == "ValidationError")
            #expect(r.message.contains("buffering.\(key)"), "\(r.message)")
        }
    }

    @Test func everyProblemInOneAnswerAsAWSWordsIt() throws {
        let r = try #require(refusal(#"{"schemaVersion":"2022-12-13","destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain"},"types":[]}"#))
        #expect(r.message == "URI port is not provided; types should not be empty")
        let logs = try #require(refusal(#"{"destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain"},"types":["function"]}"#, .logs))
        #expect(logs.errorType == "Logs.ValidationError")
    }

    @Test func refusedRequests() throws {
        let dest = #""destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:9"}"#
        let cases: [(String, String)] = [
            ("[]", "not a JSON object"),
            ("{" + dest + #","types":["platform"]}"#, "schemaVersion is required"),
            (#"{"schemaVersion":"2020-08-15","# + dest + #","types":["platform"]}"#, "schemaVersion must be one of"),
            (#"{"schemaVersion":"2022-12-13","types":["platform"]}"#, "destination is required"),
            (#"{"schemaVersion":"2022-12-13","destination":{"protocol":"HTTPS","URI":"http://sandbox.localdomain:9"},"types":["platform"]}"#, "protocol must be HTTP or TCP"),
            (#"{"schemaVersion":"2022-12-13","destination":{"protocol":"HTTP","URI":"https://sandbox.localdomain:9"},"types":["platform"]}"#, "must use http"),
            (#"{"schemaVersion":"2022-12-13","destination":{"protocol":"HTTP","URI":"http://example.com:9"},"types":["platform"]}"#, "host must be sandbox.localdomain"),
            (#"{"schemaVersion":"2022-12-13","destination":{"protocol":"HTTP"},"types":["platform"]}"#, "destination.URI is required"),
            (#"{"schemaVersion":"2022-12-13","destination":{"protocol":"TCP","port":9},"types":["platform"]}"#, "TCP is not supported"),
            (#"{"schemaVersion":"2022-12-13","# + dest + #","types":["platform","logs"]}"#, "logs is not one of"),
            (#"{"schemaVersion":"2022-12-13","# + dest + "}", "types is required"),
            (#"{"schemaVersion":"2022-12-13","# + dest + #","types":["platform"],"buffering":7}"#, "buffering must be an object"),
        ]
        for (body, words) in cases {
            let r = try #require(refusal(body), "\(body)")
            #expect(r.status == 400)
            #expect(r.message.contains(words), "\(body): \(r.message)")
        }
    }

    @Test func paths() {
        #expect(TelemetryAPIKind.parse(path: "/2022-07-01/telemetry") == .telemetry)
        #expect(TelemetryAPIKind.parse(path: "/2022-07-01/telemetry/") == .telemetry)
        #expect(TelemetryAPIKind.parse(path: "/2020-08-15/logs") == .logs)
        #expect(TelemetryAPIKind.parse(path: "/2020-08-15/telemetry") == nil)
    }
}
