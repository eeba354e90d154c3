@testable import LambdaEmulator
import Foundation
import Testing

/// Each test gets its own instance, so its own temporary tree: nothing is shared and the tests may run in parallel.
@Suite(.timeLimit(.minutes(1)))
final class FileWatcherTests {
    private let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/lib/deep", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/.git", withIntermediateDirectories: true)
        try write("handler.pl", "1;")
        try write("lib/deep/M.pm", "1;")
        try write(".git/HEAD", "ref")
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    private func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: root + "/" + path))
    }

    @Test func listingSkipsHiddenEntriesAndBackups() throws {
        try write("handler.pl~", "old")
        try write(".handler.pl.swp", "swap")
        #expect(Set(FileWatcher.list(root).keys) == ["handler.pl", "lib/deep/M.pm"])
    }

    @Test func reportsEditsAdditionsAndRemovals() throws {
        let changes = ChangeLog()
        let watcher = FileWatcher(roots: [root, root], interval: 0.05) { changes.add($0) }
        #expect(watcher.roots == [root])
        watcher.start()
        defer { watcher.stop() }
        #expect(watcher.fileCount(root) == 2)

        try write("handler.pl", "2; # longer")
        #expect(changes.waitForPaths() == ["handler.pl"])
        try write("lib/New.pm", "1;")
        #expect(changes.waitForPaths() == ["lib/New.pm"])
        try FileManager.default.removeItem(atPath: root + "/lib/deep/M.pm")
        #expect(changes.waitForPaths() == ["lib/deep/M.pm"])
        try write(".git/HEAD", "other")
        Thread.sleep(forTimeInterval: 0.3)
        #expect(changes.take() == nil)
    }

    @Test func randomHexHasTheAskedLength() {
        for n in [1, 8, 12, 16] {
            let h = Identifiers.hex(n)
            #expect(h.count == n * 2)
            #expect(h.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        }
        #expect(Identifiers.hex(16) != Identifiers.hex(16))
    }
}

/// Collects watcher callbacks across threads.
private final class ChangeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [[String]] = []

    func add(_ changes: [FileWatcher.Change]) {
        lock.lock()
        pending.append(changes.flatMap(\.paths))
        lock.unlock()
    }

    func take() -> [String]? {
        lock.lock()
        defer { lock.unlock() }
        return pending.isEmpty ? nil : pending.removeFirst()
    }

    func waitForPaths(timeout: Double = 3) -> [String]? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let p = take() { return p }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return nil
    }
}
