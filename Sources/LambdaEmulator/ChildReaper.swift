import CProcess
import Foundation
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// Waits for every runtime serve started, on one thread: each child's pidfd (pidfd_open) becomes readable when it
/// exits, one poll(2) watches them all, and a pipe wakes it when a child is added. (It used to be one blocked
/// thread per child.) Where pidfds are missing (Linux before 5.3) a child gets a waiting thread of its own.
final class ChildReaper: @unchecked Sendable {
    static let shared = ChildReaper()

    private struct Watched {
        let fd: Int32
        let exited: (Int32) -> Void
    }
    /// The wake-up pipe: [read end, write end].
    private var wake: [Int32] = [-1, -1]
    private let watched = NIOLockedValueBox<[pid_t: Watched]>([:])

    private init() {
        if pipe(&wake) == 0 {
            for fd in wake { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            _ = fcntl(wake[0], F_SETFL, O_NONBLOCK)
        }
        let thread = Thread { [self] in run() }   // started once, lives as long as the process
        thread.start()
    }

    /// Calls `exited` with the raw wait status, on the reaper's thread, once `pid` has exited and was reaped.
    func watch(_ pid: pid_t, exited: @escaping (Int32) -> Void) {
        let fd = cproc_pidfd_open(pid)
        guard fd >= 0, wake[1] >= 0 else {
            Thread.detachNewThread { exited(Self.waitBlocking(pid)) }
            return
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        watched.withLockedValue { $0[pid] = Watched(fd: fd, exited: exited) }
        var one: UInt8 = 1
        _ = write(wake[1], &one, 1)
    }

    private static func waitBlocking(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        return status
    }

    private func run() {
        while true {
            let current = watched.withLockedValue { $0 }
            var fds = [pollfd(fd: wake[0], events: Int16(POLLIN), revents: 0)]
            var pids: [pid_t] = []
            for (pid, w) in current {
                fds.append(pollfd(fd: w.fd, events: Int16(POLLIN), revents: 0))
                pids.append(pid)
            }
            if poll(&fds, nfds_t(fds.count), -1) < 0 { continue }   // EINTR
            if fds[0].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 64)
                while read(wake[0], &drain, drain.count) > 0 {}
            }
            for (i, pid) in pids.enumerated() where fds[i + 1].revents != 0 {
                var status: Int32 = 0
                let r = waitpid(pid, &status, WNOHANG)
                guard r == pid || (r < 0 && errno == ECHILD) else { continue }   // 0: not yet
                guard let w = watched.withLockedValue({ $0.removeValue(forKey: pid) }) else { continue }
                close(w.fd)
                w.exited(r == pid ? status : -1)
            }
        }
    }
}
