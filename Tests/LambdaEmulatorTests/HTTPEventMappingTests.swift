import Foundation
import LambdaEmulator
import Testing

@Suite struct HTTPEventMappingTests {
    private func event(_ format: HTTPEventFormat, method: String = "GET", target: String, headers: [(String, String)] = [],
                       body: [UInt8] = [], stage: String? = nil) throws -> [String: Any] {
        let r = HTTPRequestInfo(method: method, target: target, headers: [("Host", "localhost:9000")] + headers, body: body,
                                sourceIP: "192.0.2.9", requestID: "rid")
        return try #require(JSONSerialization.jsonObject(with: Data(HTTPEventMapping.event(r, format: format, stage: stage))) as? [String: Any])
    }

    @Test func functionURLEvent() throws {
        let e = try event(.functionURL, target: "/caf%C3%A9/a%20b?q=a%26b&q=%E2%9C%93&x",
                          headers: [("Cookie", "a=1; b=2"), ("Accept", "text/html"), ("X-Dup", "1"), ("X-Dup", "2")])
        #expect(e["version"] as? String == "2.0")
        #expect(e["rawPath"] as? String == "/café/a b", "Function URLs send rawPath decoded")
        #expect(e["rawQueryString"] as? String == "q=a%26b&q=%E2%9C%93&x")
        #expect(e["cookies"] as? [String] == ["a=1", "b=2"])
        let headers = try #require(e["headers"] as? [String: String])
        #expect(headers["cookie"] == nil, "cookies travel in `cookies`")
        #expect(headers["x-dup"] == "1,2")
        #expect(headers["x-forwarded-proto"] == "http")
        #expect(e["queryStringParameters"] as? [String: String] == ["q": "a&b,✓", "x": ""])
        let http = try #require((e["requestContext"] as? [String: Any])?["http"] as? [String: Any])
        #expect(http["method"] as? String == "GET")
        #expect(http["sourceIp"] as? String == "192.0.2.9")
        #expect(e["body"] == nil)
        #expect(e["isBase64Encoded"] as? Bool == false)
    }

    @Test func bodiesTextOrBase64() throws {
        let text = try event(.functionURL, method: "POST", target: "/", headers: [("Content-Type", "application/json")], body: Array("{\"a\":\"✓\"}".utf8))
        #expect(text["body"] as? String == "{\"a\":\"✓\"}")
        #expect(text["isBase64Encoded"] as? Bool == false)
        let bin = try event(.apiGatewayV2, method: "POST", target: "/", headers: [("Content-Type", "image/png")], body: [0, 255, 1])
        #expect(bin["body"] as? String == "AP8B")
        #expect(bin["isBase64Encoded"] as? Bool == true)
        let badText = try event(.apiGatewayV1, method: "POST", target: "/", headers: [("Content-Type", "text/plain")], body: [0xC3, 0x28])
        #expect(badText["isBase64Encoded"] as? Bool == true, "text that is not UTF-8 goes base64")
    }

    @Test func restEventWithStage() throws {
        let e = try event(.apiGatewayV1, target: "/prod/items/a%20b?q=1&q=2", headers: [("X-Dup", "1"), ("X-Dup", "2")], stage: "prod")
        #expect(e["path"] as? String == "/items/a%20b")
        #expect(e["httpMethod"] as? String == "GET")
        let context = try #require(e["requestContext"] as? [String: Any])
        #expect(context["path"] as? String == "/prod/items/a%20b")
        #expect(context["stage"] as? String == "prod")
        #expect(e["multiValueQueryStringParameters"] as? [String: [String]] == ["q": ["1", "2"]])
        #expect(e["queryStringParameters"] as? [String: String] == ["q": "2"])
        #expect((e["multiValueHeaders"] as? [String: [String]])?["x-dup"] == ["1", "2"])
        #expect((e["headers"] as? [String: String])?["x-dup"] == "2")
        #expect(e["queryStringParameters"] is [String: String])
        let root = try event(.apiGatewayV1, target: "/", stage: "prod")
        #expect(root["multiValueQueryStringParameters"] is NSNull)
    }

    @Test func v2ResponseWithCookies() {
        let payload = #"{"statusCode":201,"headers":{"content-type":"text/plain","x-a":"1, 2"},"cookies":["a=1","b=2; Path=/"],"body":"hi","isBase64Encoded":false}"#
        let r = HTTPEventMapping.response(payload: Array(payload.utf8), contentType: "application/json", format: .functionURL)
        #expect(r.status == 201)
        #expect(r.values("set-cookie") == ["a=1", "b=2; Path=/"])
        #expect(r.values("x-a") == ["1, 2"])
        #expect(r.body == Array("hi".utf8))
    }

    @Test func v1ResponseMultiValueAndBase64() {
        let payload = #"{"statusCode":200,"headers":{"content-type":"image/png","set-cookie":"last"},"multiValueHeaders":{"set-cookie":["a=1","b=2"]},"body":"AP8B","isBase64Encoded":true}"#
        let r = HTTPEventMapping.response(payload: Array(payload.utf8), contentType: nil, format: .apiGatewayV1)
        #expect(r.values("set-cookie") == ["a=1", "b=2"], "multiValueHeaders win over headers")
        #expect(r.values("content-type") == ["image/png"])
        #expect(r.body == [0, 255, 1])
    }

    @Test func plainJSONResult() {
        let v2 = HTTPEventMapping.response(payload: Array(#"{"hello":"world"}"#.utf8), contentType: nil, format: .apiGatewayV2)
        #expect(v2.status == 200)
        #expect(v2.values("content-type") == ["application/json"])
        #expect(v2.body == Array(#"{"hello":"world"}"#.utf8))
        #expect(HTTPEventMapping.response(payload: Array("[1]".utf8), contentType: nil, format: .apiGatewayV1).status == 502)
        #expect(HTTPEventMapping.response(payload: Array(#"{"statusCode":"x"}"#.utf8), contentType: nil, format: .functionURL).status == 502)
    }

    @Test func integrationStreamFormat() throws {
        let prelude = Array(#"{"statusCode":206,"headers":{"content-type":"text/plain"},"cookies":["s=1","t=2"]}"#.utf8)
        let bytes = prelude + HTTPEventMapping.preludeDelimiter + Array("body\0with nul".utf8)
        #expect(HTTPEventMapping.preludeEnd(bytes) == prelude.count)
        #expect(HTTPEventMapping.preludeEnd(prelude + [0, 0, 0]) == nil)
        let head = try #require(HTTPEventMapping.streamHead(prelude: prelude))
        #expect(head.status == 206)
        #expect(head.values("set-cookie") == ["s=1", "t=2"])
        let whole = HTTPEventMapping.response(payload: bytes, contentType: HTTPEventMapping.integrationContentType, format: .functionURL)
        #expect(whole.status == 206)
        #expect(whole.body == Array("body\0with nul".utf8))
        #expect(HTTPEventMapping.response(payload: prelude, contentType: HTTPEventMapping.integrationContentType, format: .functionURL).status
                == 502, "a prelude without its delimiter")
    }

    @Test func percentDecode() {
        #expect(HTTPEventMapping.percentDecode("a%20b+c%zz%", plusAsSpace: false) == "a b+c%zz%")
        #expect(HTTPEventMapping.percentDecode("a+b%2B", plusAsSpace: true) == "a b+")
    }
}
