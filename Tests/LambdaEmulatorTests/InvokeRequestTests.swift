@testable import LambdaEmulator
import LambdaWire
import Testing

@Suite struct InvokeRequestTests {
    func parse(_ uri: String, method: String = "POST", _ headers: [(String, String)] = [],
               known: Set<String> = ["function"]) -> Result<InvokeRequest, ServiceError> {
        InvokeRequest.parse(method: method, uri: uri, headers: headers, region: "eu-west-1", knownFunction: known.contains)
    }

    private func error(_ r: Result<InvokeRequest, ServiceError>) -> ServiceError? {
        if case .failure(let e) = r { return e }
        return nil
    }

    private func request(_ r: Result<InvokeRequest, ServiceError>,
                         sourceLocation: SourceLocation = #_sourceLocation) -> InvokeRequest? {
        switch r {
        case .success(let req): return req
        case .failure(let e): Issue.record("\(e)", sourceLocation: sourceLocation); return nil
        }
    }

    @Test func routes() {
        #expect(InvokeAPI.Route(uri: "/2015-03-31/functions/function/invocations")
                == InvokeAPI.Route(operation: .invoke, functionName: "function"))
        #expect(InvokeAPI.Route(uri: "/2021-11-15/functions/f/response-streaming-invocations?Qualifier=%24LATEST")
                == InvokeAPI.Route(operation: .invokeWithResponseStream, functionName: "f", qualifier: "$LATEST"))
        #expect(InvokeAPI.Route(uri: "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A012345678912%3Afunction%3Afn/invocations")
                == InvokeAPI.Route(operation: .invoke, functionName: "fn"))
        #expect(InvokeAPI.Route(uri: "/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:fn:prod/invocations")
                == InvokeAPI.Route(operation: .invoke, functionName: "fn", qualifier: "prod"))
        #expect(InvokeAPI.Route(uri: "/2015-03-31/functions/123456789012:function:fn/invocations")?.functionName == "fn")
        #expect(InvokeAPI.Route(uri: "/2015-03-31/functions/fn:7/invocations")?.qualifier == "7")
        #expect(InvokeAPI.Route(uri: "/2015-03-31/functions//invocations") == nil)
        #expect(InvokeAPI.Route(uri: "/2015-03-31/functions/a/b/invocations") == nil)
        #expect(InvokeAPI.Route(uri: "/2015-03-31/functions/%zz/invocations") == nil)
        #expect(InvokeAPI.Route(uri: "/") == nil)
    }

    @Test func defaults() {
        guard let r = request(parse("/2015-03-31/functions/function/invocations")) else { return }
        #expect(r.invocationType == .requestResponse)
        #expect(!r.wantsLogTail)
        #expect(r.clientContext == nil)
        #expect(r.maxPayloadBytes == 6_291_456)
    }

    @Test func invocationTypesAndTail() {
        let uri = "/2015-03-31/functions/function/invocations"
        #expect(request(parse(uri, [("x-amz-invocation-type", "Event")]))?.invocationType == .event)
        #expect(request(parse(uri, [("X-Amz-Invocation-Type", "DryRun")]))?.invocationType == .dryRun)
        #expect(request(parse(uri, [("X-Amz-Log-Type", "Tail")]))?.wantsLogTail == true)
        #expect(request(parse(uri, [("X-Amz-Log-Type", "Tail"), ("X-Amz-Invocation-Type", "Event")]))?.wantsLogTail == false)
        #expect(error(parse(uri, [("X-Amz-Invocation-Type", "Later")]))?.type == "InvalidParameterValueException")
        #expect(error(parse(uri, [("X-Amz-Log-Type", "All")]))?.status == 400)
        #expect(error(parse("/2021-11-15/functions/function/response-streaming-invocations",
                            [("X-Amz-Invocation-Type", "Event")]))?.type == "InvalidParameterValueException")
        #expect(InvokeAPI.InvocationType.event.successStatus == 202)
        #expect(InvokeAPI.InvocationType.dryRun.successStatus == 204)
    }

    @Test func unknownFunctionAndQualifier() {
        let e = error(parse("/2015-03-31/functions/other/invocations"))
        #expect(e?.status == 404)
        #expect(e?.type == "ResourceNotFoundException")
        #expect(e?.json == #"{"Type":"User","message":"Function not found: arn:aws:lambda:eu-west-1:012345678912:function:other"}"#)
        #expect(request(parse("/2015-03-31/functions/function/invocations?Qualifier=$LATEST")) != nil)
        #expect(error(parse("/2015-03-31/functions/function:v2/invocations"))?.message
                == "Function not found: arn:aws:lambda:eu-west-1:012345678912:function:function:v2")
    }

    @Test func unknownOperation() {
        #expect(error(parse("/2015-03-31/functions/function/invocations", method: "GET"))?.type == "UnknownOperationException")
        #expect(error(parse("/nothing/here"))?.status == 404)
    }

    @Test func sizeLimits() {
        let uri = "/2015-03-31/functions/function/invocations"
        #expect(request(parse(uri, [("Content-Length", "6291456")])) != nil)
        let e = error(parse(uri, [("Content-Length", "6291457")]))
        #expect(e?.status == 413)
        #expect(e?.type == "RequestEntityTooLargeException")
        #expect(e?.message == "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
        #expect(error(parse(uri, [("Content-Length", "262145"), ("X-Amz-Invocation-Type", "Event")]))?.status == 413)
    }

    @Test func clientContext() {
        let uri = "/2015-03-31/functions/function/invocations"
        let encoded = Base64.encode(Array(#"{"custom":{"a":1}}"#.utf8))
        #expect(request(parse(uri, [("X-Amz-Client-Context", encoded)]))?.clientContext == #"{"custom":{"a":1}}"#)
        #expect(error(parse(uri, [("X-Amz-Client-Context", "!!")]))?.type == "InvalidRequestContentException")
        #expect(error(parse(uri, [("X-Amz-Client-Context", Base64.encode(Array("[1]".utf8)))]))?.status == 400)
    }

    @Test func payloadValidation() throws {
        #expect(try InvokeRequest.validatePayload([]).get() == Array("{}".utf8))
        #expect(try InvokeRequest.validatePayload(Array(" \n".utf8)).get() == Array("{}".utf8))
        #expect(try InvokeRequest.validatePayload(Array("42".utf8)).get() == Array("42".utf8))
        #expect(try InvokeRequest.validatePayload(Array(#""s""#.utf8)).get() == Array(#""s""#.utf8))
        guard case .failure(let e) = InvokeRequest.validatePayload(Array("{bad".utf8)) else {
            Issue.record("accepted bad JSON")
            return
        }
        #expect(e.status == 400)
        #expect(e.type == "InvalidRequestContentException")
        #expect(e.message.hasPrefix("Could not parse request body into json: Could not parse payload into json: Unrecognized token '{bad'"))
    }

    @Test func functionErrorDocuments() {
        #expect(ErrorDocument.timedOut(requestID: "r", seconds: 3).json
                == #"{"errorMessage":"RequestId: r Error: Task timed out after 3.00 seconds","errorType":"Sandbox.Timedout","stackTrace":[]}"#)
        #expect(ErrorDocument.runtimeExited(requestID: "r", reason: "signal: killed").errorType == "Runtime.ExitError")
        #expect(ErrorDocument.twoDecimals(0.5) == "0.50")
        #expect(ErrorDocument.twoDecimals(12.345) == "12.35")
        #expect(ErrorDocument.twoDecimals(1) == "1.00")
    }

    @Test func traceHeaderIsPassedOn() throws {
        let uri = "/2015-03-31/functions/function/invocations"
        let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
        #expect(try parse(uri, [("X-Amzn-Trace-Id", trace)]).get().traceID == trace)
        #expect(try parse(uri, [("X-Amzn-Trace-Id", "garbage")]).get().traceID == nil)
    }

    @Test func tenantID() {
        let uri = "/2015-03-31/functions/function/invocations"
        #expect(request(parse(uri))?.tenantID == nil)
        #expect(request(parse(uri, [("x-amz-tenant-id", "blue team/1:a=b+c-d@e_f.g")]))?.tenantID == "blue team/1:a=b+c-d@e_f.g")
        for bad in ["", "a;b", "é", String(repeating: "x", count: 257)] {
            let e = error(parse(uri, [("X-Amz-Tenant-Id", bad)]))
            #expect(e?.type == "InvalidParameterValueException", "\(bad)")
            #expect(e?.message.contains("at 'tenantId' failed to satisfy constraint") == true)
        }
        #expect(request(parse(uri, [("X-Amz-Tenant-Id", String(repeating: "x", count: 256))]))?.tenantID?.count == 256)
    }

    @Test func tenancyCheck() {
        #expect(ServiceError.checkTenancy(isolated: false, tenantID: nil) == nil)
        #expect(ServiceError.checkTenancy(isolated: true, tenantID: "t") == nil)
        #expect(ServiceError.checkTenancy(isolated: true, tenantID: nil)?.message.contains("Add a valid tenant ID") == true)
        #expect(ServiceError.checkTenancy(isolated: false, tenantID: "t")?.message.contains("Remove the tenant ID") == true)
        #expect(ServiceError.checkTenancy(isolated: false, tenantID: "t")?.status == 400)
    }
}
