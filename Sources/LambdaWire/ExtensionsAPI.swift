/// The Lambda Extensions API (`/2020-01-01/extension/...`), served on the same `AWS_LAMBDA_RUNTIME_API` address as
/// the Runtime API: paths, header names, event names and error types, in one place.
///
/// Sources: AWS's "Using the Lambda Extensions API" reference (paths, headers, event shapes, status codes) and,
/// for the error type names the documentation leaves open, what the AWS Runtime Interface Emulator answers.
public enum ExtensionsAPI {
    public static let version = "2020-01-01"
    public static let prefix = "/\(version)/extension"

    public static let registerPath = "\(prefix)/register"
    public static let nextPath = "\(prefix)/event/next"
    public static let initErrorPath = "\(prefix)/init/error"
    public static let exitErrorPath = "\(prefix)/exit/error"

    public enum Route: Equatable, Sendable {
        case register, next, initError, exitError
    }

    /// Which operation `path` (without its query) names, nil for none.
    public static func parse(path: String) -> Route? {
        switch path {
        case registerPath: return .register
        case nextPath: return .next
        case initErrorPath: return .initError
        case exitErrorPath: return .exitError
        default: return nil
        }
    }

    public enum Header {
        /// Register: the extension's name; external extensions must send their executable's file name.
        public static let name = "Lambda-Extension-Name"
        /// Register's answer, and every later request's: the id Lambda gave the extension.
        public static let identifier = "Lambda-Extension-Identifier"
        /// Register: optional features, comma-separated; `accountId` adds the account to the answer.
        public static let acceptFeature = "Lambda-Extension-Accept-Feature"
        /// init/error and exit/error: the error's type, `Extension.Reason`.
        public static let functionErrorType = "Lambda-Extension-Function-Error-Type"
        /// Every event /event/next gives carries a fresh id.
        public static let eventIdentifier = "Lambda-Extension-Event-Identifier"
    }

    /// The value of `Lambda-Extension-Accept-Feature` that asks for `accountId`.
    public static let accountIDFeature = "accountId"

    /// The events an extension can register for.
    public enum Event: String, Sendable, CaseIterable {
        case invoke = "INVOKE"
        case shutdown = "SHUTDOWN"
    }

    /// Why an environment shuts down (`shutdownReason` of SHUTDOWN events), lowercase as Lambda sends them.
    public enum ShutdownReason: String, Sendable {
        case spindown, timeout, failure
    }

    /// Error types of the API's own 4xx answers (`{"errorMessage","errorType"}`).
    public enum ErrorType {
        public static let missingIdentifier = "Extension.MissingExtensionIdentifier"
        public static let invalidIdentifier = "Extension.InvalidExtensionIdentifier"
        public static let unknownIdentifier = "Extension.UnknownExtensionIdentifier"
        public static let invalidName = "Extension.InvalidExtensionName"
        public static let registrationClosed = "Extension.RegistrationClosed"
        public static let invalidState = "Extension.InvalidExtensionState"
        public static let missingHeader = "Extension.MissingHeader"
        public static let invalidEventType = "Extension.InvalidEventType"
        public static let invalidRequestFormat = "InvalidRequestFormat"
        public static let tooManyExtensions = "Extension.TooManyExtensions"
    }

    /// Function errors Lambda reports when an extension ends the environment.
    public enum FatalError {
        /// An extension process exited while the environment was not shutting down.
        public static let crash = "Extension.Crash"
        /// An extension posted /extension/init/error.
        public static let initError = "Extension.InitError"
        /// An extension posted /extension/exit/error.
        public static let exitError = "Extension.ExitError"
        /// An extension could not be started.
        public static let launchError = "Extension.LaunchError"
    }

    /// Lambda's limit on extensions per function.
    public static let maxExtensions = 10

    /// Shutdown phase lengths: Lambda gives extensions up to 2,000 ms when an external extension is registered,
    /// 500 ms when only internal ones are, and no shutdown phase (the runtime is stopped at once) without any.
    public static let shutdownWithExternalMs = 2_000
    public static let shutdownWithInternalMs = 500

    /// Whether `value` has the shape of an extension identifier (a UUID: 8-4-4-4-12 hex digits).
    public static func isIdentifierShaped(_ value: String) -> Bool {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.map(\.count) == [8, 4, 4, 4, 12] else { return false }
        return parts.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }
}
