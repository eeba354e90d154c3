import LambdaWire

/// The Lambda Invoke API as seen from a caller (awscli, boto3, curl): paths, headers, limits, invocation types.
public enum InvokeAPI {
    public static let invokePathPrefix = "/2015-03-31/functions/"
    public static let invokePathSuffix = "/invocations"
    public static let streamPathPrefix = "/2021-11-15/functions/"
    public static let streamPathSuffix = "/response-streaming-invocations"

    public static func invokePath(_ function: String) -> String { invokePathPrefix + function + invokePathSuffix }
    public static func streamPath(_ function: String) -> String { streamPathPrefix + function + streamPathSuffix }

    /// Largest asynchronous (`Event`) request payload.
    /// Largest synchronous request payload the Invoke API accepts.
    public static let maxRequestBytes = 6_291_456
    public static let maxAsyncRequestBytes = 262_144
    /// `X-Amz-Log-Result` carries at most this many bytes of the invocation's log (before base64).
    public static let logTailBytes = 4096
    /// The version every local function runs as.
    public static let latestVersion = "$LATEST"
    /// `X-Amz-Function-Error` value for an error the function did not handle.
    public static let unhandled = "Unhandled"
    /// The account id local ARNs carry.
    public static let accountID = "012345678912"

    public static func functionARN(region: String, name: String) -> String {
        "arn:aws:lambda:\(region):\(accountID):function:\(name)"
    }

    public enum Header {
        public static let invocationType = "X-Amz-Invocation-Type"
        public static let logType = "X-Amz-Log-Type"
        public static let logResult = "X-Amz-Log-Result"
        public static let clientContext = "X-Amz-Client-Context"
        public static let functionError = "X-Amz-Function-Error"
        public static let executedVersion = "X-Amz-Executed-Version"
        public static let errorType = "x-amzn-ErrorType"
        public static let requestID = "x-amzn-RequestId"
        public static let traceID = "X-Amzn-Trace-Id"
        /// The tenant of a function in tenant isolation mode (passed to the runtime as Lambda-Runtime-Aws-Tenant-Id).
        public static let tenantID = "X-Amz-Tenant-Id"
    }

    /// `TenantId`'s constraints in the service's model (botocore's lambda/2015-03-31): 1 to 256 characters of these.
    public static let tenantIDPattern = "[a-zA-Z0-9\\._:\\/=+\\-@ ]+"
    public static func isValidTenantID(_ id: String) -> Bool {
        (1...256).contains(id.count) && id.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || "._:/=+-@ ".utf8.contains(c)
        }
    }

    public enum InvocationType: String, Sendable, CaseIterable {
        case requestResponse = "RequestResponse"
        case event = "Event"
        case dryRun = "DryRun"

        /// The status a successful call answers with.
        public var successStatus: Int {
            switch self {
            case .requestResponse: return 200
            case .event: return 202
            case .dryRun: return 204
            }
        }

        public var maxRequestBytes: Int { self == .event ? InvokeAPI.maxAsyncRequestBytes : InvokeAPI.maxRequestBytes }
    }

    /// The two Invoke API operations the emulator serves.
    public enum Operation: String, Sendable {
        case invoke = "Invoke"
        case invokeWithResponseStream = "InvokeWithResponseStream"

        /// The name the service uses in its messages.
        public var serviceName: String { self == .invoke ? "InvokeFunction" : rawValue }
    }

    /// A parsed request target: which operation, which function, which qualifier.
    public struct Route: Equatable, Sendable {
        public var operation: Operation
        public var functionName: String
        public var qualifier: String?

        public init(operation: Operation, functionName: String, qualifier: String? = nil) {
            self.operation = operation
            self.functionName = functionName
            self.qualifier = qualifier
        }

        /// Parses `/2015-03-31/functions/{FunctionName}/invocations[?Qualifier=Q]` and the streaming path.
        /// FunctionName may be percent-encoded and be a name, `name:qualifier`, a full or a partial ARN.
        public init?(uri: String) {
            let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            let path = String(parts[0])
            let operation: Operation
            let encodedName: Substring
            if path.hasPrefix(InvokeAPI.invokePathPrefix), path.hasSuffix(InvokeAPI.invokePathSuffix) {
                operation = .invoke
                encodedName = path.dropFirst(InvokeAPI.invokePathPrefix.count).dropLast(InvokeAPI.invokePathSuffix.count)
            } else if path.hasPrefix(InvokeAPI.streamPathPrefix), path.hasSuffix(InvokeAPI.streamPathSuffix) {
                operation = .invokeWithResponseStream
                encodedName = path.dropFirst(InvokeAPI.streamPathPrefix.count).dropLast(InvokeAPI.streamPathSuffix.count)
            } else {
                return nil
            }
            guard !encodedName.isEmpty, !encodedName.contains("/"),
                  let identifier = Self.percentDecoded(encodedName) else { return nil }
            var (name, qualifier) = Self.split(identifier: identifier)
            if parts.count > 1 {
                for pair in parts[1].split(separator: "&") {
                    let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    if kv.count == 2, kv[0] == "Qualifier", let q = Self.percentDecoded(kv[1]), !q.isEmpty { qualifier = q }
                }
            }
            self.init(operation: operation, functionName: name, qualifier: qualifier)
        }

        /// `name`, `name:qualifier`, `123456789012:function:name[:q]`, `arn:aws:lambda:r:a:function:name[:q]`.
        static func split(identifier: String) -> (String, String?) {
            let fields = identifier.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            if let f = fields.firstIndex(of: "function"), f + 1 < fields.count, f >= 1 {
                let q = f + 2 < fields.count ? fields[f + 2] : nil
                return (fields[f + 1], q)
            }
            if fields.count == 2 { return (fields[0], fields[1]) }
            return (identifier, nil)
        }

        static func percentDecoded<S: StringProtocol>(_ s: S) -> String? {
            var out = [UInt8]()
            var it = Array(s.utf8)[...]
            while let c = it.popFirst() {
                if c == UInt8(ascii: "%") {
                    guard it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) else { return nil }
                    out.append(v)
                    it = it.dropFirst(2)
                } else {
                    out.append(c)
                }
            }
            return String(validating: out, as: UTF8.self)
        }
    }
}

