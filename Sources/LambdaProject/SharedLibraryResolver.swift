import Foundation

/// Finds the shared libraries ELF files need, transitively, the way this machine's dynamic loader would — DT_RPATH,
/// LD_LIBRARY_PATH, DT_RUNPATH ($ORIGIN expanded), the ld.so.cache, then the default directories — without
/// running anything but `ldconfig -p` (which prints the cache). A candidate of another class or machine (a 32-bit
/// libc.so.6 for a 64-bit module) is passed over, as the loader does.
public struct SharedLibraryResolver {
    /// soname → paths, in the ld.so.cache's order (`ldconfig -p`).
    public var cache: [String: [String]]
    /// LD_LIBRARY_PATH of the packaging command: libraries installed outside the system's directories.
    public var libraryPath: [String]
    /// Searched last, as the loader's built-in trusted directories (Debian's multiarch ones, then the others).
    public static let defaultDirectories = [
        "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
        "/lib64", "/usr/lib64", "/lib", "/usr/lib",
    ]

    public init(cache: [String: [String]], libraryPath: [String] = []) {
        self.cache = cache
        self.libraryPath = libraryPath
    }

    /// This machine's: its ld.so.cache and the LD_LIBRARY_PATH in `environment`.
    public static func system(environment: [String: String] = ProcessInfo.processInfo.environment) -> SharedLibraryResolver {
        let ldconfig = ["/sbin/ldconfig", "/usr/sbin/ldconfig"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let listing = ldconfig.flatMap { try? Shell.output([$0, "-p"]) } ?? ""
        let path = (environment["LD_LIBRARY_PATH"] ?? "").split(separator: ":").map(String.init)
        return SharedLibraryResolver(cache: parseCacheListing(listing), libraryPath: path)
    }

    /// `ldconfig -p` lines: "\tlibexpat.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libexpat.so.1".
    public static func parseCacheListing(_ text: String) -> [String: [String]] {
        var cache: [String: [String]] = [:]
        for line in text.split(separator: "\n") {
            guard let arrow = line.range(of: " => ") else { continue }
            let head = line[..<arrow.lowerBound].trimmingCharacters(in: .whitespaces)
            let name = String(head.prefix { $0 != " " })
            cache[name, default: []].append(String(line[arrow.upperBound...]).trimmingCharacters(in: .whitespaces))
        }
        return cache
    }

    /// The file the loader would open for `name`, needed by `object` (read from `path`); nil when none fits.
    public func resolve(_ name: String, for object: ELFFile, at path: String) -> String? {
        let origin = (path as NSString).deletingLastPathComponent
        func expand(_ dirs: [String]) -> [String] {
            dirs.map { $0.replacingOccurrences(of: "${ORIGIN}", with: origin).replacingOccurrences(of: "$ORIGIN", with: origin) }
        }
        func fits(_ candidate: String) -> Bool {
            guard FileManager.default.fileExists(atPath: candidate), let lib = try? ELFFile(path: candidate) else { return false }
            return object.canLoad(lib)
        }
        if name.contains("/") { return fits(name) ? name : nil }
        // DT_RPATH counts only when there is no DT_RUNPATH (ld.so(8))
        var dirs = object.runpath.isEmpty ? expand(object.rpath) : []
        dirs += libraryPath + expand(object.runpath)
        for dir in dirs where fits(dir + "/" + name) { return dir + "/" + name }
        if let hit = cache[name]?.first(where: fits) { return hit }
        return Self.defaultDirectories.map { $0 + "/" + name }.first(where: fits)
    }

    /// The libraries `files` need, directly or through each other, and the loaders (PT_INTERP) of the executables
    /// among them.
    public struct Closure {
        /// name in the package (the DT_NEEDED soname, or the loader's file name) → the file on this machine, symlinks
        /// resolved
        public var libraries: [String: String] = [:]
        /// Libraries found nowhere: (soname, the file that needs it).
        public var missing: [(name: String, neededBy: String)] = []
        /// Which file first needed each library (for the report).
        public var neededBy: [String: String] = [:]
    }

    /// Walks the DT_NEEDED graph from `files`. A library for which `provided` is true is neither collected nor
    /// followed: whatever provides it (the bundled runtime) provides its dependencies too.
    public func closure(of files: [String], provided: (String) -> Bool = { _ in false }) throws -> Closure {
        var result = Closure()
        var queue: [(name: String, object: ELFFile, path: String)] = []
        var seen = Set<String>()
        for file in files {
            let elf = try ELFFile(path: file)
            if let interp = elf.interpreter {
                let name = (interp as NSString).lastPathComponent
                if !provided(name) && result.libraries[name] == nil {
                    guard FileManager.default.fileExists(atPath: interp) else {
                        result.missing.append((name: interp, neededBy: file))
                        continue
                    }
                    result.libraries[name] = URL(fileURLWithPath: interp).resolvingSymlinksInPath().path
                    result.neededBy[name] = file
                }
            }
            queue += elf.needed.map { ($0, elf, file) }
        }
        while !queue.isEmpty {
            let (name, object, path) = queue.removeFirst()
            if provided(name) || !seen.insert(name).inserted { continue }
            guard let found = resolve(name, for: object, at: path) else {
                result.missing.append((name: name, neededBy: path))
                continue
            }
            let real = URL(fileURLWithPath: found).resolvingSymlinksInPath().path
            result.libraries[(name as NSString).lastPathComponent] = real
            result.neededBy[(name as NSString).lastPathComponent] = path
            let lib = try ELFFile(path: real)
            queue += lib.needed.map { ($0, lib, found) }
        }
        return result
    }

    /// The error for libraries that cannot be found: each with the file that needs it.
    public static func missingError(_ missing: [(name: String, neededBy: String)], describe: (String) -> String = { $0 }) -> ProjectError {
        let lines = missing.map { "  \($0.name), needed by \(describe($0.neededBy))" }
        return ProjectError(.package, "shared libraries not found on this machine, so they cannot be bundled:\n" + lines.joined(separator: "\n")
            + "\ninstall them (Debian: apt-get install the package that ships each, e.g. `apt-file search libexpat.so.1`), "
            + "or add their folder to LD_LIBRARY_PATH, then package again")
    }
}
