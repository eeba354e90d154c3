/// LambdaWire's one error type: input that breaks the wire format's rules (`code`, for decisions) and a message.
public struct WireError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Code: Equatable, Sendable {
        /// GET /next answered without a request id.
        case missingRequestID
        /// GET /next answered with a deadline that is not a number.
        case invalidDeadline
        /// A handler string outside the grammar (`HandlerName`).
        case invalidHandler
    }

    public let code: Code
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }

    public static let missingRequestID = WireError(.missingRequestID,
                                                   "the Runtime API sent an invocation without \(RuntimeAPI.Header.requestID)")

    public static func invalidDeadline(_ value: String) -> WireError {
        WireError(.invalidDeadline, "the Runtime API sent an invalid \(RuntimeAPI.Header.deadlineMs): '\(value)'")
    }
}
