import ArgumentParser
import Foundation
import LambdaEmulator
import LambdaProject
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

    @Option(name: .long, help: "Serve the AWS::Serverless::Function resources of this SAM template, each under its logical ID.")
    var template: String?

    @Option(name: .long, help: ArgumentHelp("Set a template parameter (overrides its Default).", valueName: "KEY=VALUE"))
    var parameter: [String] = []

    @Option(name: .long, help: ArgumentHelp("A layer directory, used in place as Lambda uses a layer at /opt: DIR/bin on PATH, DIR/lib on LD_LIBRARY_PATH, its Perl module directories on PERL5LIB, and DIR/extensions/* started as extensions (repeatable, in order).", valueName: "DIR"))
    var layer: [String] = []

    @Flag(name: .long, help: "Restart the execution environments when files under the task root(s) change; reload --template when it changes.")
    var watch = false

    @OptionGroup var function: FunctionOptions

    @OptionGroup(title: "HTTP front door") var http: FrontDoorOptions

    @Argument(help: "The handler, FILE.FUNCTION or FILE.psgi (default: handler.handle).")
    var handler: String?

    @Argument(parsing: .postTerminator, help: ArgumentHelp("A Runtime API client to run instead of the bootstrap.",
                                                           valueName: "COMMAND ARGS"))
    var command: [String] = []

    func validate() throws {
        guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 1024") }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        if template != nil, handler != nil { throw ValidationError("HANDLER comes from the template with --template") }
        try KeyValues.validate(parameter, option: "--parameter")
    }

    func run() throws {
        // Before any thread starts (they inherit the mask): a SIGTERM that comes while serve is starting stays
        // pending for `SignalWaiter.wait` instead of being lost (a test that stopped serve right after its
        // "serving" line could leave it running).
        SignalWaiter.block([SIGINT, SIGTERM])
        let logger = function.makeLogger()
        let (configs, templateDoor) = try functionConfigurations(logger: logger)
        let config = configs[0]
        signal(SIGPIPE, SIG_IGN)
        let emulator = Emulator(functions: configs, logger: logger, logSink: writeFunctionLog)
        emulator.frontDoor = http.frontDoor ?? templateDoor
        let address: String
        do {
            let bound = try emulator.start(host: host, port: port).wait()
            address = "\(bound.ipAddress ?? host):\(bound.port ?? port)"
        } catch {
            try? emulator.syncShutdown()
            throw CLIError("cannot listen on \(host):\(port): \(error)")
        }
        let served = configs.map { "\($0.name) (\(command.isEmpty ? $0.handler : command.joined(separator: " ")))" }
        logger.info("serving \(served.joined(separator: ", ")) on http://\(address)")
        logger.info("invoke: curl -XPOST http://\(address)\(InvokeAPI.invokePath(config.name)) -d '{}'")
        if let door = emulator.frontDoor { logger.info("\(door.format.rawValue)\(door.streaming ? " (RESPONSE_STREAM)" : ""): http://\(address)/") }
        let templateDir = template.map { URL(fileURLWithPath: $0).standardizedFileURL.deletingLastPathComponent().path }
        let watcher = watch
            ? emulator.watchTaskRoots(extraRoots: templateDir.map { [$0] } ?? [], onAnyChange: templateReloader(emulator, logger: logger)) {
                logger.info("\($0)")
            }
            : nil
        if let watcher { logger.info("watching \(watcher.roots.joined(separator: ", ")) for changes") }
        SignalWaiter.wait(for: [SIGINT, SIGTERM])
        logger.info("shutting down")
        watcher?.stop()
        try emulator.syncShutdown()
    }
}

