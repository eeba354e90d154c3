import Foundation

/// The shared libraries a function's XS modules need and its runtime does not carry (libexpat for XML::Parser,
/// libssl for Net::SSLeay …), copied from this machine into the package's `local/lib/native/`, which the
/// runtime's launcher puts on the bundled loader's --library-path after its own lib/.
///
/// Nothing is left to provided.al2023's own /usr/lib64, on purpose:
/// - the runtime runs on the glibc it bundles (the build machine's, newer than AL2023's 2.34), and libraries
///   built on the build machine may need symbol versions AL2023's copies lack (GCC 12's libstdc++ exports
///   GLIBCXX_3.4.30, AL2023's GCC 11 one stops at 3.4.29; OpenSSL 3.x minor versions add symbols) — a failure
///   seen only when the module is loaded, after deploying;
/// - the provided.al2023 base is deliberately minimal and its contents are not a documented contract, so a list
///   of "provided" libraries would be a guess;
/// - the cost is small: libexpat is 0.2 MB, libssl with libcrypto 5 MB, against 250 MB.
/// Only glibc's own libraries (`glibc`) are never bundled here: they must be the very build of the runtime's libc
/// and loader, and the runtime (zip or layer) carries all of them.
public struct FunctionLibraries {
    /// Where the libraries go in the function's package (the launcher adds $LAMBDA_TASK_ROOT/local/lib/native).
    public static let directory = "local/lib/native"

    /// glibc's libraries, which the runtime carries together (`LayerPackage.entries`): never bundled with a
    /// function, never taken from the target.
    public static let glibc: Set<String> = [
        "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0",
        "librt.so.1", "libresolv.so.2", "libutil.so.1", "libanl.so.1",
    ]

    /// The function's shared objects that were inspected (paths in the package).
    public var objects: [String] = []
    /// What was bundled: the library, the file on this machine, and the package path of the object needing it.
    public var bundled: [(name: String, source: String, neededBy: String)] = []
    public var entries: [PackageEntry] = []

    public init() {}

    /// Inspects the shared objects (`*.so`, `*.so.N` ELF files) among `function`'s entries and collects what they
    /// need, except what `runtimeLibraries` (the runtime's lib/) and glibc provide. Throws the list of libraries
    /// found nowhere.
    public static func collect(for function: [PackageEntry], runtimeLibraries: Set<String>,
                               resolver: SharedLibraryResolver = .system()) throws -> FunctionLibraries {
        var result = FunctionLibraries()
        var packagePath: [String: String] = [:]  // file on disk → path in the package
        for e in function {
            guard case .file(let source) = e.source, isSharedObjectName((e.path as NSString).lastPathComponent),
                  ELFFile.isELF(source) else { continue }
            packagePath[source] = e.path
            result.objects.append(e.path)
        }
        guard !packagePath.isEmpty else { return result }
        let closure = try resolver.closure(of: packagePath.keys.sorted()) {
            runtimeLibraries.contains($0) || glibc.contains($0)
        }
        let describe = { (file: String) in packagePath[file] ?? file }
        if !closure.missing.isEmpty {
            throw SharedLibraryResolver.missingError(closure.missing, describe: describe)
        }
        for (name, source) in closure.libraries.sorted(by: { $0.key < $1.key }) {
            result.bundled.append((name, source, describe(closure.neededBy[name] ?? "")))
            result.entries.append(PackageEntry(path: directory + "/" + name, source: .file(source), executable: false))
        }
        return result
    }

    /// "Expat.so", "libfoo.so.1.2": the names shared objects go by (XS modules end in .so).
    static func isSharedObjectName(_ name: String) -> Bool {
        name.hasSuffix(".so") || name.contains(".so.")
    }

    /// Lines for the user: what was inspected and what was bundled.
    public func report() -> [String] {
        guard !objects.isEmpty else { return [] }
        var lines = ["shared objects in the function: \(objects.count) (\(objects.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")))"]
        if bundled.isEmpty {
            lines.append("  they need no library beyond the runtime's")
        }
        for b in bundled {
            lines.append("  bundled \(Self.directory)/\(b.name) (from \(b.source)), needed by \(b.neededBy)")
        }
        return lines
    }
}
