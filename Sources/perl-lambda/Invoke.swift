import ArgumentParser
import Foundation
import LambdaEmulator
import LambdaWire
import Logging

struct Invoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one invocation locally, without a server, and print its result.",
        discussion: """
            The result goes to stdout, the function's logs to stderr; the exit status is 1 on a function error.
              perl-lambda invoke handler.handle --payload '{"name":"perl"}'
              echo '{"n":1}' | perl-lambda invoke handler.handle -
              perl-lambda invoke handler.handle --event apigateway-v2 --method POST --path /items --body '{"id":1}'
            """)

    @OptionGroup var function: FunctionOptions

    @Argument(help: "The handler, FILE.FUNCTION or FILE.psgi (default: handler.handle).")
    var handler: String?

    @Argument(help: ArgumentHelp("`-` reads the event from stdin.", valueName: "-"))
    var stdin: String?

    @Option(name: .long, help: "The event, as JSON text.")
    var payload: String?

    @Option(name: .long, help: "A file holding the event (`-` for stdin).")
    var payloadFile: String?

    @Option(name: .long, help: ArgumentHelp("Send a generated sample event (\(SampleEvent.allCases.map(\.rawValue).joined(separator: ", "))).",
                                            valueName: "NAME"))
    var event: SampleEvent?

    @OptionGroup var eventOptions: EventOptions

    @Option(name: .long, help: "Invoke as this tenant (X-Amz-Tenant-Id; implies --tenant-isolation).")
    var tenantId: String?

    @Argument(parsing: .postTerminator, help: ArgumentHelp("A Runtime API client to run instead of the bootstrap.",
                                                           valueName: "COMMAND ARGS"))
    var command: [String] = []

    func validate() throws {
        if let stdin, stdin != "-" { throw ValidationError("unexpected argument '\(stdin)'") }
        let sources = [payload != nil, payloadFile != nil, event != nil, readsStdin].filter { $0 }.count
        guard sources <= 1 else { throw ValidationError("give at most one of --payload, --payload-file, --event and -") }
        if let tenantId, !InvokeAPI.isValidTenantID(tenantId) {
            throw ValidationError("--tenant-id must be 1 to 256 characters of a-z, A-Z, 0-9, space and . _ : / = + - @")
        }
    }

    private var readsStdin: Bool { stdin == "-" || handler == "-" }

    private func eventBytes(region: String) throws -> [UInt8] {
        if let payload { return Array(payload.utf8) }
        if let event { return Array(event.json(eventOptions.options(region: region)).utf8) }
        if readsStdin || payloadFile == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        if let payloadFile {
            guard let data = FileManager.default.contents(atPath: payloadFile) else {
                throw ValidationError("cannot read --payload-file '\(payloadFile)'")
            }
            return Array(data)
        }
        return Array("{}".utf8)
    }

    func run() throws {
        let logger = function.makeLogger()
        var config = try function.configuration(handler: handler == "-" ? nil : handler, command: command, concurrency: 1)
        if tenantId != nil { config.tenantIsolation = true }
        let bytes = try eventBytes(region: config.region)
        signal(SIGPIPE, SIG_IGN)
        let emulator = Emulator(functions: [config], logger: logger, logSink: writeFunctionLog)
        defer { try? emulator.syncShutdown() }
        let interrupted = SignalWaiter.onSignal([SIGINT, SIGTERM]) {
            logger.info("interrupted; stopping the function")
            try? emulator.syncShutdown()
            Foundation.exit(130)
        }
        defer { interrupted.forEach { $0.cancel() } }
        let outcome: InvocationOutcome
        do {
            outcome = try emulator.invoke(function: config.name, payload: bytes, tenantID: tenantId).wait()
        } catch let error as ServiceError {
            throw CLIError("\(error.type): \(error.message)")
        }
        let body: ByteBufferView
        switch outcome.result {
        case .success(let b, _): body = b.readableBytesView
        case .functionError(_, let b): body = b.readableBytesView
        }
        FileHandle.standardOutput.write(Data(body) + Data("\n".utf8))
        if outcome.isFunctionError { throw ExitCode(1) }
    }
}

import NIOCore
