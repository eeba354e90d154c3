import ArgumentParser

struct PerlLambda: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perl-lambda",
        abstract: "Run Perl functions for AWS Lambda locally.",
        discussion: """
            `serve` emulates the Lambda Invoke API (a drop-in for the Runtime Interface Emulator that awscli, \
            boto3 and curl can call) and `invoke` runs one invocation without a server.
            """,
        subcommands: [Serve.self, Invoke.self, GenerateEvent.self, Init.self, PackageCommand.self, Image.self])
}

PerlLambda.main()
