import ArgumentParser

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Not implemented yet.")
    func run() throws { throw ValidationError("perl-lambda init is not implemented yet") }
}
