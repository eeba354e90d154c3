/// The Lambda Runtime API as seen from a runtime: paths, header names and limits.
/// Shared by the bootstrap's client and the emulator's server so no detail is written twice.
public enum RuntimeAPI {
    public static let version = "2018-06-01"
    public static let prefix = "/\(version)/runtime"

    public static let nextPath = "\(prefix)/invocation/next"
    public static let initErrorPath = "\(prefix)/init/error"
    public static func responsePath(_ requestID: String) -> String { "\(prefix)/invocation/\(requestID)/response" }
    public static func errorPath(_ requestID: String) -> String { "\(prefix)/invocation/\(requestID)/error" }

    /// The operations a runtime calls, as the paths above name them.
    public enum Route: Equatable, Sendable {
        case next
        case initError
        case response(requestID: String)
        case error(requestID: String)
    }

    /// The inverse of the path builders: which operation `path` (without its query) names, nil for none.
    public static func parse(path: String) -> Route? {
        if path == nextPath { return .next }
        if path == initErrorPath { return .initError }
        let invocation = prefix + "/invocation/"
        guard path.hasPrefix(invocation) else { return nil }
        let rest = path.dropFirst(invocation.count).split(separator: "/", omittingEmptySubsequences: false)
        guard rest.count == 2, !rest[0].isEmpty else { return nil }
        switch rest[1] {
        case "response": return .response(requestID: String(rest[0]))
        case "error": return .error(requestID: String(rest[0]))
        default: return nil
        }
    }

    /// Largest buffered response the Runtime API accepts (6 MB as Lambda counts it).
    public static let maxResponseBytes = 6_291_556

    /// Headers of GET /next and of posted results.
    public enum Header {
        public static let requestID = "Lambda-Runtime-Aws-Request-Id"
        public static let deadlineMs = "Lambda-Runtime-Deadline-Ms"
        public static let invokedFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
        public static let traceID = "Lambda-Runtime-Trace-Id"
        public static let clientContext = "Lambda-Runtime-Client-Context"
        public static let cognitoIdentity = "Lambda-Runtime-Cognito-Identity"
        public static let tenantID = "Lambda-Runtime-Aws-Tenant-Id"
        public static let functionErrorType = "Lambda-Runtime-Function-Error-Type"
        public static let functionErrorBody = "Lambda-Runtime-Function-Error-Body"
        public static let responseMode = "Lambda-Runtime-Function-Response-Mode"
    }

    /// Value of `Lambda-Runtime-Function-Response-Mode` for streamed responses.
    public static let streamingMode = "streaming"
    /// A header value with control characters (CR, LF, ...) replaced by spaces, so a value taken from
    /// user code (an exception class, a content type) can never split or inject headers.
    public static func headerSafe(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else { return value }
        return String(decoding: value.utf8.map { $0 < 0x20 || $0 == 0x7f ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }

    /// The `Trailer` header a streamed response announces.
    public static let streamingTrailer = "\(Header.functionErrorType), \(Header.functionErrorBody)"
}

/// Environment variable names Lambda gives a runtime.
public enum RuntimeEnvironment {
    public static let runtimeAPI = "AWS_LAMBDA_RUNTIME_API"
    public static let handler = "_HANDLER"
    public static let taskRoot = "LAMBDA_TASK_ROOT"
    public static let traceID = "_X_AMZN_TRACE_ID"
    public static let maxConcurrency = "AWS_LAMBDA_MAX_CONCURRENCY"
    public static let logFormat = "AWS_LAMBDA_LOG_FORMAT"
    public static let logLevel = "AWS_LAMBDA_LOG_LEVEL"
    public static let functionName = "AWS_LAMBDA_FUNCTION_NAME"
    public static let functionVersion = "AWS_LAMBDA_FUNCTION_VERSION"
    public static let memorySize = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"
    public static let logGroup = "AWS_LAMBDA_LOG_GROUP_NAME"
    public static let logStream = "AWS_LAMBDA_LOG_STREAM_NAME"
    /// perl-lambda's own: set by `perl-lambda serve` to its pid; the bootstrap then asks the kernel to kill it
    /// when that process dies (PR_SET_PDEATHSIG), so a SIGKILLed emulator leaves no runtime behind.
    public static let parentPID = "PERL_LAMBDA_PARENT_PID"
}
