/// What GET /next says about one invocation, parsed from its headers.
public struct InvocationHeaders: Equatable, Sendable {
    public var requestID: String
    public var deadlineMs: Int64
    public var invokedFunctionARN: String?
    public var traceID: String?
    public var clientContext: String?
    public var cognitoIdentity: String?
    public var tenantID: String?

    public init(requestID: String, deadlineMs: Int64, invokedFunctionARN: String? = nil, traceID: String? = nil,
                clientContext: String? = nil, cognitoIdentity: String? = nil, tenantID: String? = nil) {
        self.requestID = requestID
        self.deadlineMs = deadlineMs
        self.invokedFunctionARN = invokedFunctionARN
        self.traceID = traceID
        self.clientContext = clientContext
        self.cognitoIdentity = cognitoIdentity
        self.tenantID = tenantID
    }


    /// Parses the invocation from a header lookup (`value(name)` returns the value of a header, names
    /// compared case-insensitively, or nil). A missing ARN is fine (the RIE omits it); a missing
    /// deadline means "no deadline known" and is given as 0.
    public init(value: (String) -> String?) throws {
        func header(_ name: String) -> String? { value(name).flatMap { $0.isEmpty ? nil : $0 } }
        guard let id = header(RuntimeAPI.Header.requestID) else { throw WireError.missingRequestID }
        var deadlineMs: Int64 = 0
        if let deadline = header(RuntimeAPI.Header.deadlineMs) {
            guard let d = Int64(deadline) else { throw WireError.invalidDeadline(deadline) }
            deadlineMs = d
        }
        self.init(requestID: id, deadlineMs: deadlineMs,
                  invokedFunctionARN: header(RuntimeAPI.Header.invokedFunctionARN),
                  traceID: header(RuntimeAPI.Header.traceID),
                  clientContext: header(RuntimeAPI.Header.clientContext),
                  cognitoIdentity: header(RuntimeAPI.Header.cognitoIdentity),
                  tenantID: header(RuntimeAPI.Header.tenantID))
    }

    /// The headers an emulator sends with this invocation (inverse of `init(value:)`).
    public var headerFields: [(String, String)] {
        var h: [(String, String)] = [(RuntimeAPI.Header.requestID, requestID),
                                     (RuntimeAPI.Header.deadlineMs, String(deadlineMs))]
        if let v = invokedFunctionARN { h.append((RuntimeAPI.Header.invokedFunctionARN, v)) }
        if let v = traceID { h.append((RuntimeAPI.Header.traceID, v)) }
        if let v = clientContext { h.append((RuntimeAPI.Header.clientContext, v)) }
        if let v = cognitoIdentity { h.append((RuntimeAPI.Header.cognitoIdentity, v)) }
        if let v = tenantID { h.append((RuntimeAPI.Header.tenantID, v)) }
        return h
    }
}
