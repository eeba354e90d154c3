import Foundation
import LambdaWire

/// The platform lines Lambda writes around each invocation: START, END, REPORT, timeouts and runtime exits.
enum LambdaLogLines {
    static func start(_ requestID: String) -> String {
        "START RequestId: \(requestID) Version: \(InvokeAPI.latestVersion)"
    }

    static func end(_ requestID: String) -> String { "END RequestId: \(requestID)" }

    /// The line Lambda writes when init failed or timed out (there is no invocation's REPORT to carry the init
    /// duration): `Phase: init` in the init phase, `Phase: invoke` when init was retried within an invocation.
    static func initReport(durationMs: Double, phase: InitPhase = .initPhase, status: Status) -> String {
        var line = "INIT_REPORT Init Duration: \(twoDecimals(durationMs)) ms\tPhase: \(phase.rawValue)\t"
        switch status {
        case .success: line += "Status: success"
        case .timeout: line += "Status: timeout"
        case .error(let type): line += "Status: error\tError Type: \(type)"
        }
        return line
    }

    enum InitPhase: String {
        case initPhase = "init"
        case invokePhase = "invoke"
    }

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
        "\(Timestamp.now()) \(requestID) Task timed out after \(twoDecimals(seconds)) seconds"
    }

    /// What Lambda logs when the runtime process ends: the error document's message, then its type.
    static func runtimeExited(_ document: ErrorDocument) -> String {
        "\(document.errorMessage)\n\(document.errorType)"
    }

    static func billedMs(_ durationMs: Double) -> Int { max(1, Int(durationMs.rounded(.up))) }

    static func twoDecimals(_ v: Double) -> String { ErrorDocument.twoDecimals(v) }

    /// Peak resident set (VmHWM) of a process in MB, from its open /proc/PID/status (read from offset 0: the kernel
    /// renders it anew on every read). One pread and a byte scan: this runs once per invocation (Foundation's
    /// file reading and String splitting here were a fifth of the emulator's CPU time per invoke).
    static func maxMemoryMB(statusFD fd: Int32) -> Int? {
        var buf = [UInt8](repeating: 0, count: 8192)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, 0) }
        guard n > 0 else { return nil }
        let key = Array("VmHWM:".utf8)
        var i = 0
        while i + key.count <= n {
            if (i == 0 || buf[i - 1] == UInt8(ascii: "\n")) && buf[i..<(i + key.count)].elementsEqual(key) {
                var j = i + key.count
                while j < n, buf[j] == UInt8(ascii: " ") || buf[j] == UInt8(ascii: "\t") { j += 1 }
                var kb = 0
                while j < n, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buf[j]) {
                    kb = kb * 10 + Int(buf[j] - UInt8(ascii: "0"))
                    j += 1
                }
                return (kb + 1023) / 1024
            }
            i += 1
        }
        return nil
    }
}
