import Foundation
import LambdaEmulator
import Testing

@Suite struct SampleEventTests {
    private func object(_ e: SampleEvent, _ configure: (inout SampleEvent.Options) -> Void = { _ in }) throws -> [String: Any] {
        var o = SampleEvent.Options()
        configure(&o)
        return try #require(try JSONSerialization.jsonObject(with: Data(e.json(o).utf8)) as? [String: Any])
    }

    @Test func everyEventIsJSON() throws {
        for e in SampleEvent.allCases {
            #expect(try !object(e).isEmpty, "\(e.rawValue)")
            #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: Data(e.json(.init(), pretty: true).utf8)) }
        }
    }

    @Test func httpEventsCarryMethodPathBody() throws {
        let v1 = try object(.apigatewayV1) { $0.method = "POST"; $0.path = "/items"; $0.body = "{}" }
        #expect(v1["httpMethod"] as? String == "POST")
        #expect(v1["path"] as? String == "/items")
        #expect(v1["body"] as? String == "{}")
        let v2 = try object(.apigatewayV2) { $0.method = "PUT"; $0.path = "/a"; $0.query = ["q": "1"] }
        #expect(v2["version"] as? String == "2.0")
        #expect(v2["rawPath"] as? String == "/a")
        #expect(v2["rawQueryString"] as? String == "q=1")
        #expect(((v2["requestContext"] as? [String: Any])?["http"] as? [String: Any])?["method"] as? String == "PUT")
        let url = try object(.functionURL)
        let domainName = ((url["requestContext"] as? [String: Any])?["domainName"] as? String) ?? ""
        #expect(domainName.contains(".lambda-url."))
        let alb = try object(.alb) { $0.method = "DELETE" }
        #expect(alb["httpMethod"] as? String == "DELETE")
        #expect((alb["requestContext"] as? [String: Any])?["elb"] != nil)
    }

    @Test func recordEvents() throws {
        let s3 = try object(.s3) { $0.bucket = "b"; $0.key = "k" }
        let rec = try #require((s3["Records"] as? [[String: Any]])?.first?["s3"] as? [String: Any])
        #expect((rec["bucket"] as? [String: Any])?["name"] as? String == "b")
        #expect((rec["object"] as? [String: Any])?["key"] as? String == "k")
        let sqs = try object(.sqs) { $0.body = "m" }
        #expect((sqs["Records"] as? [[String: Any]])?.first?["body"] as? String == "m")
        let sns = try object(.sns) { $0.body = "n" }
        #expect(((sns["Records"] as? [[String: Any]])?.first?["Sns"] as? [String: Any])?["Message"] as? String == "n")
        let eb = try object(.eventbridge) { $0.body = #"{"x":1}"# }
        #expect((eb["detail"] as? [String: Any])?["x"] as? Int == 1)
        #expect(try object(.schedule)["detail-type"] as? String == "Scheduled Event")
    }
}
