import Foundation
import Testing
import ZIPFoundation
import LambdaWire
@testable import LambdaProject

/// A function folder in a fresh temporary directory, with files the package must include and leave out.
private func makeFunction() throws -> (dir: URL, runtime: [PackageEntry]) {
    let fm = FileManager.default
    let dir = fm.temporaryDirectory.appendingPathComponent("pl-pkg-\(UUID().uuidString)")
    let files = [
        "handler.pl": "sub handle { +{ ok => 1 } }\n1;\n",
        "lib/My/Helper.pm": "package My::Helper; 1;\n",
        "local/lib/perl5/Try/Tiny.pm": "package Try::Tiny; 1;\n",
        "local/bin/tool": "#!/bin/sh\n",
        "local/cache/x": "cache\n",
        "cpanfile": "requires 'Try::Tiny';\n",
        ".git/config": "[core]\n",
        ".env": "SECRET=1\n",
        "t/handler.t": "ok\n",
        "Dockerfile": "FROM perl-lambda:base\n",
        "template.yaml": "Resources: {}\n",
        "old.zip": "PK",
    ]
    for (path, text) in files {
        let url = dir.appendingPathComponent(path)
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
    let runtime = [PackageEntry(path: "bootstrap", source: .bytes(Array("#!/bin/sh\n".utf8)), executable: true),
                   PackageEntry(path: "perl-lambda/bin/bootstrap", source: .bytes([0x7f]), executable: true)]
    return (dir, runtime)
}

@Test func functionZipHoldsRuntimeHandlerAndLocalLib() throws {
    let (dir, runtime) = try makeFunction()
    let paths = try FunctionPackage(directory: dir, runtime: runtime).entries().map(\.path).sorted()
    #expect(paths == ["bootstrap", "cpanfile", "handler.pl", "lib/My/Helper.pm", "local/lib/perl5/Try/Tiny.pm",
                      "perl-lambda/bin/bootstrap"])
    let withoutRuntime = try FunctionPackage(directory: dir).entries().map(\.path)
    #expect(!withoutRuntime.contains("bootstrap") && !withoutRuntime.contains { $0.hasPrefix("perl-lambda/") })
}

@Test func functionFilesNamedLikeTheRuntimeAreRefusedUnlessTheRuntimeIsLeftOut() throws {
    for clash in ["bootstrap", "perl-lambda/notes.txt"] {
        let (dir, runtime) = try makeFunction()
        let url = dir.appendingPathComponent(clash)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("mine\n".utf8).write(to: url)
        #expect {
            try FunctionPackage(directory: dir, runtime: runtime).entries()
        } throws: { ($0 as? ProjectError)?.description.contains("has its own \(clash.prefix { $0 != "/" })") == true }
        #expect(try FunctionPackage(directory: dir).entries().map(\.path).contains(clash))
    }
}

@Test func sameInputSameBytes() throws {
    let (dir, runtime) = try makeFunction()
    let a = dir.deletingLastPathComponent().appendingPathComponent("a-\(UUID().uuidString).zip")
    let b = dir.deletingLastPathComponent().appendingPathComponent("b-\(UUID().uuidString).zip")
    let sizes = try ReproducibleZip.write(FunctionPackage(directory: dir, runtime: runtime).entries(), to: a)
    // new modification times, permissions and creation order must not change the bytes
    let handler = dir.appendingPathComponent("handler.pl")
    try FileManager.default.setAttributes([.modificationDate: Date(), .posixPermissions: 0o600], ofItemAtPath: handler.path)
    try FileManager.default.removeItem(at: dir.appendingPathComponent("lib"))
    let helper = dir.appendingPathComponent("lib/My/Helper.pm")
    try FileManager.default.createDirectory(at: helper.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data("package My::Helper; 1;\n".utf8).write(to: helper)
    try ReproducibleZip.write(FunctionPackage(directory: dir, runtime: runtime).entries().reversed(), to: b)
    let bytesA = try Data(contentsOf: a), bytesB = try Data(contentsOf: b)
    #expect(bytesA == bytesB)
    #expect(sizes.files == 6 && sizes.zipped == Int64(bytesA.count))

    let archive = try Archive(url: a, accessMode: .read)
    let entries = Array(archive)
    #expect(entries.map(\.path) == ["bootstrap", "cpanfile", "handler.pl", "lib/My/Helper.pm", "local/lib/perl5/Try/Tiny.pm",
                                     "perl-lambda/bin/bootstrap"])
    for e in entries {
        #expect(e.fileAttributes[.posixPermissions] as? Int == (e.path.hasSuffix("bootstrap") ? 0o755 : 0o644))
        #expect(e.fileAttributes[.modificationDate] as? Date == ReproducibleZip.timestamp)
    }
    var text = Data()
    _ = try archive.extract(archive["handler.pl"]!) { text.append($0) }
    #expect(String(decoding: text, as: UTF8.self) == "sub handle { +{ ok => 1 } }\n1;\n")
}

