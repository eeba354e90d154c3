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

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case missingRequestID
        case invalidDeadline(String)
        public var description: String {
            switch self {
            case .missingRequestID: return "the Runtime API sent an invocation without \(RuntimeAPI.Header.requestID)"
            case .invalidDeadline(let v): return "the Runtime API sent an invalid \(RuntimeAPI.Header.deadlineMs): '\(v)'"
            }
        }
    }

    /// Parses (name, value) pairs; names compare case-insensitively. A missing ARN is fine (the RIE omits it);
    /// a missing deadline means "no deadline known" and is given as 0.
    public init(headers: [(String, String)]) throws {
        func value(_ name: String) -> String? {
            let lower = name.lowercased()
            return headers.first { $0.0.lowercased() == lower }.map { $0.1 }.flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let id = value(RuntimeAPI.Header.requestID) else { throw ParseError.missingRequestID }
        var deadline: Int64 = 0
        if let raw = value(RuntimeAPI.Header.deadlineMs) {
            guard let d = Int64(raw) else { throw ParseError.invalidDeadline(raw) }
            deadline = d
        }
        self.init(requestID: id, deadlineMs: deadline,
                  invokedFunctionARN: value(RuntimeAPI.Header.invokedFunctionARN),
                  traceID: value(RuntimeAPI.Header.traceID),
                  clientContext: value(RuntimeAPI.Header.clientContext),
                  cognitoIdentity: value(RuntimeAPI.Header.cognitoIdentity),
                  tenantID: value(RuntimeAPI.Header.tenantID))
    }

    /// The headers an emulator sends with this invocation (inverse of `init(headers:)`).
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
