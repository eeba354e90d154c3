/// LambdaProject's one error type: what failed (`code`) and a message for the user, which says what to do.
public struct ProjectError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Code: Equatable, Sendable {
        /// A SAM template that cannot be read or used.
        case template
        /// A zip or layer that cannot be made (missing files or libraries, limits, I/O).
        case package
        /// A shared object that is not a readable ELF file (reported as a package error with its path).
        case elf
        /// A container image that cannot be built.
        case image
        /// A scaffold file that cannot be written.
        case scaffold
        /// An `--env-file` or `--env-vars` file that cannot be read.
        case environment
    }

    public let code: Code
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
