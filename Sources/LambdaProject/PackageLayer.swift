import Foundation

/// A Lambda layer holding the whole runtime, unpacked by Lambda under /opt:
///
///     bootstrap            /opt/bootstrap: sets PERL5LIB to the layer and starts bin/bootstrap through the bundled
///                          loader (lib/ld-linux-x86-64.so.2 --library-path lib), so it runs on the layer's glibc
///     bin/bootstrap        the perl-lambda runtime
///     bin/perl             a wrapper starting libexec/perl, the perl the runtime embeds, the same way
///     lib/                 the build machine's loader and all of glibc (ld-linux, libc, libm, libpthread …) and every
///                          other library the runtime, the perl and its XS modules need (libperl, libcrypt,
///                          libstdc++ …), read from their ELF dynamic sections (`SharedLibraryResolver`)
///     perl5/base|arch|lib  the perl's core module directories (its privlib, archlib and Debian's perl-base),
///                          without pod, headers and .packlist files
///
/// The loader's --library-path is lib/, then $LAMBDA_TASK_ROOT/local/lib/native, where `perl-lambda package` puts
/// the libraries a function's XS modules need (`FunctionLibraries`); it also holds for modules loaded later (dlopen).
/// Nothing exports LD_LIBRARY_PATH to the bundled glibc: programs the handler starts use the system's own C library.
/// Everything is collected from the perl the bootstrap was built against (the `perl` on PATH by default).
public struct LayerPackage {
    public var bootstrap: String
    public var perl: String = "perl"

    public init(bootstrap: String, perl: String = "perl") {
        self.bootstrap = bootstrap
        self.perl = perl
    }

    /// Module directories in @INC order: (name in the layer, directory on this machine).
    public struct PerlInstall: Equatable {
        public var version: String
        public var interpreter: String
        public var moduleDirs: [(String, String)]
        public static func == (a: PerlInstall, b: PerlInstall) -> Bool {
            a.version == b.version && a.interpreter == b.interpreter
                && a.moduleDirs.map { $0.0 + "=" + $0.1 } == b.moduleDirs.map { $0.0 + "=" + $0.1 }
        }
    }

    /// The file name of the x86-64 (or arm64) dynamic loader bundled in lib/.
    public static let loaderNames = ["ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"]

    /// A sh script that sets PERL5LIB and runs `program` (relative to the runtime's root) with the bundled loader and
    /// libraries; `root` is the runtime's root relative to the script's directory ("" for /opt/bootstrap,
    /// "/perl-lambda" for the launcher at a function zip's root, "/.." for bin/perl). A symlink to the script works.
    public static func wrapper(moduleDirs: [String], program: String = "bin/bootstrap", root: String = "",
                               loader: String = "ld-linux-x86-64.so.2") -> String {
        let lib = moduleDirs.map { "$here/perl5/\($0)" }.joined(separator: ":")
        let comment = program != "bin/bootstrap" ? "# perl-lambda runtime: the perl the runtime embeds."
            : root.isEmpty ? "# perl-lambda runtime layer: Lambda runs /opt/bootstrap when the function's code has no bootstrap."
            : "# perl-lambda runtime, bundled in the function's zip (\(root.dropFirst())/): Lambda runs /var/task/bootstrap."
        return """
            #!/bin/sh
            \(comment)
            # It runs on the runtime's own glibc: started by the bundled loader, which searches lib/ first, then the
            # libraries `perl-lambda package` bundled for the function's XS modules.
            # LD_LIBRARY_PATH is left alone, so the programs it starts use the system's C library.
            self=$0
            [ -L "$self" ] && self=$(readlink -f "$self")
            case $self in */*) here=${self%/*}\(root) ;; *) here=.\(root) ;; esac
            export PERL5LIB="\(lib)${PERL5LIB:+:$PERL5LIB}"
            exec "$here/lib/\(loader)" --library-path "$here/lib${LAMBDA_TASK_ROOT:+:$LAMBDA_TASK_ROOT/\(FunctionLibraries.directory)}" \\
                --argv0 "$0" "$here/\(program)" "$@"

            """
    }

