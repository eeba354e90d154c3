import ArgumentParser
import Foundation
import LambdaProject

struct PackageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "package",
        abstract: "Zip a function for Lambda's provided.al2023 runtime, or the runtime itself as a layer.",
        discussion: """
            The function zip holds `bootstrap` (this runtime) at its root, the function's files and its CPAN \
            dependencies in local/lib/perl5 (cpanm -L local --installdeps .), which the runtime puts on @INC. \
            --layer zips the runtime for /opt instead: /opt/bootstrap, bin/bootstrap, bin/perl, the perl's core \
            modules, libperl and the C library the binaries were built with (lib/), started through the bundled \
            dynamic loader so the layer runs on older systems such as provided.al2023 (glibc 2.34). A function zip \
            whose bootstrap comes from this build host needs glibc 2.35+: on provided.al2023 use the layer with \
            --no-bootstrap.
            The same input gives the same bytes (sorted entries, fixed timestamps and permissions). Fails when the \
            zip breaks Lambda's limits (50 MB zipped for a direct upload, 250 MB unzipped with layers).
              perl-lambda package my-function --output function.zip
              perl-lambda package --layer --output perl-runtime.zip
            """)

    @Argument(help: "The function's directory (not used with --layer).")
    var directory: String = "."

    @Option(name: .shortAndLong, help: "The zip to write (default: function.zip, or perl-runtime-layer.zip with --layer).")
    var output: String?

    @Flag(name: .long, help: "Package the runtime as a layer (unpacked under /opt) instead of a function.")
    var layer = false

    @Option(name: .long, help: "The bootstrap to package (default: `bootstrap` beside this program).")
    var bootstrap: String?

    @Flag(name: .long, help: "Leave bootstrap out of the function zip (the runtime comes from a layer).")
    var noBootstrap = false

    @Option(name: .long, help: "The perl whose libperl and core modules go into the layer.")
    var perl: String = "perl"

    func run() throws {
        let fm = FileManager.default
        let cwd = URL(fileURLWithPath: fm.currentDirectoryPath)
        let out = URL(fileURLWithPath: output ?? (layer ? "perl-runtime-layer.zip" : "function.zip"), relativeTo: cwd).standardizedFileURL
        let runtime = bootstrap ?? FunctionOptions.besideExecutable("bootstrap")
        do {
            let entries: [PackageEntry]
            if layer {
                let (layerEntries, install) = try LayerPackage(bootstrap: runtime, perl: perl).entries()
                say("layer: perl \(install.version) from \(install.interpreter), runtime \(runtime)")
                entries = layerEntries
            } else {
                let dir = URL(fileURLWithPath: directory, relativeTo: cwd).standardizedFileURL
                var package = FunctionPackage(directory: dir, bootstrap: noBootstrap ? nil : runtime)
                if out.path.hasPrefix(dir.path + "/") { package.exclude.insert(String(out.path.dropFirst(dir.path.count + 1))) }
                entries = try package.entries()
                say("function: \(dir.path)" + (noBootstrap ? " (no bootstrap: use it with the perl-lambda layer)" : ""))
            }
            let glibc = LayerPackage.newestGlibc(entries)
            if glibc > 34 {
                say("note: these binaries need glibc 2.\(glibc); Lambda's provided.al2023 has glibc 2.34 — build the bootstrap "
                    + "(and the layer) on Amazon Linux 2023 for it (images/source.Dockerfile), or deploy as a container image")
            }
            defer {  // stripped copies of the bootstrap
                for case .file(let path) in entries.map(\.source) where path.contains("/perl-lambda-strip-") {
                    try? fm.removeItem(atPath: path)
                }
            }
            let sizes = try ReproducibleZip.write(entries, to: out)
            say("wrote \(out.path)")
            for line in sizes.report(layer: layer) { say("  " + line) }
            if let problem = sizes.violation() {
                throw CLIError(problem)
            }
        } catch let error as PackageError {
            throw CLIError(error.description)
        }
    }

    private func say(_ line: String) { print(line) }
}
