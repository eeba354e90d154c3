#if canImport(Glibc)
import Glibc
#endif
import CProcess
import LambdaWire

/// AWS_LAMBDA_MAX_CONCURRENCY=N: N worker processes forked after the handler was loaded (sharing its
/// memory copy-on-write), each serving /next on its own connection, so invocations are isolated from
/// each other. The parent supervises: a worker that dies while serving an invocation (a signal, `POSIX::_exit`)
/// fails that invocation with Lambda's `Runtime.ExitError` and is replaced, and the others keep serving; one that
/// ends between invocations (the Runtime API failed) ends them all. Workers die with the parent (PR_SET_PDEATHSIG).
final class WorkerPool {
    private let count: Int
    private let log: RuntimeLog
    private var workers: [pid_t: Int] = [:]   // pid → slot index
    private let inFlight: InFlightTable?

    init(count: Int, log: RuntimeLog) {
        self.count = count
        self.log = log
        inFlight = InFlightTable(count: count)
        if inFlight == nil { log.error("no shared memory for the workers' invocation table: crashed invocations time out") }
    }

    /// Must be called before any thread other than the caller and the (blocked) main thread exists.
    /// `worker` serves until the Runtime API fails; `failed` reports an invocation whose worker died.
    func run(worker: (InFlightTable.Slot?) -> Int32, failed: (_ requestID: String, _ reason: String) -> Void) -> Int32 {
        for index in 0..<count { spawn(index, worker) }
        while true {
            var raw: Int32 = 0
            let pid = waitpid(-1, &raw, 0)
            if pid < 0 {
                if errno == EINTR { continue }
                return 1
            }
            guard let index = workers.removeValue(forKey: pid) else { continue }   // a handler's own child
            let slot = inFlight?.slot(index)
            let serving = slot?.requestID
            slot?.clear()
            let reason = ExitStatus.describe(raw)
            let signaled = raw & 0x7f != 0
            if !signaled && serving == nil {
                let code = (raw >> 8) & 0xff
                log.error("worker \(pid) exited with status \(code); stopping the other workers")
                for w in workers.keys { kill(w, SIGTERM) }
                while waitpid(-1, nil, 0) > 0 {}
                return code == 0 ? 1 : code
            }
            if let serving {
                log.error("worker \(pid) ended (\(reason)) serving \(serving); starting a replacement")
                failed(serving, reason)
            } else {
                log.error("worker \(pid) was killed by signal \(raw & 0x7f); starting a replacement")
            }
            spawn(index, worker)
        }
    }

    /// Forks one worker for slot `index`; the child serves until the Runtime API fails, then exits.
    private func spawn(_ index: Int, _ worker: (InFlightTable.Slot?) -> Int32) {
        let pid = fork()
        if pid == 0 {
            _ = cproc_die_with_parent(SIGTERM)
            exit(worker(inFlight?.slot(index)))
        }
        if pid < 0 {
            log.error("fork failed: \(String(cString: strerror(errno)))")
            return
        }
        workers[pid] = index
    }
}
