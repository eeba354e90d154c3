import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Watches directory trees by polling: every `interval` seconds it lists the files under each root with their
/// modification time, size and inode, and reports the roots whose listing changed (files edited, added, removed,
/// replaced by rename). Hidden entries (`.git`, editor swap files) and `~` backups are ignored.
public final class FileWatcher: @unchecked Sendable {
    /// One root's changes since the previous poll (paths relative to the root; at most a few are listed).
    public struct Change: Sendable {
        public let root: String
        public let paths: [String]
        public let count: Int
    }

    struct Entry: Equatable {
        let seconds: Int
        let nanoseconds: Int
        let size: Int64
        let inode: UInt64
    }
    typealias Listing = [String: Entry]

    public let roots: [String]
    public let interval: Double
    /// Roots with more files than this are only scanned up to it.
    public static let maxFiles = 50_000
    private let queue = DispatchQueue(label: "perl-lambda.watch")
    private let onChange: @Sendable ([Change]) -> Void
    private var listings: [String: Listing] = [:]
    private var timer: DispatchSourceTimer?

    public init(roots: [String], interval: Double = 0.5, onChange: @escaping @Sendable ([Change]) -> Void) {
        var seen = Set<String>()
        self.roots = roots.filter { seen.insert($0).inserted }
        self.interval = interval
        self.onChange = onChange
    }

    /// Takes the first listing (synchronously, so edits after `start` returns are seen) and begins polling.
    public func start() {
        queue.sync {
            for root in roots { listings[root] = Self.list(root) }
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(50))
            timer.setEventHandler { [weak self] in self?.poll() }
            timer.resume()
            self.timer = timer
        }
    }

    public func stop() {
        queue.sync {
            timer?.cancel()
            timer = nil
        }
    }

    /// Number of files last seen under `root`.
    public func fileCount(_ root: String) -> Int { queue.sync { listings[root]?.count ?? 0 } }

    private func poll() {
        var changes: [Change] = []
        for root in roots {
            let now = Self.list(root)
            let before = listings[root] ?? [:]
            guard now != before else { continue }
            listings[root] = now
            var paths = Set(now.keys).symmetricDifference(before.keys)
            for (path, entry) in now where before[path].map({ $0 != entry }) ?? false { paths.insert(path) }
            let sorted = paths.sorted()
            changes.append(Change(root: root, paths: Array(sorted.prefix(5)), count: sorted.count))
        }
        if !changes.isEmpty { onChange(changes) }
    }

    static func ignored(_ name: String) -> Bool {
        name.hasPrefix(".") || name.hasSuffix("~") || name == "__pycache__"
    }

    /// Every regular file (and symlink) under `root`, not following symlinked directories.
    static func list(_ root: String) -> Listing {
        var listing: Listing = [:]
        var pending = [""]
        while let relative = pending.popLast(), listing.count < maxFiles {
            let dirPath = relative.isEmpty ? root : root + "/" + relative
            guard let dir = opendir(dirPath) else { continue }
            defer { closedir(dir) }
            while let ent = readdir(dir) {
                let name = withUnsafePointer(to: &ent.pointee.d_name) {
                    String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
                }
                if name == "." || name == ".." || ignored(name) { continue }
                let rel = relative.isEmpty ? name : relative + "/" + name
                var st = stat()
                guard lstat(root + "/" + rel, &st) == 0 else { continue }
                let kind = st.st_mode & S_IFMT
                if kind == S_IFDIR {
                    pending.append(rel)
                    continue
                }
                if kind == S_IFLNK {
                    var target = stat()
                    if stat(root + "/" + rel, &target) == 0 { st = target }
                }
                listing[rel] = Entry(seconds: Int(st.st_mtim.tv_sec), nanoseconds: Int(st.st_mtim.tv_nsec),
                                     size: Int64(st.st_size), inode: UInt64(st.st_ino))
            }
        }
        return listing
    }
}

extension Emulator {
    /// Restarts the execution environments of the named functions: idle ones stop now, busy ones once their
    /// invocation is answered; the next invocations start fresh ones. Resolves to how many were affected.
    public func restartEnvironments(of names: [String]) -> EventLoopFuture<Int> {
        loop.submit {
            names.compactMap { self.pool(named: $0) }.reduce(0) { $0 + $1.recycle() }
        }
    }

    /// Watches each function's task root and restarts its environments when files there change; `extraRoots`
    /// (a template's folder) are watched by the same poller, and `onAnyChange` runs after every change seen.
    /// Keep the returned watcher; `stop()` it before shutting down.
    public func watchTaskRoots(interval: Double = 0.5, extraRoots: [String] = [],
                               onAnyChange: (@Sendable () -> Void)? = nil,
                               log: @escaping @Sendable (String) -> Void) -> FileWatcher {
        let byRoot = Dictionary(functions.map { ($0.taskRoot, [$0.name]) }, uniquingKeysWith: +)
        let watcher = FileWatcher(roots: functions.map(\.taskRoot) + extraRoots) { [weak self] changes in
            guard let self else { return }
            for change in changes {
                guard let names = byRoot[change.root] else { continue }
                let what = change.paths.joined(separator: ", ") + (change.count > change.paths.count ? ", ..." : "")
                let restarted = (try? self.restartEnvironments(of: names).wait()) ?? 0
                log("\(what) changed under \(change.root); restarting \(names.joined(separator: ", ")) "
                    + "(\(restarted) environment\(restarted == 1 ? "" : "s"))")
            }
            onAnyChange?()
        }
        watcher.start()
        return watcher
    }
}
