#if canImport(Glibc)
import Glibc
#endif

/// How Lambda words a runtime process's end in `Runtime.ExitError` messages ("exit status 1",
/// "signal: segmentation fault": Go's wording, which the service and the RIE use). Shared by the bootstrap
/// (a crashed worker's invocation) and the emulator (a crashed runtime).
public enum ExitStatus {
    /// Describes a `waitpid` status; -1 when it is unknown.
    public static func describe(_ status: Int32) -> String {
        if status == -1 { return "unknown exit status" }
        let signal = status & 0x7f
        if signal == 0 { return "exit status \((status >> 8) & 0xff)" }
        return "signal: \(signalNames[signal] ?? "signal \(signal)")"
    }

    /// The signal's description as Go (and so Lambda) prints it.
    static let signalNames: [Int32: String] = [
        SIGHUP: "hangup", SIGINT: "interrupt", SIGQUIT: "quit", SIGILL: "illegal instruction",
        SIGTRAP: "trace/breakpoint trap", SIGABRT: "aborted", SIGBUS: "bus error", SIGFPE: "floating point exception",
        SIGKILL: "killed", SIGUSR1: "user defined signal 1", SIGSEGV: "segmentation fault",
        SIGUSR2: "user defined signal 2", SIGPIPE: "broken pipe", SIGALRM: "alarm clock", SIGTERM: "terminated",
        SIGXCPU: "CPU time limit exceeded", SIGXFSZ: "file size limit exceeded", SIGVTALRM: "virtual timer expired",
        SIGPROF: "profiling timer expired", SIGSYS: "bad system call",
    ]
}
