@testable import LambdaEmulator
import Foundation
import XCTest

final class FileWatcherTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/lib/deep", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/.git", withIntermediateDirectories: true)
        try write("handler.pl", "1;")
        try write("lib/deep/M.pm", "1;")
        try write(".git/HEAD", "ref")
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    private func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: root + "/" + path))
    }

    func testListingSkipsHiddenEntriesAndBackups() throws {
        try write("handler.pl~", "old")
        try write(".handler.pl.swp", "swap")
        XCTAssertEqual(Set(FileWatcher.list(root).keys), ["handler.pl", "lib/deep/M.pm"])
    }

    func testReportsEditsAdditionsAndRemovals() throws {
        let changes = ChangeLog()
        let watcher = FileWatcher(roots: [root, root], interval: 0.05) { changes.add($0) }
        XCTAssertEqual(watcher.roots, [root])
        watcher.start()
        defer { watcher.stop() }
        XCTAssertEqual(watcher.fileCount(root), 2)

        try write("handler.pl", "2; # longer")
        XCTAssertEqual(changes.waitForPaths(), ["handler.pl"])
        try write("lib/New.pm", "1;")
        XCTAssertEqual(changes.waitForPaths(), ["lib/New.pm"])
        try FileManager.default.removeItem(atPath: root + "/lib/deep/M.pm")
        XCTAssertEqual(changes.waitForPaths(), ["lib/deep/M.pm"])
        try write(".git/HEAD", "other")
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertNil(changes.take())
    }

    func testRandomHexHasTheAskedLength() {
        for n in [1, 8, 12, 16] {
            let h = Identifiers.hex(n)
            XCTAssertEqual(h.count, n * 2)
            XCTAssertTrue(h.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        }
        XCTAssertNotEqual(Identifiers.hex(16), Identifiers.hex(16))
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
