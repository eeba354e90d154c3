import Foundation
import Testing
@testable import LambdaProject

/// Runs a program, returning its standard output and status (standard error is dropped).
private func run(_ args: [String], environment: [String: String]? = nil) throws -> (out: String, status: Int32) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    if let environment { p.environment = environment }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (String(decoding: data, as: UTF8.self), p.terminationStatus)
}

private func hasTool(_ name: String) -> Bool { (try? run(["sh", "-c", "command -v \(name)"]).status) == 0 }

/// XML::Parser's XS module from Debian's libxml-parser-perl (scripts/setup.sh installs it): it needs libexpat.
private let expatModule: String? = {
    let out = try? run(["perl", "-MConfig", "-e", #"print "$Config{vendorarch}/auto/XML/Parser/Expat/Expat.so""#]).out
    return out.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
}()

/// The dynamic section as binutils reads it: (tag, value) for NEEDED, SONAME, RUNPATH, RPATH.
private func readelfDynamic(_ path: String) throws -> [String: [String]] {
    var result: [String: [String]] = [:]
    for line in try run(["readelf", "-d", path]).out.split(separator: "\n") {
        guard let open = line.firstIndex(of: "("), let close = line.firstIndex(of: ")"),
              let lb = line.lastIndex(of: "["), let rb = line.lastIndex(of: "]") else { continue }
        let tag = String(line[line.index(after: open)..<close])
        result[tag, default: []].append(String(line[line.index(after: lb)..<rb]))
    }
    return result
}

private func tempDir(_ name: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pl-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// Compiles C `source` into a shared object with `cc` (extra arguments: -L, -l, -Wl,…).
private func compile(_ source: String, to output: String, _ args: [String] = []) throws {
    let c = output + ".c"
    try Data(source.utf8).write(to: URL(fileURLWithPath: c))
    let status = try run(["cc", "-shared", "-fPIC", "-o", output, c] + args).status
    #expect(status == 0, "cc \(output)")
}

@Test(.enabled(if: hasTool("readelf"), "binutils' readelf is the reference"))
func elfReaderAgreesWithReadelfOnSystemFiles() throws {
    let perl = try run(["perl", "-e", "print $^X"]).out
    let files = ["/bin/sh", perl, "/usr/lib/x86_64-linux-gnu/libexpat.so.1", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"]
        + (expatModule.map { [$0] } ?? [])
    var checked = 0
    for file in files where FileManager.default.fileExists(atPath: file) {
        let elf = try ELFFile(path: file)
        let reference = try readelfDynamic(file)
        #expect(elf.needed == reference["NEEDED"] ?? [], "\(file)")
        #expect(elf.soname == reference["SONAME"]?.first, "\(file)")
        #expect(elf.runpath == (reference["RUNPATH"]?.first?.split(separator: ":").map(String.init) ?? []), "\(file)")
        #expect(elf.is64Bit && !elf.bigEndian)
        checked += 1
    }
    #expect(checked >= 3)
    // executables name their loader; the loader's path is what ldd prints last
    #expect(try ELFFile(path: perl).interpreter?.hasSuffix("/ld-linux-x86-64.so.2") == true)
    #expect(try ELFFile(path: "/usr/lib/x86_64-linux-gnu/libexpat.so.1").interpreter == nil)
}

@Test func elfReaderRejectsWhatIsNotELF() throws {
    let dir = try tempDir("notelf")
    let text = dir.appendingPathComponent("script.so")
    try Data("#!/bin/sh\n".utf8).write(to: text)
    #expect(!ELFFile.isELF(text.path))
    #expect { try ELFFile(path: text.path) } throws: { ($0 as? ProjectError)?.code == .package }
    // a real library cut after its headers: the dynamic section is gone
    let lib = try Data(contentsOf: URL(fileURLWithPath: "/usr/lib/x86_64-linux-gnu/libexpat.so.1"))
    #expect(throws: (any Error).self) { try ELFFile(bytes: lib.prefix(600)) }
    #expect(throws: (any Error).self) { try ELFFile(bytes: Data([0x7f, 0x45, 0x4c, 0x46, 9, 1])) }
}

/// Corrupt headers, program headers and dynamic entries (each 8-byte window set to 0xff…, or its first byte to 0x80)
/// and truncations are errors or odd values, never a crash: offsets from the file are not trusted for arithmetic
/// (vaddr 0xffff_ffff_ffff_ffff plus a size overflows).
@Test func elfReaderSurvivesCorruptFiles() throws {
    let good = syntheticELF(is64: true, bigEndian: false, machine: 62)
    for at in 4..<good.count - 8 {
        var bad = good
        bad.replaceSubrange(at..<at + 8, with: [UInt8](repeating: 0xff, count: 8))
        _ = try? ELFFile(bytes: bad)
        bad = good
        bad[at] = 0x80
        _ = try? ELFFile(bytes: bad)
    }
    for length in stride(from: 0, to: good.count, by: 7) { _ = try? ELFFile(bytes: good.prefix(length)) }
    #expect(try ELFFile(bytes: good).needed == ["libfoo.so.2", "libc.so.6"])
}

/// A minimal ELF in any class and byte order: one PT_LOAD mapping the file at `base`, a PT_INTERP, and a PT_DYNAMIC
/// with NEEDED, SONAME, RUNPATH, STRTAB (an address, not an offset) and STRSZ.
private func syntheticELF(is64: Bool, bigEndian: Bool, machine: UInt16) -> Data {
    let w = is64 ? 8 : 4, base: UInt64 = 0x40_0000
    let ehsize = is64 ? 64 : 52, phentsize = is64 ? 56 : 32
    var strtab: [UInt8] = [0]
    func add(_ s: String) -> UInt64 { let at = UInt64(strtab.count); strtab += Array(s.utf8) + [0]; return at }
    let needed = [add("libfoo.so.2"), add("libc.so.6")], soname = add("libbar.so.1"), runpath = add("$ORIGIN/x:/opt/y")
    let interp = Array("/lib/ld-test.so.1".utf8) + [0]
    let interpOff = ehsize + 3 * phentsize, strOff = interpOff + interp.count
    let dynOff = (strOff + strtab.count + 7) / 8 * 8
    let dyn: [(UInt64, UInt64)] = needed.map { (1, $0) } + [(14, soname), (29, runpath), (5, base + UInt64(strOff)),
                                                           (10, UInt64(strtab.count)), (0, 0)]
    let total = dynOff + dyn.count * 2 * w
    var b = [UInt8](repeating: 0, count: total)
    func put(_ at: Int, _ value: UInt64, _ size: Int) {
        for i in 0..<size { b[at + (bigEndian ? size - 1 - i : i)] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }
    b[0...3] = [0x7f, 0x45, 0x4c, 0x46]; b[4] = is64 ? 2 : 1; b[5] = bigEndian ? 2 : 1; b[6] = 1
    put(16, 3, 2); put(18, UInt64(machine), 2)
    put(is64 ? 32 : 28, UInt64(ehsize), w)  // e_phoff
    put(is64 ? 54 : 42, UInt64(phentsize), 2); put(is64 ? 56 : 44, 3, 2)
    func phdr(_ i: Int, type: UInt64, offset: Int, size: Int) {
        let p = ehsize + i * phentsize
        put(p, type, 4)
        put(p + (is64 ? 8 : 4), UInt64(offset), w)
        put(p + (is64 ? 16 : 8), base + UInt64(offset), w)
        put(p + (is64 ? 32 : 16), UInt64(size), w)
    }
    phdr(0, type: 1, offset: 0, size: total)
    phdr(1, type: 3, offset: interpOff, size: interp.count)
    phdr(2, type: 2, offset: dynOff, size: dyn.count * 2 * w)
    b[interpOff..<interpOff + interp.count] = interp[...]
    b[strOff..<strOff + strtab.count] = strtab[...]
    for (i, (tag, value)) in dyn.enumerated() { put(dynOff + i * 2 * w, tag, w); put(dynOff + i * 2 * w + w, value, w) }
    return Data(b)
}

@Test(arguments: [(true, false), (false, false), (true, true), (false, true)])
func elfReaderHandlesBothClassesAndByteOrders(is64: Bool, bigEndian: Bool) throws {
    let elf = try ELFFile(bytes: syntheticELF(is64: is64, bigEndian: bigEndian, machine: 183))
    #expect(elf.is64Bit == is64 && elf.bigEndian == bigEndian && elf.machine == 183)
    #expect(elf.needed == ["libfoo.so.2", "libc.so.6"])
    #expect(elf.soname == "libbar.so.1")
    #expect(elf.runpath == ["$ORIGIN/x", "/opt/y"] && elf.rpath.isEmpty)
    #expect(elf.interpreter == "/lib/ld-test.so.1")
    let other = try ELFFile(bytes: syntheticELF(is64: !is64, bigEndian: bigEndian, machine: 183))
    #expect(!elf.canLoad(other) && elf.canLoad(elf))
}

@Test func cacheListingIsParsed() {
    let cache = SharedLibraryResolver.parseCacheListing("""
        1234 libs found in cache `/etc/ld.so.cache'
        \tlibexpat.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libexpat.so.1
        \tlibc.so.6 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libc.so.6
        \tlibc.so.6 (libc6) => /lib/i386-linux-gnu/libc.so.6
        Cache generated by: ldconfig (GNU libc) stable release version 2.36
        """)
    #expect(cache["libexpat.so.1"] == ["/lib/x86_64-linux-gnu/libexpat.so.1"])
    #expect(cache["libc.so.6"] == ["/lib/x86_64-linux-gnu/libc.so.6", "/lib/i386-linux-gnu/libc.so.6"])
    #expect(cache.count == 2)
}

/// The resolver finds, for real programs and XS modules, exactly the libraries the system's loader loads (ldd).
@Test(.enabled(if: hasTool("ldd"), "ldd is the reference"))
func resolverMatchesTheLoader() throws {
    let perl = try run(["perl", "-e", "print $^X"]).out
    for file in [perl, "/bin/sh"] + (expatModule.map { [$0] } ?? []) {
        var expected: [String: String] = [:]
        for line in try run(["ldd", file]).out.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if parts.count >= 3, parts[1] == "=>" { expected[parts[0]] = URL(fileURLWithPath: parts[2]).resolvingSymlinksInPath().path }
            else if let p = parts.first, p.hasPrefix("/") { expected[(p as NSString).lastPathComponent] = URL(fileURLWithPath: p).resolvingSymlinksInPath().path }
        }
        let closure = try SharedLibraryResolver.system().closure(of: [file])
        #expect(closure.missing.isEmpty)
        #expect(closure.libraries == expected, "\(file)")
    }
}

/// $ORIGIN in DT_RUNPATH, a library needing another (transitive), and one found nowhere.
@Test(.enabled(if: hasTool("cc"), "needs a C compiler"))
func resolverFollowsRunpathTransitivelyAndListsWhatIsMissing() throws {
    let dir = try tempDir("resolve")
    let sub = dir.appendingPathComponent("sub").path
    try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
    try compile("int leaf(void) { return 7; }", to: sub + "/libplleaf.so", ["-Wl,-soname,libplleaf.so"])
    try compile("int leaf(void); int mid(void) { return leaf(); }", to: sub + "/libplmid.so",
                ["-Wl,-soname,libplmid.so", "-L" + sub, "-lplleaf", "-Wl,-rpath,$ORIGIN"])
    try compile("int mid(void); int xs(void) { return mid(); }", to: dir.path + "/XS.so",
                ["-L" + sub, "-lplmid", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/sub"])
    let resolver = SharedLibraryResolver.system(environment: [:])
    var closure = try resolver.closure(of: [dir.path + "/XS.so"])
    #expect(closure.missing.isEmpty)
    #expect(closure.libraries["libplmid.so"] == sub + "/libplmid.so")
    #expect(closure.libraries["libplleaf.so"] == sub + "/libplleaf.so")  // through libplmid's own $ORIGIN
    // what the runtime provides is neither collected nor followed
    closure = try resolver.closure(of: [dir.path + "/XS.so"]) { $0 == "libplmid.so" }
    #expect(closure.libraries["libplmid.so"] == nil && closure.libraries["libplleaf.so"] == nil)
    // gone: listed with the object that needs it
    try FileManager.default.removeItem(atPath: sub + "/libplleaf.so")
    closure = try resolver.closure(of: [dir.path + "/XS.so"])
    #expect(closure.missing.map(\.name) == ["libplleaf.so"])
    #expect(closure.missing.first?.neededBy == sub + "/libplmid.so")
}

@Test(.enabled(if: expatModule != nil, "needs Debian's libxml-parser-perl (scripts/setup.sh)"))
func functionLibrariesBundleWhatXSModulesNeedBeyondTheRuntime() throws {
    let module = try #require(expatModule)
    let function = [
        PackageEntry(path: "handler.pl", source: .bytes(Array("1;\n".utf8)), executable: false),
        try PackageEntry.file("local/lib/perl5/x86_64-linux-gnu-thread-multi/auto/XML/Parser/Expat/Expat.so", at: module),
    ]
    let libs = try FunctionLibraries.collect(for: function, runtimeLibraries: ["libperl.so.5.36"])
    #expect(libs.objects == ["local/lib/perl5/x86_64-linux-gnu-thread-multi/auto/XML/Parser/Expat/Expat.so"])
    // libexpat only: libc and the loader (DT_NEEDED of Expat.so too) come with the runtime's glibc
    #expect(libs.entries.map(\.path) == ["local/lib/native/libexpat.so.1"])
    #expect(libs.entries.first?.source == .file(URL(fileURLWithPath: "/usr/lib/x86_64-linux-gnu/libexpat.so.1").resolvingSymlinksInPath().path))
    #expect(libs.report().contains { $0.contains("local/lib/native/libexpat.so.1") && $0.contains("needed by local/lib/perl5/") })
    // already in the runtime: nothing to bundle
    #expect(try FunctionLibraries.collect(for: function, runtimeLibraries: ["libexpat.so.1"]).entries.isEmpty)
    // no shared object: nothing inspected
    #expect(try FunctionLibraries.collect(for: [function[0]], runtimeLibraries: []).report().isEmpty)
}

@Test(.enabled(if: hasTool("cc"), "needs a C compiler"))
func functionLibrariesFailWithTheListOfMissingLibraries() throws {
    let dir = try tempDir("missing")
    try compile("int gone(void) { return 1; }", to: dir.path + "/libplgone.so", ["-Wl,-soname,libplgone.so.3"])
    try compile("int gone(void); int xs(void) { return gone(); }", to: dir.path + "/Gone.so", ["-L" + dir.path, "-lplgone"])
    try FileManager.default.removeItem(atPath: dir.path + "/libplgone.so")
    let function = [try PackageEntry.file("local/lib/perl5/auto/Gone/Gone.so", at: dir.path + "/Gone.so")]
    #expect {
        try FunctionLibraries.collect(for: function, runtimeLibraries: [])
    } throws: {
        let text = "\($0)"
        return text.contains("shared libraries not found on this machine")
            && text.contains("libplgone.so.3, needed by local/lib/perl5/auto/Gone/Gone.so")
    }
    // a layer of the user's that provides it (--provided-library)
    #expect(try FunctionLibraries.collect(for: function, runtimeLibraries: ["libplgone.so.3"]).entries.isEmpty)
}

/// `image build --bundle-runtime`: the context's function/ gets the libraries its XS modules need beyond the
/// runtime's lib/ (as `perl-lambda package` puts them in the zip).
@Test(.enabled(if: expatModule != nil, "needs Debian's libxml-parser-perl (scripts/setup.sh)"))
func imageContextCarriesTheFunctionsLibraries() throws {
    let module = try #require(expatModule)
    let fm = FileManager.default
    let dir = try tempDir("image-fn"), ctx = try tempDir("image-ctx")
    defer { try? fm.removeItem(at: dir); try? fm.removeItem(at: ctx) }
    try Data("1;\n".utf8).write(to: dir.appendingPathComponent("handler.pl"))
    let auto = dir.appendingPathComponent("local/lib/perl5/auto/XML/Parser/Expat")
    try fm.createDirectory(at: auto, withIntermediateDirectories: true)
    try fm.copyItem(atPath: module, toPath: auto.appendingPathComponent("Expat.so").path)
    let runtime = [PackageEntry(path: "lib/libc.so.6", source: .file("/lib/x86_64-linux-gnu/libc.so.6"), executable: false)]
    let libs = try ImageBuild(directory: dir, bundlesRuntime: true).writeContext(runtime: runtime, to: ctx)
    #expect(libs.bundled.map(\.name) == ["libexpat.so.1"])
    #expect(fm.fileExists(atPath: ctx.path + "/function/local/lib/native/libexpat.so.1"))
    #expect(!fm.fileExists(atPath: ctx.path + "/function/local/lib/native/libc.so.6"))
    #expect(fm.fileExists(atPath: ctx.path + "/perl-lambda-runtime/lib/libc.so.6"))
}