    public func perlInstall() throws -> PerlInstall {
        let script = #"use Config; print join "\n", $^X, sprintf("%vd", $^V), $Config{privlibexp}, $Config{archlibexp}, @INC"#
        let out = try Shell.output([perl, "-e", script])
        let lines = out.split(separator: "\n").map(String.init)
        guard lines.count >= 4 else { throw ProjectError(.package, "cannot read the configuration of '\(perl)'") }
        let (privlib, archlib) = (lines[2], lines[3])
        var dirs: [(String, String)] = []
        var seen = Set<String>()
        for dir in lines.dropFirst(4) {
            let name: String
            if dir == privlib { name = "lib" } else if dir == archlib { name = "arch" }
            else if dir.hasSuffix("/perl-base") { name = "base" } else { continue }
            let real = URL(fileURLWithPath: dir).resolvingSymlinksInPath().path
            guard FileManager.default.fileExists(atPath: real), seen.insert(name).inserted else { continue }
            dirs.append((name, real))
        }
        guard dirs.contains(where: { $0.0 == "lib" }), dirs.contains(where: { $0.0 == "arch" }) else {
            throw ProjectError(.package, "'\(perl)' has no privlib/archlib on @INC")
        }
        return PerlInstall(version: lines[1], interpreter: lines[0], moduleDirs: dirs)
    }

    /// Shared libraries (file name, resolved path) that `files` load, transitively, glibc and its loader (PT_INTERP)
    /// included — read from the files' dynamic sections (`SharedLibraryResolver`), not by running `ldd`. With the
    /// C library come all of glibc's libraries beside it (`FunctionLibraries.glibc`, 0.2 MB together): a function's
    /// XS module may need libpthread.so.0 or libdl.so.2 even though the runtime does not, and they must be the same
    /// build as the bundled libc. Throws the list of libraries found nowhere.
    public static func sharedLibraries(of files: [String], resolver: SharedLibraryResolver = .system()) throws -> [(String, String)] {
        let closure = try resolver.closure(of: files)
        if !closure.missing.isEmpty { throw SharedLibraryResolver.missingError(closure.missing) }
        var libs = closure.libraries
        if let libc = libs["libc.so.6"] {
            let dir = (libc as NSString).deletingLastPathComponent
            for name in FunctionLibraries.glibc where libs[name] == nil && !name.hasPrefix("ld-linux") {
                let path = dir + "/" + name
                if FileManager.default.fileExists(atPath: path) { libs[name] = URL(fileURLWithPath: path).resolvingSymlinksInPath().path }
            }
        }
        return libs.sorted { $0.key < $1.key }
    }

    /// The names of the libraries in a runtime's lib/ (`entries(in: directory)`'s).
    public static func libraryNames(in runtime: [PackageEntry], directory: String = "") -> Set<String> {
        let prefix = (directory.isEmpty ? "" : directory + "/") + "lib/"
        return Set(runtime.compactMap { $0.path.hasPrefix(prefix) ? String($0.path.dropFirst(prefix.count)) : nil })
    }

    /// The names of the libraries `entries()` would bundle, without stripping or copying anything.
    public func libraryNames() throws -> Set<String> {
        let install = try perlInstall()
        return Set(try Self.sharedLibraries(of: [bootstrap, install.interpreter] + Self.xsObjects(install)).map(\.0))
    }

    static func xsObjects(_ install: PerlInstall) -> [String] {
        var xs: [String] = []  // the XS modules' shared objects: their libraries come along too
        for (_, dir) in install.moduleDirs {
            guard let walker = FileManager.default.enumerator(atPath: dir) else { continue }
            while let rel = walker.nextObject() as? String {
                if rel.hasSuffix(".so") { xs.append(dir + "/" + rel) }
            }
        }
        return xs.sorted()
    }

