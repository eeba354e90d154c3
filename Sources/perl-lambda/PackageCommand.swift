import ArgumentParser

struct PackageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "package", abstract: "Not implemented yet.")
    func run() throws { throw ValidationError("perl-lambda package is not implemented yet") }
}
