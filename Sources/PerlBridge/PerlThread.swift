#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A dedicated OS thread for one Perl interpreter. Perl recursion and the regex engine need a deep
/// stack, and an interpreter is bound to one thread, so Perl never runs on Swift's cooperative pool.
public enum PerlThread {
    public static let defaultStackSize = 16 << 20

    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Runs `body` on a new thread with `stackSize` bytes of stack and all signals unblocked there,
    /// and waits for it to finish.
    public static func run(stackSize: Int = defaultStackSize, _ body: @escaping () -> Void) {
        pthread_join(spawn(stackSize: stackSize, body), nil)
    }

    /// Starts `body` on a new, detached thread like `run`, without waiting.
    public static func start(stackSize: Int = defaultStackSize, _ body: @escaping () -> Void) {
        pthread_detach(spawn(stackSize: stackSize, body))
    }

    private static func spawn(stackSize: Int, _ body: @escaping () -> Void) -> pthread_t {
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        pthread_attr_setstacksize(&attr, stackSize)
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, &attr, { arg in
            let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            Signals.unblockAll()
            box.body()
            return nil
        }, box)
        precondition(rc == 0, "could not start the Perl thread: \(String(cString: strerror(rc)))")
        return tid
    }
}

/// Signal masks: Swift and NIO threads block asynchronous signals, so signals reach the Perl thread,
/// where `%SIG` handlers (e.g. `alarm` timeouts) run as Perl code expects.
public enum Signals {
    private static let asynchronous: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGALRM, SIGUSR1, SIGUSR2, SIGCHLD, SIGPIPE, SIGVTALRM, SIGPROF, SIGWINCH]

    public static func blockAsynchronous() { mask(SIG_BLOCK) }
    public static func unblockAll() { mask(SIG_UNBLOCK) }

    /// Runs `body` with asynchronous signals blocked, so threads it starts inherit the blocked mask.
    public static func blocked<T>(_ body: () throws -> T) rethrows -> T {
        var old = sigset_t()
        var set = sigset_t()
        sigemptyset(&set)
        for s in asynchronous { sigaddset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, &old)
        defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
        return try body()
    }

    private static func mask(_ how: Int32) {
        var set = sigset_t()
        sigemptyset(&set)
        for s in asynchronous { sigaddset(&set, s) }
        pthread_sigmask(how, &set, nil)
    }

    /// A write to a closed socket must be an error return, not a process-killing SIGPIPE.
    public static func ignoreSIGPIPE() { signal(SIGPIPE, SIG_IGN) }

    /// Signals that end a process with a core dump by default. Swift's runtime installs its crash backtracer on
    /// them when SWIFT_BACKTRACE enables it (and it finds swift-backtrace, as builds against the toolchain do):
    /// `kill 'SEGV', $$` from a handler was then caught, a backtrace printed into the function's log, and the
    /// invocation answered as a success. On Lambda that signal ends the runtime.
    private static let fatal: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGABRT, SIGTRAP, SIGSYS, SIGQUIT, SIGFPE]

    /// Gives the fatal signals their default action back, so a fault, `abort()` or a `kill` of the process
    /// ends it at once. Call before the interpreter exists: perl then sets SIGFPE to ignored, as plain perl
    /// does (AWS::Lambda's runtime survives `kill 'FPE', $$` too).
    public static func restoreFatalDefaults() {
        for s in fatal { signal(s, SIG_DFL) }
    }
}