    /// The runtime's files. `directory` "" lays them out for /opt (a layer); "perl-lambda" puts them in that folder of a
    /// function zip, with the launcher still at the root as `bootstrap`.
    public func entries(in directory: String = "") throws -> (entries: [PackageEntry], perl: PerlInstall) {
        guard FileManager.default.isExecutableFile(atPath: bootstrap) else {
            throw ProjectError(.package, "no runtime at '\(bootstrap)': build it (swift build -c release --product bootstrap) or pass --bootstrap PATH")
        }
        let install = try perlInstall()
        let libs = try Self.sharedLibraries(of: [bootstrap, install.interpreter] + Self.xsObjects(install))
        guard let loader = libs.map(\.0).first(where: { Self.loaderNames.contains($0) }) else {
            throw ProjectError(.package, "\(bootstrap) names no dynamic loader (\(Self.loaderNames.joined(separator: " or "))): is it a static or foreign binary?")
        }
        let dirs = install.moduleDirs.map(\.0)
        let d = directory.isEmpty ? "" : directory + "/"
        let launcher = Self.wrapper(moduleDirs: dirs, root: directory.isEmpty ? "" : "/" + directory, loader: loader)
        var entries: [PackageEntry] = [
            PackageEntry(path: "bootstrap", source: .bytes(Array(launcher.utf8)), executable: true),
            .strippedExecutable(bootstrap, as: d + "bin/bootstrap"),
            PackageEntry(path: d + "bin/perl", source: .bytes(Array(Self.wrapper(moduleDirs: dirs, program: "libexec/perl",
                                                                                 root: "/..", loader: loader).utf8)),
                         executable: true),
            PackageEntry(path: d + "libexec/perl", source: .file(install.interpreter), executable: true),
        ]
        for (name, path) in libs {
            entries.append(PackageEntry(path: d + "lib/" + name, source: .file(path), executable: name == loader))
        }
        for (name, dir) in install.moduleDirs {
            try Self.collectModules(dir, as: d + "perl5/" + name, into: &entries)
        }
        return (entries, install)
    }

    /// Module files under `dir`: no pod, C headers (CORE/), .packlist or man pages.
    static func collectModules(_ dir: String, as prefix: String, into entries: inout [PackageEntry]) throws {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: dir) else { throw ProjectError(.package, "cannot read \(dir)") }
        var files: [String] = []
        while let rel = walker.nextObject() as? String {
            let name = (rel as NSString).lastPathComponent
            if rel == "CORE" || rel.hasPrefix("CORE/") || name == "pod" || rel.hasPrefix("pod/") || rel.contains("/pod/") { continue }
            if name.hasSuffix(".pod") || name == ".packlist" || name.hasSuffix(".h") || name.hasSuffix(".e2x") { continue }
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: dir + "/" + rel, isDirectory: &isDir), !isDir.boolValue else { continue }
            files.append(rel)
        }
        for rel in files.sorted() {
            entries.append(try .file(prefix + "/" + rel, at: dir + "/" + rel))
        }
    }
}

/// Runs a program and returns its standard output (standard error is passed through).
enum Shell {
    static func output(_ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        do { try p.run() } catch { throw ProjectError(.package, "cannot run \(arguments[0]): \(error.localizedDescription)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw ProjectError(.package, "\(arguments.joined(separator: " ")) failed with status \(p.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

extension PackageEntry {
    /// `file` without its symbol table (`strip`, when binutils is installed: about 60% smaller for the bootstrap;
    /// the dynamic symbols XS modules link against stay). The copy lives in a temporary directory.
    public static func strippedExecutable(_ path: String, as name: String) -> PackageEntry {
        let fm = FileManager.default
        let tmp = fm.temporaryDirectory.appendingPathComponent("perl-lambda-strip-\(getpid())-\(name.replacingOccurrences(of: "/", with: "_"))").path
        try? fm.removeItem(atPath: tmp)
        if (try? Shell.output(["strip", "-o", tmp, path])) != nil, fm.fileExists(atPath: tmp) {
            return PackageEntry(path: name, source: .file(tmp), executable: true)
        }
        return PackageEntry(path: name, source: .file(path), executable: true)
    }

    /// Deletes the temporary copies `strippedExecutable` made for `entries`.
    public static func removeTemporaryCopies(_ entries: [PackageEntry]) {
        for case .file(let path) in entries.map(\.source) where path.contains("/perl-lambda-strip-") {
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
