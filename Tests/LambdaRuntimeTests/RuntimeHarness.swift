import Foundation
import LambdaRuntime
import LambdaWire
import CProcess
import PerlBridge

/// This module's interpreter on a long-lived `PerlWorker` thread. Jobs run one at a time.
enum RuntimePerlHost {
    static let shared: PerlWorker = {
        cproc_ignore_sigpipe()
        return PerlWorker()
    }()
}

/// A temporary LAMBDA_TASK_ROOT.
final class TaskRoot: @unchecked Sendable {
    let path: String
    init(_ files: [String: String]) throws {
        path = NSTemporaryDirectory() + "perl-lambda-rt-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: path + "/" + name, atomically: true, encoding: .utf8) }
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    static func handler(_ source: String) throws -> TaskRoot { try TaskRoot(["handler.pl": source]) }
}

/// The runtime's log lines, written by `RuntimeLog` to a temporary file.
final class LogFile: @unchecked Sendable {
    let path = NSTemporaryDirectory() + "perl-lambda-rt-log-" + UUID().uuidString
    let fd: Int32
    init() { fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0o600) }
    deinit { close(fd); unlink(path) }
    var text: String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
}

/// Loads `handler` from `root`, then runs `body` with a real `RuntimeHTTPClient` + `RuntimeLoop` connected to
/// `server`, all on the interpreter's thread.
func withRuntime<T>(_ server: MockRuntimeAPI, _ root: TaskRoot, handler: String = "handler.handle", log: LogFile = LogFile(),
                    _ body: @escaping (RuntimeLoop, RuntimeHTTPClient, PerlInterpreter) throws -> T) async throws -> T {
    try await RuntimePerlHost.shared.run { perl in
        let loaded = perl.loadHandler(taskRoot: root.path, handler: handler)
        guard loaded.isSuccess else { throw MockError("loading \(handler) failed: \(loaded)") }
        let client = try RuntimeHTTPClient(endpoint: server.endpoint)
        let loop = RuntimeLoop(interpreter: perl, client: client, log: RuntimeLog(format: .text, minimum: .info, fd: log.fd))
        return try body(loop, client, perl)
    }
}

/// Starts a mock server, runs `body`, shuts the server down.
func withMockServer<T>(_ body: (MockRuntimeAPI) async throws -> T) async throws -> T {
    let server = try MockRuntimeAPI()
    defer { server.shutdown() }
    return try await body(server)
}

extension Array where Element == MockRuntimeAPI.Request {
    var paths: [String] { map { "\($0.method) \($0.uri)" } }
}

func jsonObject(_ bytes: [UInt8]) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
}
