#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A memory cgroup holding one execution environment's runtime to `--memory`, as Lambda's sandbox holds a
/// function: past the limit the kernel's OOM killer ends the process (SIGKILL), and the cgroup's counters say
/// so and give the peak use for REPORT's `Max Memory Used`.
///
/// cgroup v2 (`memory.max`, `memory.swap.max`, `memory.peak`, `memory.events`) or v1 (`memory.limit_in_bytes`,
/// `memory.memsw.limit_in_bytes`, `memory.max_usage_in_bytes`, `memory.oom_control`), whichever the machine
/// gives serve's own cgroup a writable memory controller in; each environment gets a child cgroup of serve's,
/// `perl-lambda-PID-N`, removed when its process is gone. Where neither works, `create` returns nil (see
/// `MemoryLimit`).
final class MemoryCgroup {
    enum Version: String { case v1, v2 }

    let path: String
    let version: Version

    private init(path: String, version: Version) {
        self.path = path
        self.version = version
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var counter = 0

    /// A new cgroup limited to `limitMB`, or nil with the reason.
    static func create(limitMB: Int) -> Result<MemoryCgroup, EmulatorError> {
        guard let (parent, version) = parent else { return .failure(EmulatorError(.memoryLimit, parentProblem)) }
        let n = lock.withLock { counter += 1; return counter }
        let dir = "\(parent)/perl-lambda-\(getpid())-\(n)"
        guard mkdir(dir, 0o755) == 0 || errno == EEXIST else {
            return .failure(EmulatorError(.memoryLimit, "cannot create \(dir): \(String(cString: strerror(errno)))"))
        }
        let group = MemoryCgroup(path: dir, version: version)
        let bytes = String(limitMB * 1024 * 1024)
        let ok: Bool
        switch version {
        case .v2:
            ok = group.write("memory.max", bytes)
            _ = group.write("memory.swap.max", "0")           // absent without swap accounting: fine
        case .v1:
            ok = group.write("memory.limit_in_bytes", bytes)
            _ = group.write("memory.memsw.limit_in_bytes", bytes)   // no swapping past the limit, where accounted
        }
        guard ok else {
            group.remove()
            return .failure(EmulatorError(.memoryLimit, "cannot set the memory limit of \(dir)"))
        }
        return .success(group)
    }

    /// Moves a process (and its later children) into the cgroup.
    func add(pid: pid_t) -> Bool { write("cgroup.procs", String(pid)) }

    /// The most memory the cgroup's processes used at once, in MB (rounded up).
    var peakMB: Int? {
        let file = version == .v2 ? "memory.peak" : "memory.max_usage_in_bytes"
        guard let text = read(file), let bytes = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return (bytes + 1024 * 1024 - 1) / (1024 * 1024)
    }

    /// How many processes of the cgroup the kernel killed for memory.
    var oomKills: Int {
        let text = read(version == .v2 ? "memory.events" : "memory.oom_control") ?? ""
        return Self.counter(named: "oom_kill", in: text) ?? 0
    }

    /// Removes the (empty) cgroup; false while processes remain in it.
    @discardableResult
    func remove() -> Bool { rmdir(path) == 0 || errno == ENOENT }

    /// `name N` in a flat-keyed cgroup file.
    static func counter(named name: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, f[0] == name { return Int(f[1]) }
        }
        return nil
    }

