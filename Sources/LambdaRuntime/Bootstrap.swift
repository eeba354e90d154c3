#if canImport(Glibc)
import Glibc
#endif
import CProcess
import LambdaWire
import PerlBridge

/// The `bootstrap` executable: loads the handler in an embedded interpreter on its own thread, then serves
/// the Runtime API, in one process or (AWS_LAMBDA_MAX_CONCURRENCY=N) in N worker processes forked after init.
public enum Bootstrap {
    public static let usage = """
    usage: bootstrap [FILE.FUNCTION | FILE.psgi]
           bootstrap --script FILE [ARGS...]   run a Perl script with the runtime's modules (tests, benchmarks)
           bootstrap --version | --help

    Serves AWS Lambda's Runtime API (AWS_LAMBDA_RUNTIME_API) with a Perl handler: FILE.pl in
    LAMBDA_TASK_ROOT, FUNCTION in package main (or package-qualified), or a PSGI app file. The handler
    defaults to _HANDLER.
    Handlers written for AWS::Lambda (p5-aws-lambda) run unchanged.
    """
    public static let version = "perl-lambda bootstrap 0.1.0"

    /// Debugging switch: keep Swift's crash backtracer (see `cproc_restore_fatal_defaults`).
    static let backtraceSwitch = "PERL_LAMBDA_BACKTRACE"

    /// Exit statuses.
    enum Status {
        static let usage: Int32 = 2
        static let initFailed: Int32 = 1
        static let runtimeAPIFailed: Int32 = 1
    }

    public static func main(_ arguments: [String]) -> Int32 {
        let args = Array(arguments.dropFirst())
        switch args.first {
        case "--help", "-h": print(usage); return 0
        case "--version": print(version); return 0
        case "--guard-group":
            // perl-lambda serve: kill a runtime's process group (not ours) when serve dies; see cproc_guard_group
            guard args.count == 2, let pgid = Int32(args[1]), pgid > 1 else { printError("--guard-group needs a PGID"); return Status.usage }
            cproc_guard_group(pgid)
        case "--script":
            guard args.count >= 2 else { printError("--script needs a FILE"); return Status.usage }
            return PerlInterpreter.runScript(Array(args.dropFirst()))
        default: break
        }
        if let parent = getenv(RuntimeEnvironment.parentPID).map({ String(cString: $0) }) {
            // started by `perl-lambda serve`: die with our parent (serve, or a wrapper it ran); the variable does
            // not reach the handler. Reparented to init already (unless serve is init, as in a container): serve
            // died before we got here.
            unsetenv(RuntimeEnvironment.parentPID)
            // serve made us the leader of the environment's process group: when serve dies (even SIGKILLed), the
            // whole group goes — the handler's own children too, which a plain PDEATHSIG would leave behind.
            let death = cproc_group_death_signal()
            _ = cproc_die_with_parent(cproc_kill_group_on(death) == 0 ? death : SIGKILL)
            guard getppid() != 1 || parent == "1" else {
                printError("perl-lambda serve (pid \(parent)) is gone")
                return Status.runtimeAPIFailed
            }
        }
        let environment = processEnvironment()
        let log = RuntimeLog(environment: environment)
        let config: RuntimeConfiguration
        do { config = try RuntimeConfiguration(arguments: args, environment: environment) } catch {
            log.error("\(error)")
            return Status.usage
        }
        // PERL_LAMBDA_BACKTRACE=1 (a debugging switch, with SWIFT_BACKTRACE) keeps Swift's crash backtracer;
        // otherwise fatal signals end the process as on Lambda, and nothing is printed into the function's log.
        if environment[backtraceSwitch] != "1" { cproc_restore_fatal_defaults() }
        cproc_ignore_sigpipe()
        cproc_block_async_signals(nil)
        let output = log.format == .json ? OutputCapture(log: log) : nil
        var status: Int32 = 0
        PerlThread.run { status = serve(config, log: log, output: output) }
        return status
    }

    /// Runs on the interpreter's thread.
    static func serve(_ config: RuntimeConfiguration, log: RuntimeLog, output: OutputCapture?) -> Int32 {
        let interpreter: PerlInterpreter
        do { interpreter = try PerlInterpreter() } catch {
            log.error("\(error)")
            return Status.initFailed
        }
        if let output { interpreter.captureOutput(output) }
        let loaded = interpreter.loadHandler(taskRoot: config.taskRoot, handler: config.handler)
        output?.drain()
        switch loaded {
        case .failure(let type, let document), .exited(_, let type, let document):
            log.error("init error (\(type)) loading \(config.handler)")
            _ = withClient(config, log: log) { client in
                do { try client.sendInitError(errorType: type, document: document) } catch {
                    log.error("could not report the init error: \(error)")
                }
                return 0
            }
            return Status.initFailed
        case .success, .streamed:
            break
        }
        if config.workers > 1 {
            return WorkerPool(count: config.workers, log: log).run(
                worker: { slot in serveLoop(config, interpreter: interpreter, log: log, output: output, inFlight: slot) },
                failed: { requestID, reason in
                    // what Lambda answers for a runtime that died mid-invocation, sent by the surviving parent
                    let doc = ErrorDocument.runtimeExited(requestID: requestID, reason: reason)
                    _ = withClient(config, log: log) { client in
                        do { try client.sendError(requestID: requestID, errorType: doc.errorType, document: doc.bytes) } catch {
                            log.error("could not report the crashed invocation \(requestID): \(error)")
                        }
                        return 0
                    }
                })
        }
        return serveLoop(config, interpreter: interpreter, log: log, output: output)
    }

    static func serveLoop(_ config: RuntimeConfiguration, interpreter: PerlInterpreter, log: RuntimeLog,
                          output: OutputCapture?, inFlight: InFlightTable.Slot? = nil) -> Int32 {
        withClient(config, log: log) { client in
            // A signal while waiting for the Runtime API (SIGTERM at shutdown, when extensions are registered):
            // run the handler's $SIG{...} now, as AWS::Lambda's pure-Perl runtime does; perl would defer it to
            // its next op, which never comes while we wait in GET /next.
            client.interrupted = {
                if let status = interpreter.dispatchSignals() {
                    output?.drain()
                    exit(status)
                }
            }
            let loop = RuntimeLoop(interpreter: interpreter, client: client, log: log, output: output)
            loop.inFlight = inFlight
            let failure = loop.run()
            log.error("\(failure)")
            return Status.runtimeAPIFailed
        }
    }

    /// Connects to the Runtime API and runs `body`.
    static func withClient(_ config: RuntimeConfiguration, log: RuntimeLog, _ body: (RuntimeHTTPClient) -> Int32) -> Int32 {
        do {
            let client = try RuntimeHTTPClient(endpoint: config.runtimeAPI)
            try client.connect()
            return body(client)
        } catch {
            log.error("\(error)")
            return Status.runtimeAPIFailed
        }
    }

    static func printError(_ message: String) { write("bootstrap: \(message)\n", to: 2) }
}
