import Foundation
import LambdaEmulator
import XCTest

final class HTTPEventMappingTests: XCTestCase {
    private func event(_ format: HTTPEventFormat, method: String = "GET", target: String, headers: [(String, String)] = [],
                       body: [UInt8] = [], stage: String? = nil) throws -> [String: Any] {
        let r = HTTPRequestInfo(method: method, target: target, headers: [("Host", "localhost:9000")] + headers, body: body,
                                sourceIP: "192.0.2.9", requestID: "rid")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(HTTPEventMapping.event(r, format: format, stage: stage))) as? [String: Any])
    }

    func testFunctionURLEvent() throws {
        let e = try event(.functionURL, target: "/caf%C3%A9/a%20b?q=a%26b&q=%E2%9C%93&x",
                          headers: [("Cookie", "a=1; b=2"), ("Accept", "text/html"), ("X-Dup", "1"), ("X-Dup", "2")])
        XCTAssertEqual(e["version"] as? String, "2.0")
        XCTAssertEqual(e["rawPath"] as? String, "/café/a b", "Function URLs send rawPath decoded")
        XCTAssertEqual(e["rawQueryString"] as? String, "q=a%26b&q=%E2%9C%93&x")
        XCTAssertEqual(e["cookies"] as? [String], ["a=1", "b=2"])
        let headers = try XCTUnwrap(e["headers"] as? [String: String])
        XCTAssertNil(headers["cookie"], "cookies travel in `cookies`")
        XCTAssertEqual(headers["x-dup"], "1,2")
        XCTAssertEqual(headers["x-forwarded-proto"], "http")
        XCTAssertEqual(e["queryStringParameters"] as? [String: String], ["q": "a&b,✓", "x": ""])
        let http = try XCTUnwrap((e["requestContext"] as? [String: Any])?["http"] as? [String: Any])
        XCTAssertEqual(http["method"] as? String, "GET")
        XCTAssertEqual(http["sourceIp"] as? String, "192.0.2.9")
        XCTAssertNil(e["body"])
        XCTAssertEqual(e["isBase64Encoded"] as? Bool, false)
    }

    func testBodiesTextOrBase64() throws {
        let text = try event(.functionURL, method: "POST", target: "/", headers: [("Content-Type", "application/json")], body: Array("{\"a\":\"✓\"}".utf8))
        XCTAssertEqual(text["body"] as? String, "{\"a\":\"✓\"}")
        XCTAssertEqual(text["isBase64Encoded"] as? Bool, false)
        let bin = try event(.apiGatewayV2, method: "POST", target: "/", headers: [("Content-Type", "image/png")], body: [0, 255, 1])
        XCTAssertEqual(bin["body"] as? String, "AP8B")
        XCTAssertEqual(bin["isBase64Encoded"] as? Bool, true)
        let badText = try event(.apiGatewayV1, method: "POST", target: "/", headers: [("Content-Type", "text/plain")], body: [0xC3, 0x28])
        XCTAssertEqual(badText["isBase64Encoded"] as? Bool, true, "text that is not UTF-8 goes base64")
    }

    func testRESTEventWithStage() throws {
        let e = try event(.apiGatewayV1, target: "/prod/items/a%20b?q=1&q=2", headers: [("X-Dup", "1"), ("X-Dup", "2")], stage: "prod")
        XCTAssertEqual(e["path"] as? String, "/items/a%20b")
        XCTAssertEqual(e["httpMethod"] as? String, "GET")
        let context = try XCTUnwrap(e["requestContext"] as? [String: Any])
        XCTAssertEqual(context["path"] as? String, "/prod/items/a%20b")
        XCTAssertEqual(context["stage"] as? String, "prod")
        XCTAssertEqual(e["multiValueQueryStringParameters"] as? [String: [String]], ["q": ["1", "2"]])
        XCTAssertEqual(e["queryStringParameters"] as? [String: String], ["q": "2"])
        XCTAssertEqual((e["multiValueHeaders"] as? [String: [String]])?["x-dup"], ["1", "2"])
        XCTAssertEqual((e["headers"] as? [String: String])?["x-dup"], "2")
        XCTAssertTrue(e["queryStringParameters"] is [String: String])
        let root = try event(.apiGatewayV1, target: "/", stage: "prod")
        XCTAssertTrue(root["multiValueQueryStringParameters"] is NSNull)
    }

    func testV2ResponseWithCookies() {
        let payload = #"{"statusCode":201,"headers":{"content-type":"text/plain","x-a":"1, 2"},"cookies":["a=1","b=2; Path=/"],"body":"hi","isBase64Encoded":false}"#
        let r = HTTPEventMapping.response(payload: Array(payload.utf8), contentType: "application/json", format: .functionURL)
        XCTAssertEqual(r.status, 201)
        XCTAssertEqual(r.values("set-cookie"), ["a=1", "b=2; Path=/"])
        XCTAssertEqual(r.values("x-a"), ["1, 2"])
        XCTAssertEqual(r.body, Array("hi".utf8))
    }

    func testV1ResponseMultiValueAndBase64() {
        let payload = #"{"statusCode":200,"headers":{"content-type":"image/png","set-cookie":"last"},"multiValueHeaders":{"set-cookie":["a=1","b=2"]},"body":"AP8B","isBase64Encoded":true}"#
        let r = HTTPEventMapping.response(payload: Array(payload.utf8), contentType: nil, format: .apiGatewayV1)
        XCTAssertEqual(r.values("set-cookie"), ["a=1", "b=2"], "multiValueHeaders win over headers")
        XCTAssertEqual(r.values("content-type"), ["image/png"])
        XCTAssertEqual(r.body, [0, 255, 1])
    }

    func testPlainJSONResult() {
        let v2 = HTTPEventMapping.response(payload: Array(#"{"hello":"world"}"#.utf8), contentType: nil, format: .apiGatewayV2)
        XCTAssertEqual(v2.status, 200)
        XCTAssertEqual(v2.values("content-type"), ["application/json"])
        XCTAssertEqual(v2.body, Array(#"{"hello":"world"}"#.utf8))
        XCTAssertEqual(HTTPEventMapping.response(payload: Array("[1]".utf8), contentType: nil, format: .apiGatewayV1).status, 502)
        XCTAssertEqual(HTTPEventMapping.response(payload: Array(#"{"statusCode":"x"}"#.utf8), contentType: nil, format: .functionURL).status, 502)
    }

    func testIntegrationStreamFormat() throws {
        let prelude = Array(#"{"statusCode":206,"headers":{"content-type":"text/plain"},"cookies":["s=1","t=2"]}"#.utf8)
        let bytes = prelude + HTTPEventMapping.preludeDelimiter + Array("body\0with nul".utf8)
        XCTAssertEqual(HTTPEventMapping.preludeEnd(bytes), prelude.count)
        XCTAssertNil(HTTPEventMapping.preludeEnd(prelude + [0, 0, 0]))
        let head = try XCTUnwrap(HTTPEventMapping.streamHead(prelude: prelude))
        XCTAssertEqual(head.status, 206)
        XCTAssertEqual(head.values("set-cookie"), ["s=1", "t=2"])
        let whole = HTTPEventMapping.response(payload: bytes, contentType: HTTPEventMapping.integrationContentType, format: .functionURL)
        XCTAssertEqual(whole.status, 206)
        XCTAssertEqual(whole.body, Array("body\0with nul".utf8))
        XCTAssertEqual(HTTPEventMapping.response(payload: prelude, contentType: HTTPEventMapping.integrationContentType, format: .functionURL).status,
                       502, "a prelude without its delimiter")
    }

    func testPercentDecode() {
        XCTAssertEqual(HTTPEventMapping.percentDecode("a%20b+c%zz%", plusAsSpace: false), "a b+c%zz%")
        XCTAssertEqual(HTTPEventMapping.percentDecode("a+b%2B", plusAsSpace: true), "a b+")
    }
}
