import ArgumentParser
import Foundation
import LambdaProject
import LambdaWire

struct PackageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "package",
        abstract: "Zip a function for Lambda's provided.al2023 runtime, or the runtime itself as a layer.",
        discussion: """
            The function zip holds the function's files, its CPAN dependencies in local/lib/perl5 (cpanm -L local \
            --installdeps .), which the runtime puts on @INC, and the runtime: `bootstrap` at the root, a launcher \
            for perl-lambda/ (bin/bootstrap, bin/perl, the perl's core modules, libperl and the C library the \
            binaries were built with, started through the bundled dynamic loader), so the zip runs on \
            provided.al2023 (glibc 2.34, no perl) with no layer. --layer zips the same runtime for /opt instead \
            (/opt/bootstrap), to share it between functions: then package each function with --no-bootstrap.
            Every shared object in the function (XS modules' .so) is inspected: the libraries it needs that the \
            runtime does not carry (libexpat for XML::Parser, libssl for Net::SSLeay …) are copied from this machine \
            into local/lib/native/, where the runtime's loader finds them; packaging fails with the list of those \
            this machine does not have. --provided-library names one a layer of yours provides instead.
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

    @Option(name: .long, help: "The function's handler (FILE.FUNCTION or FILE.psgi): its file must be in the zip (default: any top-level *.pl or *.psgi).")
    var handler: String?

    @Flag(name: .long, help: "Leave the runtime (bootstrap, perl-lambda/) out of the function zip: it comes from a layer.")
    var noBootstrap = false

    @Option(name: .long, help: ArgumentHelp("A shared library (soname, e.g. libfoo.so.1) another layer provides: not bundled, not required.", valueName: "soname"))
    var providedLibrary: [String] = []

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        let fm = FileManager.default
        let cwd = URL(fileURLWithPath: fm.currentDirectoryPath)
        let out = URL(fileURLWithPath: output ?? (layer ? "perl-runtime-layer.zip" : "function.zip"), relativeTo: cwd).standardizedFileURL
        do {
            var entries: [PackageEntry]
            if layer {
                entries = try runtime.entries()
            } else {
                let dir = URL(fileURLWithPath: directory, relativeTo: cwd).standardizedFileURL
                var package = FunctionPackage(directory: dir)
                if let handler {
                    do { package.handler = try HandlerName(parsing: handler) } catch { throw CLIError("\(error)") }
                }
                if !noBootstrap { package.runtime = try runtime.entries(in: "perl-lambda") }
                if out.path.hasPrefix(dir.path + "/") { package.exclude.insert(String(out.path.dropFirst(dir.path.count + 1))) }
                entries = try package.entries()
                say("function: \(dir.path)" + (noBootstrap ? " (no runtime: use it with the perl-lambda layer)" : ""))
                // the runtime's libraries are not bundled twice; without it, those of the layer this machine builds
                let runtimeLibraries = noBootstrap ? ((try? runtime.libraryNames()) ?? [])
                    : LayerPackage.libraryNames(in: package.runtime, directory: "perl-lambda")
                let runtimePaths = Set(package.runtime.map(\.path))
                let libraries: FunctionLibraries
                do {
                    libraries = try FunctionLibraries.collect(for: entries.filter { !runtimePaths.contains($0.path) },
                                                              runtimeLibraries: runtimeLibraries.union(providedLibrary))
                } catch {
                    PackageEntry.removeTemporaryCopies(package.runtime)  // the stripped bootstrap
                    throw error
                }
                for line in libraries.report() { say(line) }
                entries += libraries.entries
            }
            defer { PackageEntry.removeTemporaryCopies(entries) }
            let sizes = try ReproducibleZip.write(entries, to: out)
            say("wrote \(out.path)")
            for line in sizes.report(layer: layer) { say("  " + line) }
            if let problem = sizes.violation() {
                throw CLIError(problem)
            }
        } catch let error as ProjectError {
            throw CLIError(error.description)
        }
    }

    private func say(_ line: String) { print(line) }
}
