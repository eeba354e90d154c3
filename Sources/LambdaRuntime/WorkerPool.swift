#if canImport(Glibc)
import Glibc
#endif
import CPerl

/// AWS_LAMBDA_MAX_CONCURRENCY=N: N worker processes forked after the handler was loaded (sharing its
/// memory copy-on-write), each serving /next on its own connection, so invocations are isolated from
/// each other. The parent supervises: a worker that crashes is replaced; one that ends because the
/// Runtime API failed ends them all. Workers die with the parent (PR_SET_PDEATHSIG).
final class WorkerPool {
    private let count: Int
    private let log: RuntimeLog
    private var workers: Set<pid_t> = []

    init(count: Int, log: RuntimeLog) {
        self.count = count
        self.log = log
    }

    /// Must be called before any thread other than the caller and the (blocked) main thread exists.
    func run(worker: () -> Int32) -> Int32 {
        for _ in 0..<count {
            if let status = spawn(worker) { return status }
        }
        while true {
            var raw: Int32 = 0
            let pid = waitpid(-1, &raw, 0)
            if pid < 0 {
                if errno == EINTR { continue }
                return 1
            }
            workers.remove(pid)
            let exited = raw & 0x7f == 0
            let code = (raw >> 8) & 0xff
            if exited {
                log.error("worker \(pid) exited with status \(code); stopping the other workers")
                for w in workers { kill(w, SIGTERM) }
                while waitpid(-1, nil, 0) > 0 {}
                return code == 0 ? 1 : code
            }
            log.error("worker \(pid) was killed by signal \(raw & 0x7f); starting a replacement")
            if let status = spawn(worker) { return status }
        }
    }

    /// Forks one worker. Returns a status only in the child (after it finished serving).
    private func spawn(_ worker: () -> Int32) -> Int32? {
        let pid = fork()
        if pid == 0 {
            _ = cperl_die_with_parent(SIGTERM)
            exit(worker())
        }
        if pid < 0 {
            log.error("fork failed: \(String(cString: strerror(errno)))")
            return nil
        }
        workers.insert(pid)
        return nil
    }
}
