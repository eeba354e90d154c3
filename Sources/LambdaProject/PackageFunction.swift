import Foundation
import LambdaWire

/// The .zip of a function for Lambda's `provided.al2023` (or `provided.al2`) OS-only runtime:
///
///     bootstrap                the perl-lambda runtime's launcher (Lambda runs /var/task/bootstrap)
///     perl-lambda/             the runtime: bin/bootstrap, its perl's core modules, libperl, and the C library and
///                              loader it was built with, so the zip runs on provided.al2023 with no layer
///                              (`LayerPackage.entries(in: "perl-lambda")`)
///     handler.pl, lib/, ...    the function's files
///     local/lib/perl5/...      CPAN dependencies (`cpanm -L local --installdeps .` / `carton install`);
///                              the runtime puts $LAMBDA_TASK_ROOT/local/lib/perl5 on @INC
///
/// Left out: dot files and folders, `local/` other than `local/lib/perl5`, `t/`, zips, and the files that
/// describe the build or the deployment (Dockerfile, cpanfile.snapshot, template*.yaml, samconfig.toml).
public struct FunctionPackage {
    public var directory: URL
    /// The runtime's files, packed beside the function's; empty when the runtime comes from a layer.
    public var runtime: [PackageEntry]
    /// Files never packed, relative to `directory` (the output zip when it lies inside).
    public var exclude: Set<String> = []
    /// The function's handler, when known: its file must be packed. Without it, some top-level file a handler
    /// can name (`*.pl`, `*.psgi`) must be.
    public var handler: HandlerName?

    public static let excludedNames: Set<String> = [
        "t", "Dockerfile", "cpanfile.snapshot", "samconfig.toml", "samconfig.yaml", "node_modules", "__pycache__",
    ]

    public init(directory: URL, runtime: [PackageEntry] = [], handler: HandlerName? = nil) {
        self.directory = directory.standardizedFileURL
        self.runtime = runtime
        self.handler = handler
    }

    public func entries() throws -> [PackageEntry] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw ProjectError(.package, "'\(directory.path)' is not a directory")
        }
        var entries: [PackageEntry] = []
        try walk("", into: &entries)
        if let handler {
            guard let file = handler.relativeFile, entries.contains(where: { $0.path == file }) else {
                throw ProjectError(.package, "no \(handler.file) in '\(directory.path)' for the handler \(handler)")
            }
        } else {
            guard entries.contains(where: { !$0.path.contains("/") && HandlerName.loads($0.path) }) else {
                throw ProjectError(.package, "no handler file (*.pl or *.psgi) in '\(directory.path)'")
            }
        }
        let runtimeNames = Set(runtime.map { String($0.path.prefix { $0 != "/" }) })
        if let clash = entries.lazy.map({ String($0.path.prefix { $0 != "/" }) }).first(where: runtimeNames.contains) {
            throw ProjectError(.package, "'\(directory.path)' has its own \(clash), where the zip's runtime goes; rename it, or pass "
                + "--no-bootstrap to leave the runtime out (then '\(clash)' is packed as it is)")
        }
        return runtime + entries
    }

    private func included(_ relative: String, isDirectory: Bool) -> Bool {
        let name = (relative as NSString).lastPathComponent
        if name.hasPrefix(".") || exclude.contains(relative) { return false }
        if !relative.contains("/") {
            if Self.excludedNames.contains(name) || name.hasSuffix(".zip") { return false }
            if name.hasPrefix("template") && (name.hasSuffix(".yaml") || name.hasSuffix(".yml")) { return false }
        }
        // local/ holds cpanm's bin/, cache/ and man pages too: only local/lib/perl5 is code
        if relative == "local" || relative == "local/lib" { return isDirectory }
        if relative.hasPrefix("local/") { return relative == "local/lib/perl5" || relative.hasPrefix("local/lib/perl5/") }
        return true
    }

    private func walk(_ relative: String, into entries: inout [PackageEntry]) throws {
        let fm = FileManager.default
        let dir = relative.isEmpty ? directory.path : directory.path + "/" + relative
        let names: [String]
        do { names = try fm.contentsOfDirectory(atPath: dir).sorted() } catch {
            throw ProjectError(.package, "cannot read \(dir): \(error.localizedDescription)")
        }
        for name in names {
            let rel = relative.isEmpty ? name : relative + "/" + name
            let full = dir + "/" + name
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: full, isDirectory: &isDir) else { continue }  // dangling symlink
            guard included(rel, isDirectory: isDir.boolValue) else { continue }
            if isDir.boolValue {
                try walk(rel, into: &entries)
            } else {
                entries.append(try .file(rel, at: full))
            }
        }
    }
}
