#if canImport(Glibc)
import Glibc
#endif
import CProcess
import PerlBridge
import Synchronization

/// With `AWS_LAMBDA_LOG_FORMAT=JSON`, everything the handler prints on STDOUT/STDERR is turned into one
/// structured JSON line per output line (level INFO for stdout, ERROR for stderr) with the request id,
/// written to the original stderr. Perl's own STDOUT/STDERR are tied and arrive synchronously through
/// `PerlOutputSink` (so the two streams keep their order); anything written to fds 1 and 2 directly
/// (C libraries, child processes) is caught by pipes and a reader thread.
public final class OutputCapture: PerlOutputSink {
    private let log: RuntimeLog
    private let sink: Int32
    private let pipes: [(read: Int32, level: RuntimeLog.Level)]
    /// Everything the reader thread and the interpreter's thread share.
    private struct State {
        var partial: [Int32: [UInt8]] = [:]
        var requestID: String?
        var busy = false
    }
    private let state = Mutex(State())

    /// Redirects fds 1 and 2. Returns nil, with nothing changed, if the pipes cannot be made.
    public init?(log: RuntimeLog) {
        var made: [(read: Int32, write: Int32)] = []
        for _ in 0..<2 {
            var p: [Int32] = [0, 0]
            guard pipe(&p) == 0 else {
                for m in made { close(m.read); close(m.write) }
                return nil
            }
            made.append((p[0], p[1]))
        }
        let saved = dup(2)
        guard saved >= 0 else {
            for m in made { close(m.read); close(m.write) }
            return nil
        }
        self.log = log
        sink = saved
        log.fd = saved
        for (fd, m) in zip([Int32(1), 2], made) {
            dup2(m.write, fd)
            close(m.write)
        }
        pipes = [(made[0].read, .info), (made[1].read, .error)]
        let me = Unmanaged.passRetained(self).toOpaque()
        var tid = pthread_t()
        var mask = sigset_t()
        cproc_block_async_signals(&mask)   // the reader thread inherits the blocked mask
        _ = pthread_create(&tid, nil, { arg in
            Unmanaged<OutputCapture>.fromOpaque(arg!).takeUnretainedValue().readLoop()
            return nil
        }, me)
        cproc_restore_signal_mask(&mask)
        pthread_detach(tid)
    }

    public var requestID: String? {
        get { state.withLock { $0.requestID } }
        set { state.withLock { $0.requestID = newValue } }
    }

    /// Waits until everything written so far to fds 1 and 2 has been logged (called at the end of an
    /// invocation, so lines carry the right request id).
    public func drain() {
        for _ in 0..<20_000 {
            let idle = state.withLock { s -> Bool in
                var pending: Int32 = 0
                for p in pipes {
                    var n: Int32 = 0
                    _ = ioctl(p.read, UInt(FIONREAD), &n)
                    pending += n
                }
                let idle = pending == 0 && !s.busy
                if idle { flushPartials(&s) }
                return idle
            }
            if idle { return }
            usleep(50)
        }
    }

    private func readLoop() {
        var fds = pipes.map { pollfd(fd: $0.read, events: Int16(POLLIN), revents: 0) }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            if poll(&fds, nfds_t(fds.count), -1) < 0 { if errno == EINTR { continue } else { return } }
            for (i, p) in fds.enumerated() where p.revents != 0 {
                state.withLock { s in
                    s.busy = true
                    let n = buffer.withUnsafeMutableBytes { read(p.fd, $0.baseAddress, $0.count) }
                    if n > 0 { consume(&s, fd: p.fd, bytes: buffer[0..<n], level: pipes[i].level) }
                    s.busy = false
                }
            }
        }
    }

    /// Perl's tied STDOUT/STDERR (on the interpreter's thread).
    public func output(fd: Int32, bytes: UnsafeRawBufferPointer) {
        state.withLock { consume(&$0, fd: -fd, bytes: bytes[...], level: fd == 2 ? .error : .info) }
    }

    /// Under the lock. `fd` keys the partial-line buffer: pipes by their read end, the tied Perl handles by their
    /// negated fd.
    private func consume<C: Collection>(_ s: inout State, fd: Int32, bytes: C, level: RuntimeLog.Level) where C.Element == UInt8 {
        var pending = s.partial[fd] ?? []
        pending.append(contentsOf: bytes)
        while let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
            emit(Array(pending[..<nl]), level, requestID: s.requestID)
            pending.removeSubrange(...nl)
        }
        s.partial[fd] = pending
    }

    private func flushPartials(_ s: inout State) {
        for (key, rest) in s.partial where !rest.isEmpty {
            emit(rest, key == -2 || pipes.contains { $0.read == key && $0.level == .error } ? .error : .info, requestID: s.requestID)
        }
        s.partial.removeAll(keepingCapacity: true)
    }

    private func emit(_ line: [UInt8], _ level: RuntimeLog.Level, requestID: String?) {
        guard level >= log.minimum else { return }
        let text = String(decoding: line, as: UTF8.self)
        write(log.line(level, text, requestID: requestID), to: sink)
    }
}
