import Glibc
import LambdaWire
import Testing

@Suite struct ExitStatusTests {
    @Test func exitCodes() {
        #expect(ExitStatus.describe(0) == "exit status 0")
        #expect(ExitStatus.describe(3 << 8) == "exit status 3")
        #expect(ExitStatus.describe(-1) == "unknown exit status")
    }

    /// Lambda's (Go's) wording, as the RIE reports a runtime killed by each signal.
    @Test func signalsAsLambdaWordsThem() {
        #expect(ExitStatus.describe(SIGKILL) == "signal: killed")
        #expect(ExitStatus.describe(SIGSEGV) == "signal: segmentation fault")
        #expect(ExitStatus.describe(SIGABRT) == "signal: aborted")
        #expect(ExitStatus.describe(SIGBUS) == "signal: bus error")
        #expect(ExitStatus.describe(SIGTRAP) == "signal: trace/breakpoint trap")
        #expect(ExitStatus.describe(SIGSYS) == "signal: bad system call")
        #expect(ExitStatus.describe(SIGSEGV | 0x80) == "signal: segmentation fault", "core dumped")
        #expect(ExitStatus.describe(40) == "signal: signal 40")
    }
}
