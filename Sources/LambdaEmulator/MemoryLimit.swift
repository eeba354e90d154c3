#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// How serve enforces `--memory` on an execution environment's runtime: a memory cgroup (`MemoryCgroup`) where the
/// machine allows one, which behaves as Lambda does (the OOM killer, `Runtime.OutOfMemory`); else `RLIMIT_AS`, set
/// once init is done to the address space init left plus `--memory`, so the handler's allocations past it fail
/// (Perl says "Out of memory!" and exits, which the bootstrap answers as `Runtime.ExitError`; other runtimes fail
/// their own way). Which one is said once, at the first
/// environment. `PERL_LAMBDA_MEMORY_LIMIT=rlimit` (or `none`) chooses the fallback (or nothing) explicitly.
enum MemoryLimit {
    enum Mode: Equatable { case cgroup, rlimit, none }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var noted = false

    static var requested: Mode {
        switch ProcessInfo.processInfo.environment["PERL_LAMBDA_MEMORY_LIMIT"] {
        case "rlimit": return .rlimit
        case "none": return .none
        default: return .cgroup
        }
    }

    /// Puts a just-spawned runtime under `limitMB`: its cgroup, or nil when the fallback applies (then call
    /// `limitAddressSpace` when init is done).
    static func attach(pid: pid_t, limitMB: Int, logger: Logger) -> MemoryCgroup? {
        let mode = requested
        guard mode == .cgroup else {
            noteOnce(logger, mode == .none ? "--memory is not enforced (PERL_LAMBDA_MEMORY_LIMIT=none)"
                : "--memory is enforced with RLIMIT_AS (PERL_LAMBDA_MEMORY_LIMIT=rlimit): " + fallbackEffect)
            return nil
        }
        switch MemoryCgroup.create(limitMB: limitMB) {
        case .success(let group):
            if group.add(pid: pid) {
                noteOnce(logger, "--memory is enforced with a cgroup \(group.version.rawValue) memory limit (\(group.path))", level: .debug)
                return group
            }
            group.remove()
            noteOnce(logger, "cannot move the runtime into \(group.path); --memory is enforced with RLIMIT_AS: " + fallbackEffect)
        case .failure(let why):
            noteOnce(logger, "no memory cgroup can be made here (\(why)); --memory is enforced with RLIMIT_AS: " + fallbackEffect)
        }
        return nil
    }

    static let fallbackEffect = "a handler that allocates past it gets its runtime's own out-of-memory error "
        + "(Perl: \"Out of memory!\", answered as Runtime.ExitError, the environment kept) rather than Lambda's "
        + "Runtime.OutOfMemory, and Max Memory Used is the process's peak RSS"

    /// The fallback, at the end of init: the runtime's address space may grow by `limitMB` past what it is now
    /// (init's interpreter, thread stacks and libraries are mapped already and would make a plain `limitMB` cap
    /// fail at start).
    static func limitAddressSpace(pid: pid_t, limitMB: Int) {
        guard requested == .rlimit || requested == .cgroup else { return }
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmSize:") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return }
        let bytes = rlim_t(kb * 1024 + limitMB * 1024 * 1024)
        var limit = rlimit(rlim_cur: bytes, rlim_max: bytes)
        _ = prlimit?(pid, Int32(RLIMIT_AS.rawValue), &limit, nil)
    }

    /// glibc's prlimit(2) wrapper, which Swift's Glibc module does not declare (it needs _GNU_SOURCE).
    private typealias Prlimit = @convention(c) (pid_t, Int32, UnsafePointer<rlimit>?, UnsafeMutablePointer<rlimit>?) -> Int32
    private static let prlimit: Prlimit? = dlsym(nil, "prlimit").map { unsafeBitCast($0, to: Prlimit.self) }

    private static func noteOnce(_ logger: Logger, _ message: String, level: Logger.Level = .notice) {
        let first = lock.withLock { () -> Bool in
            defer { noted = true }
            return !noted
        }
        if first { logger.log(level: level, "\(message)") }
    }
}
