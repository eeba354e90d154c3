@testable import LambdaEmulator
import LambdaWire
import XCTest

final class InvokeRequestTests: XCTestCase {
    func parse(_ uri: String, method: String = "POST", _ headers: [(String, String)] = [],
                       known: Set<String> = ["function"]) -> Result<InvokeRequest, ServiceError> {
        InvokeRequest.parse(method: method, uri: uri, headers: headers, region: "eu-west-1", knownFunction: known.contains)
    }

    private func error(_ r: Result<InvokeRequest, ServiceError>) -> ServiceError? {
        if case .failure(let e) = r { return e }
        return nil
    }

    private func request(_ r: Result<InvokeRequest, ServiceError>, file: StaticString = #filePath, line: UInt = #line) -> InvokeRequest? {
        switch r {
        case .success(let req): return req
        case .failure(let e): XCTFail("\(e)", file: file, line: line); return nil
        }
    }

    func testRoutes() {
        XCTAssertEqual(InvokeAPI.Route(uri: "/2015-03-31/functions/function/invocations"),
                       InvokeAPI.Route(operation: .invoke, functionName: "function"))
        XCTAssertEqual(InvokeAPI.Route(uri: "/2021-11-15/functions/f/response-streaming-invocations?Qualifier=%24LATEST"),
                       InvokeAPI.Route(operation: .invokeWithResponseStream, functionName: "f", qualifier: "$LATEST"))
        XCTAssertEqual(InvokeAPI.Route(uri: "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A012345678912%3Afunction%3Afn/invocations"),
                       InvokeAPI.Route(operation: .invoke, functionName: "fn"))
        XCTAssertEqual(InvokeAPI.Route(uri: "/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:fn:prod/invocations"),
                       InvokeAPI.Route(operation: .invoke, functionName: "fn", qualifier: "prod"))
        XCTAssertEqual(InvokeAPI.Route(uri: "/2015-03-31/functions/123456789012:function:fn/invocations")?.functionName, "fn")
        XCTAssertEqual(InvokeAPI.Route(uri: "/2015-03-31/functions/fn:7/invocations")?.qualifier, "7")
        XCTAssertNil(InvokeAPI.Route(uri: "/2015-03-31/functions//invocations"))
        XCTAssertNil(InvokeAPI.Route(uri: "/2015-03-31/functions/a/b/invocations"))
        XCTAssertNil(InvokeAPI.Route(uri: "/2015-03-31/functions/%zz/invocations"))
        XCTAssertNil(InvokeAPI.Route(uri: "/"))
    }

    func testDefaults() {
        guard let r = request(parse("/2015-03-31/functions/function/invocations")) else { return }
        XCTAssertEqual(r.invocationType, .requestResponse)
        XCTAssertFalse(r.wantsLogTail)
        XCTAssertNil(r.clientContext)
        XCTAssertEqual(r.maxPayloadBytes, 6_291_456)
    }

    func testInvocationTypesAndTail() {
        let uri = "/2015-03-31/functions/function/invocations"
        XCTAssertEqual(request(parse(uri, [("x-amz-invocation-type", "Event")]))?.invocationType, .event)
        XCTAssertEqual(request(parse(uri, [("X-Amz-Invocation-Type", "DryRun")]))?.invocationType, .dryRun)
        XCTAssertEqual(request(parse(uri, [("X-Amz-Log-Type", "Tail")]))?.wantsLogTail, true)
        XCTAssertEqual(request(parse(uri, [("X-Amz-Log-Type", "Tail"), ("X-Amz-Invocation-Type", "Event")]))?.wantsLogTail, false)
        XCTAssertEqual(error(parse(uri, [("X-Amz-Invocation-Type", "Later")]))?.type, "InvalidParameterValueException")
        XCTAssertEqual(error(parse(uri, [("X-Amz-Log-Type", "All")]))?.status, 400)
        XCTAssertEqual(error(parse("/2021-11-15/functions/function/response-streaming-invocations",
                                   [("X-Amz-Invocation-Type", "Event")]))?.type, "InvalidParameterValueException")
        XCTAssertEqual(InvokeAPI.InvocationType.event.successStatus, 202)
        XCTAssertEqual(InvokeAPI.InvocationType.dryRun.successStatus, 204)
    }

