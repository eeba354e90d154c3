#if canImport(Glibc)
import Glibc
#endif
import PerlBridge

/// With `AWS_LAMBDA_LOG_FORMAT=JSON`, everything the handler prints on STDOUT/STDERR is turned into one
/// structured JSON line per output line (level INFO for stdout, ERROR for stderr) with the request id,
/// written to the original stderr. Perl's own STDOUT/STDERR are tied and arrive synchronously through
/// `PerlOutputSink` (so the two streams keep their order); anything written to fds 1 and 2 directly
/// (C libraries, child processes) is caught by pipes and a reader thread.
public final class OutputCapture: PerlOutputSink {
    private let log: RuntimeLog
    private let sink: Int32
    private var pipes: [(read: Int32, level: RuntimeLog.Level)] = []
    private var partial: [Int32: [UInt8]] = [:]
    private var lock = pthread_mutex_t()
    private var _requestID: String?
    private var busy = false

    /// Redirects fds 1 and 2. Returns nil (and changes nothing) if the pipes cannot be made.
    public init?(log: RuntimeLog) {
        self.log = log
        pthread_mutex_init(&lock, nil)
        sink = dup(2)
        guard sink >= 0 else { return nil }
        log.fd = sink
        for (fd, level) in [(Int32(1), RuntimeLog.Level.info), (2, .error)] {
            var p: [Int32] = [0, 0]
            guard pipe(&p) == 0 else { return nil }
            dup2(p[1], fd)
            close(p[1])
            pipes.append((p[0], level))
        }
        let me = Unmanaged.passRetained(self).toOpaque()
        var tid = pthread_t()
        Signals.blocked {
            _ = pthread_create(&tid, nil, { arg in
                Unmanaged<OutputCapture>.fromOpaque(arg!).takeUnretainedValue().readLoop()
                return nil
            }, me)
        }
        pthread_detach(tid)
    }

    public var requestID: String? {
        get { pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }; return _requestID }
        set {
            pthread_mutex_lock(&lock)
            _requestID = newValue
            pthread_mutex_unlock(&lock)
        }
    }

    /// Waits until everything written so far to fds 1 and 2 has been logged (called at the end of an
    /// invocation, so lines carry the right request id).
    public func drain() {
        for _ in 0..<20_000 {
            pthread_mutex_lock(&lock)
            var pending: Int32 = 0
            for p in pipes {
                var n: Int32 = 0
                _ = ioctl(p.read, UInt(FIONREAD), &n)
                pending += n
            }
            let idle = pending == 0 && !busy
            if idle { flushPartials() }
            pthread_mutex_unlock(&lock)
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
                pthread_mutex_lock(&lock)
                busy = true
                let n = buffer.withUnsafeMutableBytes { read(p.fd, $0.baseAddress, $0.count) }
                if n > 0 { consume(fd: p.fd, bytes: buffer[0..<n], level: pipes[i].level) }
                busy = false
                pthread_mutex_unlock(&lock)
            }
        }
    }

    /// Perl's tied STDOUT/STDERR (on the interpreter's thread).
    public func output(fd: Int32, bytes: UnsafeRawBufferPointer) {
        pthread_mutex_lock(&lock)
        consume(fd: -fd, bytes: bytes[...], level: fd == 2 ? .error : .info)
        pthread_mutex_unlock(&lock)
    }

    /// Called with the lock held. `fd` keys the partial-line buffer: pipes by their read end, the
    /// tied Perl handles by their negated fd.
    private func consume<C: Collection>(fd: Int32, bytes: C, level: RuntimeLog.Level) where C.Element == UInt8 {
        var pending = partial[fd] ?? []
        pending.append(contentsOf: bytes)
        while let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
            emit(Array(pending[..<nl]), level)
            pending.removeSubrange(...nl)
        }
        partial[fd] = pending
    }

    private func flushPartials() {
        for (key, rest) in partial where !rest.isEmpty {
            emit(rest, key == -2 || pipes.contains { $0.read == key && $0.level == .error } ? .error : .info)
        }
        partial.removeAll(keepingCapacity: true)
    }

    private func emit(_ line: [UInt8], _ level: RuntimeLog.Level) {
        guard level >= log.minimum else { return }
        let text = String(decoding: line, as: UTF8.self)
        write(log.line(level, text, requestID: _requestID), to: sink)
    }
}
