import CProcess
import LambdaWire
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// serve is the subreaper of everything its runtimes start (PR_SET_CHILD_SUBREAPER): a process a handler forked
/// that left the environment's process group (setsid, a double fork) is reparented to serve instead of init, and
/// is killed when its environment ends — found by the environment's unique AWS_LAMBDA_LOG_STREAM_NAME in its
/// environment block. Processes still in the group go with `kill(-pgid)`, and with the runtime's group kill when
/// serve itself is SIGKILLed (see the bootstrap's parent-death handling).
enum Orphans {
    /// Runtimes serve started and has not reaped yet: their exit statuses belong to `ChildReaper`.
    private static let runtimes = NIOLockedValueBox<Set<pid_t>>([])

    /// Whether this process became a subreaper: only then are there adopted processes to look for.
    private static let adopting = NIOLockedValueBox(false)

    /// Makes this process the subreaper of its descendants. Once, at serve's start.
    static func adopt() {
        let ok = cproc_become_subreaper() == 0
        adopting.withLockedValue { $0 = ok }
    }

    /// Runs `spawn` (which returns posix_spawn's result and the pid) and records the runtime it started, under the
    /// lock `killAdopted` scans under: a runtime that exits at once is never taken for an adopted process.
    static func spawning(_ spawn: () -> (Int32, pid_t)) -> (Int32, pid_t) {
        runtimes.withLockedValue { known in
            let (rc, pid) = spawn()
            if rc == 0 { known.insert(pid) }
            return (rc, pid)
        }
    }
    static func finished(_ pid: pid_t) { runtimes.withLockedValue { _ = $0.remove(pid) } }

    /// Kills and reaps the adopted processes whose environment carries `marker` ("NAME=value"), and reaps adopted
    /// processes that already exited. Runs on `ChildReaper`'s thread (it blocks briefly in waitpid).
    /// Children this process started itself are never touched: runtimes are known, and anything else it started
    /// (a Foundation `Process`, a test's child) is in its own process group, while adopted processes come from an
    /// environment's group or one of their own (reaping such a child would steal its exit status from its waiter).
    static func killAdopted(marker: String) {
        guard adopting.withLockedValue({ $0 }) else { return }
        runtimes.withLockedValue { known in killAdopted(marker: marker, known: known) }
    }

    private static func killAdopted(marker: String, known: Set<pid_t>) {
        let me = getpid(), myGroup = getpgrp()
        guard let dir = opendir("/proc") else { return }
        defer { closedir(dir) }
        var victims: [pid_t] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = pid_t(name), !known.contains(pid), let (ppid, group, zombie) = parent(of: pid), ppid == me,
                  group != myGroup else { continue }
            if zombie { _ = waitpid(pid, nil, WNOHANG); continue }
            if environment(of: pid).contains(marker) { victims.append(pid) }
        }
        for pid in victims {
            _ = kill(-pid, SIGKILL)   // it may lead a group (setsid) with children of its own
            _ = kill(pid, SIGKILL)
            _ = waitpid(pid, nil, 0)
        }
    }

    /// (ppid, process group, is a zombie) from /proc/PID/stat.
    private static func parent(of pid: pid_t) -> (pid_t, pid_t, Bool)? {
        guard let stat = read("/proc/\(pid)/stat", limit: 1024), let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = stat[(close + 2)...].split(separator: UInt8(ascii: " "), maxSplits: 4)
        guard fields.count >= 3, let ppid = pid_t(String(decoding: fields[1], as: UTF8.self)),
              let group = pid_t(String(decoding: fields[2], as: UTF8.self)) else { return nil }
        return (ppid, group, fields[0].first == UInt8(ascii: "Z"))
    }

    /// The NUL-separated "NAME=value" entries a process started with.
    private static func environment(of pid: pid_t) -> [String] {
        guard let bytes = read("/proc/\(pid)/environ", limit: 1 << 20) else { return [] }
        return bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func read(_ path: String, limit: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while out.count < limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += chunk[..<n]
        }
        return out
    }
}
