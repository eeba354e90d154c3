@testable import LambdaEmulator
import Foundation
import Testing

@Suite struct MemoryCgroupTests {
    @Test func membership() {
        let hybrid = "9:name=systemd:/\n4:memory:/process_api/abc\n1:cpu,cpuacct:/x\n0::/\n"
        #expect(MemoryCgroup.membership(hybrid) == (v2: "/", v1Memory: "/process_api/abc"))
        #expect(MemoryCgroup.membership("0::/user.slice/session-1.scope\n") == (v2: "/user.slice/session-1.scope", v1Memory: nil))
    }

    @Test func mountPoints() {
        let info = """
            30 25 0:26 / /sys/fs/cgroup ro,nosuid shared:9 - tmpfs tmpfs ro,mode=755
            34 30 0:30 / /sys/fs/cgroup/memory rw,relatime shared:14 - cgroup cgroup rw,memory
            35 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:15 - cgroup cgroup rw,cpu,cpuacct
            40 30 0:36 / /sys/fs/cgroup/unified rw,relatime shared:20 - cgroup2 cgroup2 rw
            """
        #expect(MemoryCgroup.mountPoint(info, fstype: "cgroup", option: "memory") == "/sys/fs/cgroup/memory")
        #expect(MemoryCgroup.mountPoint(info, fstype: "cgroup", option: "pids") == nil)
        #expect(MemoryCgroup.mountPoint(info, fstype: "cgroup2", option: nil) == "/sys/fs/cgroup/unified")
    }

    @Test func counters() {
        let v2Events = "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n"
        let v1Control = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"
        #expect(MemoryCgroup.counter(named: "oom_kill", in: v2Events) == 1)
        #expect(MemoryCgroup.counter(named: "oom_kill", in: v1Control) == 2)
        #expect(MemoryCgroup.counter(named: "oom_kill", in: "") == nil)
    }

    @Test func v2ParentChoice() {
        // a systemd-like tree: the scope holds serve (and its shell), the slices above enable memory for children
        var files: [String: String] = [
            "/cg/user.slice/cgroup.subtree_control": "cpu memory pids",
            "/cg/user.slice/app.slice/cgroup.subtree_control": "memory pids",
            "/cg/user.slice/app.slice/term.scope/cgroup.controllers": "cpu memory pids",
            "/cg/user.slice/app.slice/term.scope/cgroup.subtree_control": "",
        ]
        var writable: Set<String> = ["/cg/user.slice/app.slice/term.scope", "/cg/user.slice/app.slice"]
        var canEnable = false
        func choose() -> String? {
            MemoryCgroup.v2Parent(start: "/cg/user.slice/app.slice/term.scope", mount: "/cg",
                                  fs: .init(read: { files[$0] }, writable: { writable.contains($0) }, enableMemory: { _ in canEnable }))
        }
        #expect(choose() == "/cg/user.slice/app.slice", "the nearest ancestor that gives children memory")
        canEnable = true
        #expect(choose() == "/cg/user.slice/app.slice/term.scope", "its own cgroup when memory can be enabled there")
        canEnable = false
        writable = []
        #expect(choose() == nil, "nothing writable")
        writable = ["/cg/user.slice"]
        #expect(choose() == "/cg/user.slice")
        files["/cg/user.slice/cgroup.subtree_control"] = "cpu"
        #expect(choose() == nil, "no memory controller delegated anywhere")
    }

    /// Where this machine allows a memory cgroup: a real one limits, counts, reports its peak and goes away.
    @Test(.enabled(if: MemoryCgroup.parent != nil, "no writable memory cgroup here"))
    func realCgroupKillsPastItsLimit() throws {
        let group = try MemoryCgroup.create(limitMB: 16).get()
        defer { group.remove() }
        let perl = Process()
        perl.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        // waits for its move into the cgroup (a line on stdin), then allocates 64 MB
        perl.arguments = ["-e", "<STDIN>; my $x = 'a' x (64 * 1024 * 1024); print length $x"]
        let input = Pipe()
        perl.standardInput = input
        perl.standardOutput = FileHandle.nullDevice
        try perl.run()
        #expect(group.add(pid: perl.processIdentifier))
        input.fileHandleForWriting.write(Data("go\n".utf8))
        perl.waitUntilExit()
        #expect(perl.terminationReason == .uncaughtSignal && perl.terminationStatus == SIGKILL)
        #expect(group.oomKills == 1)
        #expect(group.peakMB == 16)
    }
}
