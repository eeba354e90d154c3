/// The emulator's one error type for its own failures (`code`, for decisions) with a message. The answers serve
/// gives callers are `ServiceError`s: the Invoke API's error documents, values on the wire rather than failures.
public struct EmulatorError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Code: Equatable, Sendable {
        /// A runtime process could not be started.
        case spawn
        /// No memory cgroup could be made for an environment (`--memory` falls back to RLIMIT_AS).
        case memoryLimit
        /// Event-stream bytes that are not a message: a checksum, the header section, a header type.
        case preludeChecksum, messageChecksum, malformedHeaders, unsupportedHeaderType(UInt8)
    }

    public let code: Code
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }

    public static let preludeChecksum = EmulatorError(.preludeChecksum, "event-stream message: prelude checksum mismatch")
    public static let messageChecksum = EmulatorError(.messageChecksum, "event-stream message: message checksum mismatch")
    public static let malformedHeaders = EmulatorError(.malformedHeaders, "event-stream message: malformed header section")
    public static func unsupportedHeaderType(_ type: UInt8) -> EmulatorError {
        EmulatorError(.unsupportedHeaderType(type), "event-stream message: unsupported header type \(type)")
    }
}
