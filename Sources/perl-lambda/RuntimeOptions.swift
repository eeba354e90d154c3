import ArgumentParser
import LambdaProject

/// --bootstrap and --perl: the runtime that `package` (function zip or layer) and `image build --bundle-runtime`
/// carry — the bootstrap, the perl it was built against, that perl's libperl, core modules and C library.
struct RuntimeOptions: ParsableArguments {
    @Option(name: .long, help: "The bootstrap to bundle (default: `bootstrap` beside this program).")
    var bootstrap: String?

    @Option(name: .long, help: "The perl whose libperl and core modules go with the runtime (the one the bootstrap was built against).")
    var perl: String = "perl"

    /// The runtime's files, laid out for /opt ("") or in `directory` of a function zip, after a line saying what
    /// they are. Callers remove the stripped bootstrap afterwards (`PackageEntry.removeTemporaryCopies`).
    func entries(in directory: String = "") throws -> [PackageEntry] {
        let runtime = bootstrap ?? FunctionOptions.besideExecutable("bootstrap")
        let (entries, install) = try LayerPackage(bootstrap: runtime, perl: perl).entries(in: directory)
        print("runtime: \(runtime) with perl \(install.version) from \(install.interpreter)"
              + (directory.isEmpty ? "" : ", bundled in \(directory)/"))
        return entries
    }

    /// The libraries the layer built from these options would carry in lib/.
    func libraryNames() throws -> Set<String> {
        try LayerPackage(bootstrap: bootstrap ?? FunctionOptions.besideExecutable("bootstrap"), perl: perl).libraryNames()
    }
}
