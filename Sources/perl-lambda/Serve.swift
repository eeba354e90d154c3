import ArgumentParser
import Foundation
import LambdaEmulator
import LambdaWire
import Logging

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a function on the Lambda Invoke API (a drop-in for the Runtime Interface Emulator).",
        discussion: """
            Runs HANDLER with the perl-lambda bootstrap, or any Runtime API client given after `--`, in up to \
            --concurrency execution environments, and answers the Invoke API like Lambda does:

              curl -XPOST localhost:9000/2015-03-31/functions/function/invocations -d '{}'
              aws lambda invoke --endpoint-url http://localhost:9000 --function-name function out.json
              perl-lambda serve -- python3 -m awslambdaric app.handler
            """)

    @Option(name: .long, help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .shortAndLong, help: "Port to listen on (0 picks a free one).")
    var port: Int = 9000

    @Option(name: .long, help: "Most execution environments (processes) run at once.")
    var concurrency: Int = 1

    @OptionGroup var function: FunctionOptions

    @Argument(help: "The handler, FILE.FUNCTION (default: handler.handle).")
    var handler: String?

    @Argument(parsing: .postTerminator, help: ArgumentHelp("A Runtime API client to run instead of the bootstrap.",
                                                           valueName: "COMMAND ARGS"))
    var command: [String] = []

    func validate() throws {
        guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 1024") }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() throws {
        let logger = function.makeLogger()
        let config = try function.configuration(handler: handler, command: command, concurrency: concurrency)
        signal(SIGPIPE, SIG_IGN)
        let emulator = Emulator(functions: [config], logger: logger, logSink: writeFunctionLog)
        let address: String
        do {
            let bound = try emulator.start(host: host, port: port).wait()
            address = "\(bound.ipAddress ?? host):\(bound.port ?? port)"
        } catch {
            try? emulator.syncShutdown()
            throw CLIError("cannot listen on \(host):\(port): \(error)")
        }
        logger.info("serving \(config.name) (\(command.isEmpty ? config.handler : command.joined(separator: " "))) on http://\(address)")
        logger.info("invoke: curl -XPOST http://\(address)\(InvokeAPI.invokePath(config.name)) -d '{}'")
        SignalWaiter.wait(for: [SIGINT, SIGTERM])
        logger.info("shutting down")
        try emulator.syncShutdown()
    }
}

/// Blocks until one of the signals arrives (they no longer kill the process meanwhile).
enum SignalWaiter {
    static func wait(for signals: [Int32]) {
        let semaphore = DispatchSemaphore(value: 0)
        let sources = onSignal(signals) { semaphore.signal() }
        semaphore.wait()
        sources.forEach { $0.cancel() }
    }

    /// Runs `handler` on a private queue whenever one of the signals arrives; keep the sources alive.
    static func onSignal(_ signals: [Int32], _ handler: @escaping @Sendable () -> Void) -> [DispatchSourceSignal] {
        let queue = DispatchQueue(label: "perl-lambda.signals")
        return signals.map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }
}