    func testUnknownFunctionAndQualifier() {
        let e = error(parse("/2015-03-31/functions/other/invocations"))
        XCTAssertEqual(e?.status, 404)
        XCTAssertEqual(e?.type, "ResourceNotFoundException")
        XCTAssertEqual(e?.json, #"{"Type":"User","message":"Function not found: arn:aws:lambda:eu-west-1:012345678912:function:other"}"#)
        XCTAssertNotNil(request(parse("/2015-03-31/functions/function/invocations?Qualifier=$LATEST")))
        XCTAssertEqual(error(parse("/2015-03-31/functions/function:v2/invocations"))?.message,
                       "Function not found: arn:aws:lambda:eu-west-1:012345678912:function:function:v2")
    }

    func testUnknownOperation() {
        XCTAssertEqual(error(parse("/2015-03-31/functions/function/invocations", method: "GET"))?.type, "UnknownOperationException")
        XCTAssertEqual(error(parse("/nothing/here"))?.status, 404)
    }

    func testSizeLimits() {
        let uri = "/2015-03-31/functions/function/invocations"
        XCTAssertNotNil(request(parse(uri, [("Content-Length", "6291456")])))
        let e = error(parse(uri, [("Content-Length", "6291457")]))
        XCTAssertEqual(e?.status, 413)
        XCTAssertEqual(e?.type, "RequestEntityTooLargeException")
        XCTAssertEqual(e?.message, "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
        XCTAssertEqual(error(parse(uri, [("Content-Length", "262145"), ("X-Amz-Invocation-Type", "Event")]))?.status, 413)
    }

    func testClientContext() {
        let uri = "/2015-03-31/functions/function/invocations"
        let encoded = Base64.encode(Array(#"{"custom":{"a":1}}"#.utf8))
        XCTAssertEqual(request(parse(uri, [("X-Amz-Client-Context", encoded)]))?.clientContext, #"{"custom":{"a":1}}"#)
        XCTAssertEqual(error(parse(uri, [("X-Amz-Client-Context", "!!")]))?.type, "InvalidRequestContentException")
        XCTAssertEqual(error(parse(uri, [("X-Amz-Client-Context", Base64.encode(Array("[1]".utf8)))]))?.status, 400)
    }

    func testPayloadValidation() {
        XCTAssertEqual(try InvokeRequest.validatePayload([]).get(), Array("{}".utf8))
        XCTAssertEqual(try InvokeRequest.validatePayload(Array(" \n".utf8)).get(), Array("{}".utf8))
        XCTAssertEqual(try InvokeRequest.validatePayload(Array("42".utf8)).get(), Array("42".utf8))
        XCTAssertEqual(try InvokeRequest.validatePayload(Array(#""s""#.utf8)).get(), Array(#""s""#.utf8))
        guard case .failure(let e) = InvokeRequest.validatePayload(Array("{bad".utf8)) else { return XCTFail("accepted bad JSON") }
        XCTAssertEqual(e.status, 400)
        XCTAssertEqual(e.type, "InvalidRequestContentException")
        XCTAssertTrue(e.message.hasPrefix("Could not parse request body into json: Could not parse payload into json: Unrecognized token '{bad'"))
    }

    func testFunctionErrorDocuments() {
        XCTAssertEqual(ErrorDocument.timedOut(requestID: "r", seconds: 3).json,
                       #"{"errorMessage":"RequestId: r Error: Task timed out after 3.00 seconds","errorType":"Sandbox.Timedout","stackTrace":[]}"#)
        XCTAssertEqual(ErrorDocument.runtimeExited(requestID: "r", reason: "signal: killed").errorType, "Runtime.ExitError")
        XCTAssertEqual(ErrorDocument.twoDecimals(0.5), "0.50")
        XCTAssertEqual(ErrorDocument.twoDecimals(12.345), "12.35")
        XCTAssertEqual(ErrorDocument.twoDecimals(1), "1.00")
    }
}

extension InvokeRequestTests {
    func testTraceHeaderIsPassedOn() {
        let uri = "/2015-03-31/functions/function/invocations"
        let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
        XCTAssertEqual(try parse(uri, [("X-Amzn-Trace-Id", trace)]).get().traceID, trace)
        XCTAssertNil(try parse(uri, [("X-Amzn-Trace-Id", "garbage")]).get().traceID)
    }
}
