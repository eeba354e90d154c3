@testable import LambdaRuntime
import LambdaWire
import Testing

/// Parses as the runtime's client parses GET /next's answer (RuntimeHTTPClient.invocation), so the header-name
/// comparison tested is the one production runs.
private func parsed(_ headers: [(String, String)]) throws -> InvocationHeaders {
    try RuntimeHTTPClient.invocation(HTTPResponse(status: 200, headers: headers.map { (name: $0.0, value: $0.1) }, body: [], keepAlive: true))
}

@Suite("InvocationHeaders parsing")
struct InvocationHeadersTests {
    static let full: [(String, String)] = [
        ("Lambda-Runtime-Aws-Request-Id", "8476a536-e9f4-11e8-9739-2dfe598c3fcd"),
        ("Lambda-Runtime-Deadline-Ms", "1542409706888"),
        ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-2:123456789012:function:custom-runtime"),
        ("Lambda-Runtime-Trace-Id", "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"),
        ("Lambda-Runtime-Client-Context", #"{"custom":{"k":"v"}}"#),
        ("Lambda-Runtime-Cognito-Identity", #"{"cognito_identity_id":"id","cognito_identity_pool_id":"pool"}"#),
        ("Lambda-Runtime-Aws-Tenant-Id", "tenant-42"),
        ("Content-Type", "application/json"),
    ]

    @Test func parsesEveryField() throws {
        let h = try parsed(Self.full)
        #expect(h.requestID == "8476a536-e9f4-11e8-9739-2dfe598c3fcd")
        #expect(h.deadlineMs == 1_542_409_706_888)
        #expect(h.invokedFunctionARN == "arn:aws:lambda:us-east-2:123456789012:function:custom-runtime")
        #expect(h.traceID == "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1")
        #expect(h.clientContext == #"{"custom":{"k":"v"}}"#)
        #expect(h.cognitoIdentity == #"{"cognito_identity_id":"id","cognito_identity_pool_id":"pool"}"#)
        #expect(h.tenantID == "tenant-42")
    }

    @Test(arguments: ["lower", "upper", "alternating"])
    func namesAreCaseInsensitive(_ casing: String) throws {
        func transform(_ s: String) -> String {
            switch casing {
            case "lower": return s.lowercased()
            case "upper": return s.uppercased()
            default: return String(s.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.uppercased()) : Character($0.element.lowercased()) })
            }
        }
        let h = try parsed(Self.full.map { (transform($0.0), $0.1) })
        #expect(h == (try parsed(Self.full)))
        #expect(h.tenantID == "tenant-42")
    }

    @Test func missingOptionalHeadersAreNil() throws {
        // The RIE omits the ARN; everything but the request id is optional.
        let h = try parsed([("Lambda-Runtime-Aws-Request-Id", "r1"),
                                                ("Lambda-Runtime-Deadline-Ms", "5")])
        #expect(h == InvocationHeaders(requestID: "r1", deadlineMs: 5))
        #expect(h.invokedFunctionARN == nil)
        #expect(h.traceID == nil && h.clientContext == nil && h.cognitoIdentity == nil && h.tenantID == nil)
    }

    @Test func missingDeadlineIsZero() throws {
        let h = try parsed([("lambda-runtime-aws-request-id", "r1")])
        #expect(h.deadlineMs == 0)
    }

    @Test func emptyValuesCountAsMissing() throws {
        let h = try parsed([("Lambda-Runtime-Aws-Request-Id", "r1"),
                                                ("Lambda-Runtime-Invoked-Function-Arn", ""),
                                                ("Lambda-Runtime-Deadline-Ms", "")])
        #expect(h.invokedFunctionARN == nil)
        #expect(h.deadlineMs == 0)
    }

    @Test(arguments: [
        [(String, String)](),
        [("Lambda-Runtime-Deadline-Ms", "1")],
        [("Lambda-Runtime-Aws-Request-Id", ""), ("Lambda-Runtime-Deadline-Ms", "1")],
        [("X-Lambda-Runtime-Aws-Request-Id", "r1")],
    ])
    func missingRequestIDIsAnError(_ headers: [(String, String)]) {
        #expect(throws: WireError.missingRequestID) {
            try parsed(headers)
        }
    }

    @Test(arguments: ["abc", "12.5", " 12", "12 ", "99999999999999999999", "0x10", "1e3"])
    func invalidDeadlineIsAnError(_ raw: String) {
        #expect(throws: WireError.invalidDeadline(raw)) {
            try parsed([("Lambda-Runtime-Aws-Request-Id", "r1"), ("Lambda-Runtime-Deadline-Ms", raw)])
        }
    }

    @Test func errorDescriptionsNameTheHeader() {
        #expect(WireError.missingRequestID.description.contains("Lambda-Runtime-Aws-Request-Id"))
        let d = WireError.invalidDeadline("soon").description
        #expect(d.contains("Lambda-Runtime-Deadline-Ms") && d.contains("'soon'"))
    }

    @Test func firstOfDuplicateHeadersWins() throws {
        let h = try parsed([("Lambda-Runtime-Aws-Request-Id", "first"),
                                                ("lambda-runtime-aws-request-id", "second")])
        #expect(h.requestID == "first")
    }

    @Test(arguments: [
        InvocationHeaders(requestID: "r1", deadlineMs: 0),
        InvocationHeaders(requestID: "r2", deadlineMs: -1, invokedFunctionARN: "arn:x"),
        InvocationHeaders(requestID: "r3", deadlineMs: Int64.max, invokedFunctionARN: "arn:aws:lambda:eu-west-1:1:function:f",
                          traceID: "Root=1-2-3", clientContext: #"{"a":1}"#, cognitoIdentity: #"{"b":2}"#, tenantID: "t"),
        InvocationHeaders(requestID: "r4", deadlineMs: 7, tenantID: "ünï"),
    ])
    func headerFieldsRoundTrip(_ original: InvocationHeaders) throws {
        let fields = original.headerFields
        #expect(fields[0] == ("Lambda-Runtime-Aws-Request-Id", original.requestID))
        #expect(fields[1] == ("Lambda-Runtime-Deadline-Ms", String(original.deadlineMs)))
        #expect(try parsed(fields) == original)
    }

    @Test func headerFieldsOmitAbsentOptionals() {
        let fields = InvocationHeaders(requestID: "r", deadlineMs: 1, traceID: "t").headerFields
        #expect(fields.map(\.0) == ["Lambda-Runtime-Aws-Request-Id", "Lambda-Runtime-Deadline-Ms", "Lambda-Runtime-Trace-Id"])
    }
}