@Test func functionWithoutHandlerFails() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pl-empty-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    #expect { try FunctionPackage(directory: dir).entries() } throws: { ($0 as? ProjectError)?.code == .package }
    #expect {
        try FunctionPackage(directory: dir.appendingPathComponent("missing")).entries()
    } throws: { ($0 as? ProjectError)?.code == .package }
}

/// A folder with the given files, in a fresh temporary directory.
private func folder(_ files: [String: String]) throws -> URL {
    let fm = FileManager.default
    let dir = fm.temporaryDirectory.appendingPathComponent("pl-pkg-\(UUID().uuidString)")
    for (path, text) in files {
        let url = dir.appendingPathComponent(path)
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
    return dir
}

/// The description of the ProjectError `body` throws (nil when it throws none).
private func packageError(_ body: () throws -> Any) -> String? {
    do { _ = try body(); return nil } catch { return (error as? ProjectError)?.description ?? "\(error)" }
}

/// README: a .psgi file can be the handler; such a function has no *.pl at all.
@Test func psgiOnlyFunctionIsPackaged() throws {
    let dir = try folder(["app.psgi": "sub { [200, [], ['ok']] };\n", "lib/My/App.pm": "package My::App; 1;\n"])
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(try FunctionPackage(directory: dir).entries().map(\.path).sorted() == ["app.psgi", "lib/My/App.pm"])
    let handler = try HandlerName(parsing: "app.psgi")
    #expect(try FunctionPackage(directory: dir, handler: handler).entries().map(\.path).contains("app.psgi"))
}

@Test func theHandlersFileMustBePacked() throws {
    let dir = try folder(["handler.pl": "1;\n", "lib/api.pl": "1;\n", "a.b.pl": "1;\n"])
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(try FunctionPackage(directory: dir, handler: HandlerName(parsing: "lib/api.run")).entries().count == 3)
    #expect(packageError { try FunctionPackage(directory: dir, handler: HandlerName(parsing: "app.psgi")).entries() } == "no app.psgi in '\(dir.path)' for the handler app.psgi")
    #expect(packageError { try FunctionPackage(directory: dir, handler: HandlerName(parsing: "other.handle")).entries() } == "no other.pl in '\(dir.path)' for the handler other.handle")
    // a.b.pl is no handler's file (the handler splits at its first dot), lib/api.pl needs a handler naming it
    let noEntry = try folder(["a.b.pl": "1;\n", "lib/api.pl": "1;\n", "README.md": "x\n"])
    defer { try? FileManager.default.removeItem(at: noEntry) }
    #expect(packageError { try FunctionPackage(directory: noEntry).entries() } == "no handler file (*.pl or *.psgi) in '\(noEntry.path)'")
}

@Test func duplicatePathsAndEscapesAreRejected() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("dup-\(UUID().uuidString).zip")
    let e = PackageEntry(path: "a.pl", source: .bytes([1]), executable: false)
    #expect { try ReproducibleZip.write([e, e], to: out) } throws: { ($0 as? ProjectError)?.code == .package }
    #expect {
        try ReproducibleZip.write([PackageEntry(path: "../x", source: .bytes([1]), executable: false)], to: out)
    } throws: { ($0 as? ProjectError)?.code == .package }
}

@Test func sizesAgainstLambdaLimits() {
    let mb: Int64 = 1_048_576
    #expect(PackageSizes(files: 1, zipped: 10 * mb, unzipped: 30 * mb).violation() == nil)
    #expect(PackageSizes(files: 1, zipped: 51 * mb, unzipped: 60 * mb).violation()?.contains("50 MB") == true)
    #expect(PackageSizes(files: 1, zipped: 40 * mb, unzipped: 251 * mb).violation()?.contains("250 MB") == true)
    let report = PackageSizes(files: 3, zipped: 25 * mb, unzipped: 125 * mb).report(layer: false)
    #expect(report[0].contains("25.0 MB zipped (50% of the 50 MB"))
    #expect(report[1].contains("125.0 MB unzipped (50% of the 250 MB"))
}

