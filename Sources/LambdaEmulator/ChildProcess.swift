import Foundation
import LambdaWire
#if canImport(Glibc)
import Glibc
#endif

/// A runtime process in its own process group, stdin from /dev/null, stdout and stderr into pipes.
/// `kill` signals the whole group so nothing the runtime forked outlives it.
final class ChildProcess {
    let pid: pid_t
    /// Read ends of the stdout and stderr pipes (the caller takes ownership).
    let stdoutFD: Int32
    let stderrFD: Int32
    private(set) var hasExited = false
    /// /proc/PID/status, opened at spawn: REPORT lines read the peak RSS after every invocation.
    private let statusFD: Int32
    /// The environment's unique log stream entry: how its escaped descendants are recognised (`Orphans`).
    private let marker: String

    private init(pid: pid_t, stdoutFD: Int32, stderrFD: Int32, marker: String) {
        self.pid = pid
        self.marker = marker
        self.stdoutFD = stdoutFD
        self.stderrFD = stderrFD
        statusFD = open("/proc/\(pid)/status", O_RDONLY | O_CLOEXEC)
    }

    static func spawn(command: [String], environment: [String: String], directory: String) throws -> ChildProcess {
        guard let executable = command.first else { throw EmulatorError(.spawn, "no command to run") }
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        // Spawns happen on the emulator's one event loop thread, so pipe + FD_CLOEXEC does not race another spawn.
        guard pipe(&out) == 0 else { throw EmulatorError(.spawn, "pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&err) == 0 else {
            close(out[0]); close(out[1])
            throw EmulatorError(.spawn, "pipe: \(String(cString: strerror(errno)))")
        }
        defer { close(out[1]); close(err[1]) }
        for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        // NIO's sockets (the Invoke API listener, callers' connections) are not close-on-exec: a runtime spawned while
        // a caller waits would keep its connection open (a `Connection: close` caller never saw EOF after a cold start).
        _ = Self.addCloseFrom?(&actions, 3)
        guard let addChdir = Self.addChdir else { throw EmulatorError(.spawn, "posix_spawn_file_actions_addchdir_np is missing") }
        _ = addChdir(&actions, directory)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attr, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attr, &mask)

        let argv = command.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        let (rc, pid) = Orphans.spawning {
            var pid = pid_t()
            let rc = executable.contains("/")
                ? posix_spawn(&pid, executable, &actions, &attr, argv, envp)
                : posix_spawnp(&pid, executable, &actions, &attr, argv, envp)
            return (rc, pid)
        }
        guard rc == 0 else {
            close(out[0]); close(err[0])
            throw EmulatorError(.spawn, "cannot run \(executable): \(String(cString: strerror(rc)))")
        }
        let stream = environment[RuntimeEnvironment.logStream] ?? ""
        return ChildProcess(pid: pid, stdoutFD: out[0], stderrFD: err[0], marker: "\(RuntimeEnvironment.logStream)=\(stream)")
    }

    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    /// glibc ≥ 2.29 has it, but only declares it under _GNU_SOURCE.
    private static let addChdir: AddChdir? = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map {
        unsafeBitCast($0, to: AddChdir.self)
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// glibc ≥ 2.34.
    private static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: AddCloseFrom.self)
    }

    /// Calls `handler` with the raw wait status, on the reaper's thread (`ChildReaper`), once the process has exited
    /// (and what it left behind in its group, and adopted orphans from its environment, are killed).
    func whenExited(_ handler: @escaping @Sendable (Int32) -> Void) {
        let pid = self.pid, marker = self.marker
        ChildReaper.shared.watch(pid) { status in
            Orphans.finished(pid)
            _ = Glibc.kill(-pid, SIGKILL)   // what is left of its process group
            Orphans.killAdopted(marker: marker)
            handler(status)
        }
    }

    /// Marks the process reaped (call from the exit handler) and kills what is left of its group.
    func reaped() {
        hasExited = true
        _ = Glibc.kill(-pid, SIGKILL)
    }

    deinit { if statusFD >= 0 { close(statusFD) } }

    /// The process's peak resident set (VmHWM) in MB, nil once it is gone. One pread per call.
    func maxMemoryMB() -> Int? {
        guard statusFD >= 0, !hasExited else { return nil }
        return LambdaLogLines.maxMemoryMB(statusFD: statusFD)
    }

    /// Signals the process group (the process leads it).
    func kill(_ signal: Int32 = SIGKILL) {
        guard !hasExited else { return }
        _ = Glibc.kill(-pid, signal)
        _ = Glibc.kill(pid, signal)
    }

    /// Bytes waiting in a pipe (FIONREAD), 0 when it cannot be asked.
    static func pendingBytes(_ fd: Int32) -> Int {
        var n: Int32 = 0
        return ioctl(fd, UInt(FIONREAD), &n) == 0 ? Int(n) : 0
    }
}