    private func write(_ file: String, _ value: String) -> Bool {
        let fd = open("\(path)/\(file)", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return value.withCString { Glibc.write(fd, $0, strlen($0)) } == value.utf8.count
    }

    private func read(_ file: String) -> String? {
        try? String(contentsOfFile: "\(path)/\(file)", encoding: .utf8)
    }

    // MARK: - Where: serve's own cgroup, if its memory controller can be used

    private static let found: (parent: (String, Version)?, problem: String) = locateParent()
    static var parent: (String, Version)? { found.parent }
    static var parentProblem: String { found.problem }

    /// serve's cgroup with a memory controller children can use: v2 first (the controller enabled for children, or
    /// enabled now), else v1's memory hierarchy. Stale children of earlier serves that were SIGKILLed are removed.
    static func locateParent(procCgroup: String = "/proc/self/cgroup", mountinfo: String = "/proc/self/mountinfo")
        -> ((String, Version)?, String) {
        guard let cgroups = try? String(contentsOfFile: procCgroup, encoding: .utf8),
              let mounts = try? String(contentsOfFile: mountinfo, encoding: .utf8) else {
            return (nil, "cannot read \(procCgroup)")
        }
        var problems: [String] = []
        let (v2Path, v1Path) = membership(cgroups)
        if let rel = v2Path, let mount = mountPoint(mounts, fstype: "cgroup2", option: nil) {
            let dir = mount + (rel == "/" ? "" : rel)
            let fs = FileSystemView.live
            if let chosen = v2Parent(start: dir, mount: mount, fs: fs) { return (cleaned(chosen, .v2), "") }
            problems.append("no cgroup v2 at or above \(dir) lets serve give its children the memory controller")
        }
        if let rel = v1Path, let mount = mountPoint(mounts, fstype: "cgroup", option: "memory") {
            let dir = mount + (rel == "/" ? "" : rel)
            if access(dir, W_OK) == 0 { return (cleaned(dir, .v1), "") }
            problems.append("\(dir) is not writable")
        }
        if problems.isEmpty { problems.append("no cgroup memory controller is mounted") }
        return (nil, problems.joined(separator: "; "))
    }

    /// What `v2Parent` reads and does (the live cgroup filesystem, or a test's stand-in).
    struct FileSystemView {
        var read: (String) -> String?
        var writable: (String) -> Bool
        /// Writes `+memory` to a cgroup's `cgroup.subtree_control`; false when refused.
        var enableMemory: (String) -> Bool

        static let live = FileSystemView(
            read: { try? String(contentsOfFile: $0, encoding: .utf8) },
            writable: { access($0, W_OK) == 0 },
            enableMemory: { MemoryCgroup(path: $0, version: .v2).write("cgroup.subtree_control", "+memory") })
    }

    /// Where v2 children with a memory limit can be made: serve's own cgroup when the memory controller is (or can
    /// now be) enabled for its children — refused while processes live in it, the rule for non-root cgroups — else
    /// the nearest writable ancestor that already enables it (a systemd slice, a delegated `user@.service`'s
    /// `app.slice`), whose subtree serve's process may move into.
    static func v2Parent(start: String, mount: String, fs: FileSystemView) -> String? {
        func words(_ file: String) -> [Substring] { (fs.read(file) ?? "").split(whereSeparator: \.isWhitespace) }
        if words("\(start)/cgroup.controllers").contains("memory"), fs.writable(start),
           words("\(start)/cgroup.subtree_control").contains("memory") || fs.enableMemory(start) {
            return start
        }
        var dir = start
        while dir.count > mount.count, let slash = dir.lastIndex(of: "/") {
            dir = String(dir[..<slash])
            if words("\(dir)/cgroup.subtree_control").contains("memory"), fs.writable(dir) { return dir }
        }
        return nil
    }

    /// serve's cgroup paths from /proc/self/cgroup: the v2 one (`0::/path`) and v1's memory one (`N:memory:/path`).
    static func membership(_ text: String) -> (v2: String?, v1Memory: String?) {
        var v2: String?, v1: String?
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3 else { continue }
            if f[0] == "0", f[1].isEmpty { v2 = String(f[2]) }
            if f[1].split(separator: ",").contains("memory") { v1 = String(f[2]) }
        }
        return (v2, v1)
    }

    /// The mount point of a `fstype` mount (with `option` among its super options) in /proc/self/mountinfo.
    static func mountPoint(_ mountinfo: String, fstype: String, option: String?) -> String? {
        for line in mountinfo.split(separator: "\n") {
            let parts = line.components(separatedBy: " - ")
            guard parts.count == 2 else { continue }
            let pre = parts[0].split(separator: " "), post = parts[1].split(separator: " ")
            guard pre.count >= 5, post.count >= 3, post[0] == fstype else { continue }
            if let option, !post[2].split(separator: ",").contains(Substring(option)) { continue }
            return String(pre[4])
        }
        return nil
    }

    private static func cleaned(_ dir: String, _ version: Version) -> (String, Version) {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where entry.hasPrefix("perl-lambda-") {
            let fields = entry.split(separator: "-")
            if fields.count == 4, let pid = pid_t(fields[2]), pid != getpid(), Glibc.kill(pid, 0) != 0, errno == ESRCH {
                rmdir("\(dir)/\(entry)")
            }
        }
        return (dir, version)
    }
}
