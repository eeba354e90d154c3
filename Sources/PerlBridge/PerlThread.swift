import CProcess
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
            cproc_unblock_async_signals()   // signals reach this thread (see CProcess)
            box.body()
            return nil
        }, box)
        precondition(rc == 0, "could not start the Perl thread: \(String(cString: strerror(rc)))")
        return tid
    }
}