@Test func layerWrapperSetsPerlPathsAndStartsTheBundledLoader() {
    let w = LayerPackage.wrapper(moduleDirs: ["base", "arch", "lib"])
    #expect(w.hasPrefix("#!/bin/sh\n"))
    #expect(w.contains(#"PERL5LIB="$here/perl5/base:$here/perl5/arch:$here/perl5/lib"#))
    // the function's bundled libraries (local/lib/native) come after the runtime's own
    #expect(w.contains(#"exec "$here/lib/ld-linux-x86-64.so.2" --library-path "$here/lib${LAMBDA_TASK_ROOT:+:$LAMBDA_TASK_ROOT/local/lib/native}""#))
    #expect(w.contains(#"--argv0 "$0" "$here/bin/bootstrap" "$@""#))
    // the bundled libc must not leak into the programs the handler starts
    #expect(!w.contains("export LD_LIBRARY_PATH"))
    let perl = LayerPackage.wrapper(moduleDirs: ["lib"], program: "libexec/perl", root: "/..")
    #expect(perl.contains("here=${self%/*}/.. ;"))
    #expect(perl.contains(#""$here/libexec/perl" "$@""#))
}

@Test func sharedLibrariesIncludeGlibcAndItsLoader() throws {
    let libs = Dictionary(uniqueKeysWithValues: try LayerPackage.sharedLibraries(of: ["/bin/sh"]))
    #expect(libs["libc.so.6"] != nil)
    #expect(LayerPackage.loaderNames.contains { libs[$0] != nil })
    #expect(!libs.keys.contains { $0.hasPrefix("linux-vdso") })
    // all of glibc comes with its libc, needed or not, so a function's XS module may rely on it
    #expect(libs["libpthread.so.0"] != nil && libs["libdl.so.2"] != nil && libs["libresolv.so.2"] != nil)
    #expect(libs["libpthread.so.0"].map { ($0 as NSString).deletingLastPathComponent }
            == libs["libc.so.6"].map { ($0 as NSString).deletingLastPathComponent })
}

@Test func resolverWithoutLdconfigSearchesTheDefaultDirectories() throws {
    let resolver = SharedLibraryResolver(cache: [:], libraryPath: [])
    let libs = Dictionary(uniqueKeysWithValues: try LayerPackage.sharedLibraries(of: ["/bin/sh"], resolver: resolver))
    #expect(libs["libc.so.6"] == URL(fileURLWithPath: "/lib/x86_64-linux-gnu/libc.so.6").resolvingSymlinksInPath().path)
}

@Test func layerCollectsThisMachinesPerl() throws {
    let perl = try LayerPackage(bootstrap: "/bin/true").perlInstall()
    #expect(perl.moduleDirs.map(\.0).contains("lib") && perl.moduleDirs.map(\.0).contains("arch"))
    var entries: [PackageEntry] = []
    try LayerPackage.collectModules(perl.moduleDirs.first { $0.0 == "lib" }!.1, as: "perl5/lib", into: &entries)
    #expect(entries.contains { $0.path == "perl5/lib/strict.pm" || $0.path == "perl5/lib/Carp.pm" })
    #expect(!entries.contains { $0.path.hasSuffix(".pod") })
}

/// The runtime as a function zip bundles it (`perl-lambda/`), unpacked and run: bin/perl and the root launcher
/// (reached through a symlink, as an image's /var/runtime/bootstrap may be) find the bundled loader and modules.
@Test func bundledRuntimeRunsFromWhereverItIsUnpacked() throws {
    let fm = FileManager.default
    let (entries, install) = try LayerPackage(bootstrap: "/bin/echo").entries(in: "perl-lambda")
    defer { PackageEntry.removeTemporaryCopies(entries) }
    #expect(entries.first?.path == "bootstrap")
    #expect(entries.dropFirst().allSatisfy { $0.path.hasPrefix("perl-lambda/") })
    #expect(entries.contains { $0.path == "perl-lambda/lib/libc.so.6" })
    let root = fm.temporaryDirectory.appendingPathComponent("pl-runtime-\(UUID().uuidString)")
    for e in entries { try e.write(under: root) }
    defer { try? fm.removeItem(at: root) }
    func run(_ program: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = args
        p.environment = ["PATH": "/usr/bin:/bin"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
    let perl = root.appendingPathComponent("perl-lambda/bin/perl").path
    let inc = try run(perl, ["-e", #"require Carp; printf "%vd %s", $^V, $INC{"Carp.pm"}"#])
    #expect(inc.hasPrefix(install.version + " " + root.path + "/perl-lambda/bin/../perl5/"))
    let link = fm.temporaryDirectory.appendingPathComponent("pl-runtime-link-\(UUID().uuidString)")
    try fm.createSymbolicLink(atPath: link.path, withDestinationPath: root.appendingPathComponent("bootstrap").path)
    defer { try? fm.removeItem(at: link) }
    #expect(try run(link.path, ["through", "the", "loader"]) == "through the loader\n")
}
