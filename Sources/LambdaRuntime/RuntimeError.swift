/// The bootstrap's one error type: what went wrong (`code`, which decisions are made on) and a message for the log.
public struct RuntimeError: Error, CustomStringConvertible, Equatable {
    public enum Code: Equatable, Sendable {
        /// Arguments or environment the bootstrap cannot start with (handler, AWS_LAMBDA_RUNTIME_API, ...).
        case invalidConfiguration
        /// The Runtime API cannot be resolved or connected to: the environment is gone, nothing more to serve.
        case unreachable
        /// The Runtime API closed the connection before answering.
        case connectionClosed
        /// The Runtime API sent something that is not HTTP/1.1 (the parser's finding).
        case malformedResponse
        /// The Runtime API answered this request with an error status (413, an expired request id, ...).
        case rejected(status: Int)
        /// A streamed response was written to before it was started (a bug in the loop, never the handler's).
        case streamNotStarted
    }

    public let code: Code
    public let message: String
    public var description: String { message }

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Posting a result failed in a way that ends the loop: the Runtime API is out of reach. Anything else (a
    /// refused result, a connection that closed or answered garbage) costs only that result: the loop logs it and
    /// asks for the next invocation, reconnecting if it must.
    public var endsTheLoop: Bool {
        switch code {
        case .unreachable, .invalidConfiguration: return true
        case .connectionClosed, .malformedResponse, .rejected, .streamNotStarted: return false
        }
    }
}
