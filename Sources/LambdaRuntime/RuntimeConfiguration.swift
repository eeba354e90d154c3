#if canImport(Glibc)
import Glibc
#endif
import LambdaWire

/// Everything the bootstrap needs from its arguments and environment, validated up front.
public struct RuntimeConfiguration: Equatable {
    public var handler: String
    public var taskRoot: String
    public var runtimeAPI: String
    /// Worker processes serving /next concurrently (AWS_LAMBDA_MAX_CONCURRENCY); 1 = a single loop.
    public var workers: Int

    /// Handler from argv[1], else `_HANDLER`, as AWS::Lambda::Bootstrap does.
    public init(arguments: [String], environment: [String: String]) throws {
        guard let handler = arguments.first ?? environment[RuntimeEnvironment.handler], !handler.isEmpty else {
            throw RuntimeError(.invalidConfiguration, "no handler: pass FILE.FUNCTION (e.g. handler.handle) as the first argument or set _HANDLER")
        }
        guard let api = environment[RuntimeEnvironment.runtimeAPI], !api.isEmpty else {
            throw RuntimeError(.invalidConfiguration, "AWS_LAMBDA_RUNTIME_API is not set: the bootstrap must be started by Lambda, "
                          + "the AWS Runtime Interface Emulator or `perl-lambda serve`")
        }
        guard let root = environment[RuntimeEnvironment.taskRoot], !root.isEmpty else {
            throw RuntimeError(.invalidConfiguration, "LAMBDA_TASK_ROOT is not set: it must name the directory holding the handler file")
        }
        var st = stat()
        guard stat(root, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw RuntimeError(.invalidConfiguration, "LAMBDA_TASK_ROOT '\(root)' is not a directory")
        }
        var workers = 1
        if let raw = environment[RuntimeEnvironment.maxConcurrency], !raw.isEmpty {
            guard let n = Int(raw), n >= 0, n <= 1024 else {
                throw RuntimeError(.invalidConfiguration, "AWS_LAMBDA_MAX_CONCURRENCY must be an integer from 0 to 1024, got '\(raw)'")
            }
            workers = max(n, 1)
        }
        self.handler = handler
        self.taskRoot = root
        self.runtimeAPI = api
        self.workers = workers
    }
}

/// The process environment as a dictionary (no Foundation).
public func processEnvironment() -> [String: String] {
    var env: [String: String] = [:]
    var p = environ
    while let entry = p.pointee {
        let s = String(cString: entry)
        if let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
        p += 1
    }
    return env
}