extension Serve {
    /// A `--layer` argument as an absolute directory (the layer is used in place).
    static func layerDirectory(_ path: String) throws -> String {
        let fm = FileManager.default
        let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: fm.currentDirectoryPath)).standardizedFileURL
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
            throw CLIError("--layer '\(path)' is not a directory")
        }
        return url.path
    }

    /// --watch with --template: called after every change the watcher sees; when the template itself changed it is
    /// read again and its functions' new settings (handler, timeout, memory, environment) reach the next
    /// environments; a template that no longer loads is reported and the running settings stay.
    func templateReloader(_ emulator: Emulator, logger: Logger) -> (@Sendable () -> Void)? {
        guard let template else { return nil }
        let file = URL(fileURLWithPath: template).standardizedFileURL
        let stamp = { () -> String in
            let a = try? FileManager.default.attributesOfItem(atPath: file.path)
            return "\((a?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)/\((a?[.size] as? NSNumber)?.intValue ?? -1)"
        }
        let last = StampBox(stamp())  // touched only on the watcher's queue
        return {
            let now = stamp()
            guard last.value != now else { return }
            last.value = now
            do {
                let (configs, _) = try functionConfigurations(logger: logger)
                let lines = try emulator.reconfigure(configs).wait()
                let summary = lines.isEmpty ? ": no function settings changed" : ""
                logger.info("\(template) changed\(summary)")
                for line in lines { logger.info("  \(line)") }
            } catch {
                logger.error("\(template) changed but cannot be used (\(error)); the functions keep their settings")
            }
        }
    }

    /// The functions to serve: HANDLER's, or those of --template (its values over the command line's defaults;
    /// --env over the template's Environment), and a Function URL front door for the template's first function
    /// with a `FunctionUrlConfig`.
    func functionConfigurations(logger: Logger) throws -> ([FunctionConfiguration], HTTPFrontDoor?) {
        var base = try function.configuration(handler: handler, command: command, concurrency: concurrency,
                                               userVariables: template == nil)
        base.layers = try layer.map(Self.layerDirectory)
        guard let template else { return ([base], nil) }
        let sam: SAMTemplate
        do {
            sam = try SAMTemplate.load(path: template, parameters: KeyValues.parse(parameter), region: base.region)
        } catch let error as ProjectError {
            throw CLIError("\(template): \(error)")
        }
        sam.warnings.forEach { logger.warning("\(template): \($0)") }
        guard !sam.functions.isEmpty else { throw CLIError("\(template) has no \(SAMTemplate.functionType) to serve") }
        if function.functionName != "function" { logger.warning("--function-name is ignored with --template: functions are served under their logical IDs") }
        let door = sam.functions.first { $0.functionURLInvokeMode != nil }.map {
            HTTPFrontDoor(format: .functionURL, streaming: $0.functionURLInvokeMode == "RESPONSE_STREAM", function: $0.logicalID)
        }
        let configs = try sam.functions.map { f in
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: f.codeDirectory, isDirectory: &isDir), isDir.boolValue else {
                throw CLIError("\(template): the code of \(f.logicalID) should be in \(f.codeDirectory), which is not a directory")
            }
            for dir in f.layers where !Layers.isLayerDirectory(dir) {
                throw CLIError("\(template): a layer of \(f.logicalID) should be in \(dir), which is not a directory")
            }
            if command.isEmpty, let runtime = f.runtime, !runtime.hasPrefix("provided") {
                logger.warning("\(f.logicalID) has Runtime \(runtime); it runs with the perl-lambda bootstrap (give -- COMMAND for another runtime)")
            }
            let c = base.applying(FunctionOverrides(name: f.logicalID, handler: f.handler, taskRoot: f.codeDirectory,
                                                    timeout: f.timeout, memoryMB: f.memorySize, environment: f.environment,
                                                    layers: f.layers,
                                                    tenantIsolation: f.tenantIsolationMode.map { $0 == "PER_TENANT" }),
                                  commandLineEnvironment: try function.userEnvironment(
                                      functionNames: [f.logicalID] + (f.functionName.map { [$0] } ?? []),
                                      declared: f.declaredVariables))
            if command.isEmpty {
                do { _ = try HandlerName(parsing: c.handler) } catch { throw CLIError("\(template): \(f.logicalID): \(error)") }
            }
            return c
        }
        return (configs, door)
    }
}

/// Blocks until one of the signals arrives (they no longer kill the process meanwhile).
enum SignalWaiter {
    /// Blocks `signals` in the calling thread and in every thread started from it afterwards, so they stay
    /// pending until `wait` takes one. Call before any thread starts.
    static func block(_ signals: [Int32]) {
        var set = signalSet(signals)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits (sigwait) for one of `signals`, which `block` has blocked.
    static func wait(for signals: [Int32]) {
        var set = signalSet(signals)
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
    }

    private static func signalSet(_ signals: [Int32]) -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        signals.forEach { sigaddset(&set, $0) }
        return set
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

/// The template's last seen modification stamp, read and written on the file watcher's serial queue only.
private final class StampBox: @unchecked Sendable {
    var value: String
    init(_ value: String) { self.value = value }
}