/// An error of the Lambda service itself (not of the function): status, `x-amzn-ErrorType`, `{"Type","message"}`.
public struct ServiceError: Error, Equatable, Sendable, CustomStringConvertible {
    public var status: Int
    public var type: String
    public var message: String
    public var origin: String

    public init(status: Int, type: String, message: String, origin: String = "User") {
        self.status = status
        self.type = type
        self.message = message
        self.origin = origin
    }

    public var description: String { "\(type): \(message)" }

    public var json: String {
        "{\"Type\":\(JSONText.quoted(origin)),\"message\":\(JSONText.quoted(message))}"
    }

    public static func requestTooLarge(limit: Int, operation: InvokeAPI.Operation) -> ServiceError {
        ServiceError(status: 413, type: "RequestEntityTooLargeException",
                     message: "Request must be smaller than \(limit) bytes for the \(operation.serviceName) operation")
    }

    public static func invalidJSON(_ detail: String) -> ServiceError {
        ServiceError(status: 400, type: "InvalidRequestContentException",
                     message: "Could not parse request body into json: Could not parse payload into json: \(detail)")
    }

    public static func invalidClientContext() -> ServiceError {
        ServiceError(status: 400, type: "InvalidRequestContentException",
                     message: "Client context must be a valid Base64-encoded JSON object.")
    }

    public static func functionNotFound(arn: String) -> ServiceError {
        ServiceError(status: 404, type: "ResourceNotFoundException", message: "Function not found: \(arn)")
    }

    public static func invalidParameter(_ message: String) -> ServiceError {
        ServiceError(status: 400, type: "InvalidParameterValueException", message: message)
    }

    /// A tenant id sent to a function without tenant isolation, or none sent to one with it (the wording the
    /// AWS SAM CLI's local Invoke API uses for the service's answers).
    public static func tenancy(isolated: Bool) -> ServiceError {
        ServiceError(status: 400, type: "InvalidParameterValueException", message: isolated
            ? "The invoked function is enabled with tenancy configuration. Add a valid tenant ID in your request and try again."
            : "The invoked function is not enabled with tenancy configuration. Remove the tenant ID from your request and try again.")
    }

    /// The error, if any, of invoking a function with (`isolated`) or without tenant isolation with `tenantID`.
    public static func checkTenancy(isolated: Bool, tenantID: String?) -> ServiceError? {
        (tenantID != nil) == isolated ? nil : tenancy(isolated: isolated)
    }

    public static func unknownOperation(method: String, path: String) -> ServiceError {
        ServiceError(status: 404, type: "UnknownOperationException", message: "Unknown operation \(method) \(path)")
    }

    public static func serviceUnavailable(_ message: String) -> ServiceError {
        ServiceError(status: 503, type: "ServiceException", message: message, origin: "Service")
    }
}

/// The `InvokeComplete` event payload that ends an InvokeWithResponseStream response.
public struct InvokeComplete: Equatable, Sendable {
    public var errorCode: String?
    public var errorDetails: String?
    public var logResult: String?

    public init(errorCode: String? = nil, errorDetails: String? = nil, logResult: String? = nil) {
        self.errorCode = errorCode
        self.errorDetails = errorDetails
        self.logResult = logResult
    }

    public var json: String {
        var fields = [String]()
        if let v = errorCode { fields.append("\"ErrorCode\":" + JSONText.quoted(v)) }
        if let v = errorDetails { fields.append("\"ErrorDetails\":" + JSONText.quoted(v)) }
        if let v = logResult { fields.append("\"LogResult\":" + JSONText.quoted(v)) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    public var message: EventStreamMessage {
        .event("InvokeComplete", contentType: "application/json", payload: Array(json.utf8))
    }

    public static func payloadChunk(_ bytes: [UInt8]) -> EventStreamMessage {
        .event("PayloadChunk", contentType: "application/octet-stream", payload: bytes)
    }
}
