import ArgumentParser

struct Image: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "image", abstract: "Not implemented yet.")
    func run() throws { throw ValidationError("perl-lambda image is not implemented yet") }
}
