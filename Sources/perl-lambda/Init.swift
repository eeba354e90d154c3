import ArgumentParser
import Foundation
import LambdaProject

extension ScaffoldTemplate: ExpressibleByArgument {}

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Scaffold a new function: handler, unit test, cpanfile, Dockerfile, SAM templates, README.",
        discussion: """
            Templates: \(ScaffoldTemplate.allCases.map { "\($0.rawValue) (\($0.summary))" }.joined(separator: "; ")).
            Existing files are kept unless --force is given. The result runs at once:
              perl-lambda init hello-perl && cd hello-perl && perl-lambda serve
              curl -XPOST localhost:9000/2015-03-31/functions/function/invocations -d '{"name":"perl"}'
            """)

    @Argument(help: "The function's directory (created if missing).")
    var directory: String = "."

    @Option(name: .long, help: "What to start from: \(ScaffoldTemplate.allCases.map(\.rawValue).joined(separator: ", ")).")
    var template: ScaffoldTemplate = .hello

    @Option(name: .long, help: "The function's name (default: the directory's name); its SAM logical ID is derived from it.")
    var name: String?

    @Option(name: .long, help: "The function's architecture in the SAM templates: x86_64 or arm64 (default: this machine's, \(Scaffold.hostArchitecture)).")
    var arch: String = Scaffold.hostArchitecture

    @Flag(name: .long, help: "Overwrite files that already exist.")
    var force = false

    func validate() throws {
        guard Scaffold.architectures.contains(arch) else {
            throw ValidationError("--arch must be \(Scaffold.architectures.joined(separator: " or ")), not '\(arch)'")
        }
    }

    func run() throws {
        let fm = FileManager.default
        let dir = URL(fileURLWithPath: directory, relativeTo: URL(fileURLWithPath: fm.currentDirectoryPath)).standardizedFileURL
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: dir.path, isDirectory: &isDir), !isDir.boolValue {
            throw CLIError("\(directory) exists and is not a directory")
        }
        let functionName = name ?? Scaffold.functionName(from: dir.lastPathComponent)
        let scaffold = Scaffold(template: template, name: functionName, architecture: arch)
        let results: [(path: String, action: Scaffold.WriteAction)]
        do {
            results = try scaffold.write(to: dir.path, force: force)
        } catch let error as ProjectError {
            throw CLIError(error.description)
        }
        let shown = directory == "." ? "" : (directory.hasSuffix("/") ? directory : directory + "/")
        for r in results {
            let note = r.action == .kept ? "  (kept; --force overwrites)" : ""
            print("\(r.action.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(shown)\(r.path)\(note)")
        }
        let kept = results.filter { $0.action == .kept }.count
        if kept == results.count {
            throw CLIError("every file already exists in \(dir.path); nothing was written (use --force to overwrite)")
        }
        let cd = directory == "." ? "" : "\n  cd \(directory)"
        print("""

            \(functionName) (\(template.rawValue), \(arch)): SAM logical ID \(scaffold.logicalID). Next:\(cd)
              prove -I\(perlLibHint) t/
              perl-lambda serve --template template.yaml
              curl -XPOST localhost:9000/2015-03-31/functions/\(scaffold.logicalID)/invocations -d '{}'
            """)
    }

    /// Where AWS::Lambda's modules are for `prove -I`: perl/lib of the checkout this program was built in, if any.
    private var perlLibHint: String {
        var url = URL(fileURLWithPath: FunctionOptions.besideExecutable("perl-lambda")).deletingLastPathComponent()
        for _ in 0..<5 {
            let lib = url.appendingPathComponent("perl/lib")
            if FileManager.default.fileExists(atPath: lib.appendingPathComponent("AWS/Lambda.pm").path) { return lib.path }
            url.deleteLastPathComponent()
        }
        return "/path/to/perl-lambda/perl/lib"
    }
}
