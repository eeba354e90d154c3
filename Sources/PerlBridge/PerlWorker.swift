#if canImport(Glibc)
import Glibc
#endif

/// A long-lived `PerlThread` owning one `PerlInterpreter`: closures submitted with `run` execute on that
/// thread, one at a time, in order. For hosts that call into Perl from async code (tests, tools); the
/// bootstrap itself runs its whole loop on the interpreter's thread instead.
public final class PerlWorker: @unchecked Sendable {
    // Heap-allocated: a pthread mutex must not move, and a Swift stored property has no stable address.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var jobs: [(PerlInterpreter?, String?) -> Void] = []

    public init(libDirs: [String] = [], stackSize: Int = PerlThread.defaultStackSize) {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        PerlThread.start(stackSize: stackSize) { [self] in
            var interpreter: PerlInterpreter?
            var failure: String?
            do { interpreter = try PerlInterpreter(libDirs: libDirs) } catch { failure = "\(error)" }
            while true { next()(interpreter, failure) }
        }
    }

    private func next() -> (PerlInterpreter?, String?) -> Void {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while jobs.isEmpty { pthread_cond_wait(condition, mutex) }
        return jobs.removeFirst()
    }

    /// Runs `body` with the interpreter on its thread and returns its result.
    public func run<T>(_ body: @escaping (PerlInterpreter) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            pthread_mutex_lock(mutex)
            jobs.append { interpreter, failure in
                guard let interpreter else {
                    continuation.resume(throwing: PerlError(.workerUnavailable, "no interpreter: \(failure ?? "?")"))
                    return
                }
                continuation.resume(with: Result { try body(interpreter) })
            }
            pthread_cond_signal(condition)
            pthread_mutex_unlock(mutex)
        }
    }
}
