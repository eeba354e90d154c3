import Foundation
import LambdaWire

/// The platform lines Lambda writes around each invocation: START, END, REPORT, timeouts and runtime exits.
enum LambdaLogLines {
    static func start(_ requestID: String) -> String {
        "START RequestId: \(requestID) Version: \(InvokeAPI.latestVersion)"
    }

    static func end(_ requestID: String) -> String { "END RequestId: \(requestID)" }

    /// How an invocation ended, as REPORT's `Status:` field shows it.
    enum Status: Equatable {
        case success
        case timeout
        case error(type: String)
    }

    static func report(requestID: String, durationMs: Double, memoryMB: Int, maxMemoryMB: Int?,
                       initDurationMs: Double?, status: Status) -> String {
        var line = "REPORT RequestId: \(requestID)\tDuration: \(twoDecimals(durationMs)) ms"
        line += "\tBilled Duration: \(billedMs(durationMs)) ms\tMemory Size: \(memoryMB) MB"
        line += "\tMax Memory Used: \(maxMemoryMB ?? 0) MB\t"
        if let i = initDurationMs { line += "Init Duration: \(twoDecimals(i)) ms\t" }
        switch status {
        case .success: break
        case .timeout: line += "Status: timeout"
        case .error(let type): line += "Status: error\tError Type: \(type)"
        }
        return line
    }

    static func timedOut(requestID: String, seconds: Double) -> String {
        "\(Identifiers.timestamp()) \(requestID) Task timed out after \(twoDecimals(seconds)) seconds"
    }

    static func runtimeExited(requestID: String, reason: String) -> String {
        "RequestId: \(requestID) Error: Runtime exited with error: \(reason)\nRuntime.ExitError"
    }

    static func billedMs(_ durationMs: Double) -> Int { max(1, Int(durationMs.rounded(.up))) }

    static func twoDecimals(_ v: Double) -> String { ErrorDocument.twoDecimals(v) }

    /// Peak resident set (VmHWM) of a process in MB, from /proc/PID/status.
    static func maxMemoryMB(pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) } ?? 0
            return (kb + 1023) / 1024
        }
        return nil
    }
}
