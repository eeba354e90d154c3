import Foundation
import LambdaEmulator
import XCTest

final class SampleEventTests: XCTestCase {
    private func object(_ e: SampleEvent, _ configure: (inout SampleEvent.Options) -> Void = { _ in }) throws -> [String: Any] {
        var o = SampleEvent.Options()
        configure(&o)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(e.json(o).utf8)) as? [String: Any])
    }

    func testEveryEventIsJSON() throws {
        for e in SampleEvent.allCases {
            XCTAssertFalse(try object(e).isEmpty, e.rawValue)
            XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(e.json(.init(), pretty: true).utf8)))
        }
    }

    func testHTTPEventsCarryMethodPathBody() throws {
        let v1 = try object(.apigatewayV1) { $0.method = "POST"; $0.path = "/items"; $0.body = "{}" }
        XCTAssertEqual(v1["httpMethod"] as? String, "POST")
        XCTAssertEqual(v1["path"] as? String, "/items")
        XCTAssertEqual(v1["body"] as? String, "{}")
        let v2 = try object(.apigatewayV2) { $0.method = "PUT"; $0.path = "/a"; $0.query = ["q": "1"] }
        XCTAssertEqual(v2["version"] as? String, "2.0")
        XCTAssertEqual(v2["rawPath"] as? String, "/a")
        XCTAssertEqual(v2["rawQueryString"] as? String, "q=1")
        XCTAssertEqual(((v2["requestContext"] as? [String: Any])?["http"] as? [String: Any])?["method"] as? String, "PUT")
        let url = try object(.functionURL)
        XCTAssertTrue((((url["requestContext"] as? [String: Any])?["domainName"] as? String) ?? "").contains(".lambda-url."))
        let alb = try object(.alb) { $0.method = "DELETE" }
        XCTAssertEqual(alb["httpMethod"] as? String, "DELETE")
        XCTAssertNotNil((alb["requestContext"] as? [String: Any])?["elb"])
    }

    func testRecordEvents() throws {
        let s3 = try object(.s3) { $0.bucket = "b"; $0.key = "k" }
        let rec = try XCTUnwrap((s3["Records"] as? [[String: Any]])?.first?["s3"] as? [String: Any])
        XCTAssertEqual((rec["bucket"] as? [String: Any])?["name"] as? String, "b")
        XCTAssertEqual((rec["object"] as? [String: Any])?["key"] as? String, "k")
        let sqs = try object(.sqs) { $0.body = "m" }
        XCTAssertEqual((sqs["Records"] as? [[String: Any]])?.first?["body"] as? String, "m")
        let sns = try object(.sns) { $0.body = "n" }
        XCTAssertEqual(((sns["Records"] as? [[String: Any]])?.first?["Sns"] as? [String: Any])?["Message"] as? String, "n")
        let eb = try object(.eventbridge) { $0.body = #"{"x":1}"# }
        XCTAssertEqual((eb["detail"] as? [String: Any])?["x"] as? Int, 1)
        XCTAssertEqual(try object(.schedule)["detail-type"] as? String, "Scheduled Event")
    }
}
