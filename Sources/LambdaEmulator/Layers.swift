import Foundation

/// What `serve --layer DIR` gives a function: what a layer unzipped at `/opt` gives it on Lambda, with the layer used
/// in place. Lambda merges a function's layers into `/opt` in order (a later layer's file replaces an earlier one's),
/// so a later layer's directories come first among the layers' own, and extensions are one set, by file name.
public enum Layers {
    /// The module directories of a layer that go on `@INC` (through PERL5LIB, which our bootstrap's libperl reads
    /// like any perl; perl adds their version and architecture subdirectories itself): the local::lib layout
    /// `cpanm -L DIR/perl5` makes, and p5-aws-lambda's layers' `lib/perl5/site_perl` (its README installs modules
    /// there) and `lib/perl5` (its perl layers' own modules).
    static let moduleDirs = ["perl5/lib/perl5", "lib/perl5/site_perl", "lib/perl5"]

    /// `base` with the layers' directories added as Lambda adds `/opt`'s: `bin` after PATH (Lambda's PATH ends
    /// with `/opt/bin`), `lib` after LD_LIBRARY_PATH (Lambda's ends with `/opt/lib`), the module directories
    /// after PERL5LIB. Only directories that exist are added.
    public static func environment(_ base: [String: String], layers: [String]) -> [String: String] {
        guard !layers.isEmpty else { return base }
        var env = base
        let ordered = Array(layers.reversed())
        func add(_ name: String, _ dirs: [String], fallback: String? = nil) {
            let existing = dirs.filter(isDirectory)
            guard !existing.isEmpty else { return }
            let current = (env[name] ?? fallback).map { $0.split(separator: ":").map(String.init) } ?? []
            env[name] = (current + existing.filter { !current.contains($0) }).joined(separator: ":")
        }
        add("PATH", ordered.map { $0 + "/bin" }, fallback: "/usr/local/bin:/usr/bin:/bin")
        add("LD_LIBRARY_PATH", ordered.map { $0 + "/lib" })
        add("PERL5LIB", ordered.flatMap { dir in moduleDirs.map { dir + "/" + $0 } })
        return env
    }

    /// The external extensions the layers hold: every executable file in a layer's `extensions/`, by file name
    /// (a later layer's file replaces an earlier one's of the same name), in name order, as Lambda starts them.
    public static func extensions(in layers: [String]) -> [(name: String, path: String)] {
        var byName: [String: String] = [:]
        let fm = FileManager.default
        for layer in layers {
            let dir = layer + "/extensions"
            guard let names = try? fm.contentsOfDirectory(atPath: dir) else { continue }
            for name in names where !name.hasPrefix(".") {
                let path = dir + "/" + name
                if isDirectory(path) || !fm.isExecutableFile(atPath: path) { continue }
                byName[name] = path
            }
        }
        return byName.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }.map { ($0, byName[$0]!) }
    }

    public static func isLayerDirectory(_ path: String) -> Bool { isDirectory(path) }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}
