import Foundation

/// The built `bootstrap` executable run as a subprocess, its stdout/stderr captured in temporary files.
final class BootstrapProcess: @unchecked Sendable {
    /// Next to the test bundle (`<scratch>/<triple>/debug/`), else `<repo>/.build-tests/debug/bootstrap`.
    static var executable: String {
        let fm = FileManager.default
        if let exe = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let candidate = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("bootstrap").path
            if fm.isExecutableFile(atPath: candidate) { return candidate }
        }
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repo.appendingPathComponent(".build-tests/debug/bootstrap").path
    }

    let process = Process()
    let outPath = NSTemporaryDirectory() + "bootstrap-out-" + UUID().uuidString
    let errPath = NSTemporaryDirectory() + "bootstrap-err-" + UUID().uuidString

    /// Kept alive as long as the process (e.g. its LAMBDA_TASK_ROOT).
    private let retained: [AnyObject]

    init(environment: [String: String], arguments: [String] = [], retaining: [AnyObject] = []) throws {
        retained = retaining
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw MockError("bootstrap not built at \(Self.executable): run `swift build --build-tests --scratch-path .build-tests`")
        }
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        process.environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"].merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        try process.run()
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }

    var pid: pid_t { process.processIdentifier }
    var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.isRunning }

    /// Waits for the process to exit; kills it and throws after `timeout`.
    func exitStatus(timeout: Duration = .seconds(20)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline {
                kill()
                throw MockError("bootstrap did not exit within \(timeout); stderr:\n\(stderr)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }

    func kill() {
        if process.isRunning {
            Foundation.kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Process ids whose parent is this process (the worker pool's workers).
    var children: [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { child in
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == pid && fields[0] != "Z"
        }
    }
}
