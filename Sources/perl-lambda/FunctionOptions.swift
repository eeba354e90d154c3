import ArgumentParser
import Foundation
import LambdaEmulator
import LambdaProject
import LambdaWire
import Logging

/// Options that describe the function to run; shared by `serve` and `invoke`.
struct FunctionOptions: ParsableArguments {
    @Option(name: .long, help: "The function's code directory (LAMBDA_TASK_ROOT).")
    var taskRoot: String = "."

    @Option(name: .long, help: "The name callers invoke.")
    var functionName: String = "function"

    @Option(name: .long, help: "Invocation timeout in seconds.")
    var timeout: Double = 3

    @Option(name: .long, help: "Init phase limit in seconds (Lambda's is 10); past it init is retried within the invocation's timeout.")
    var initTimeout: Double = 10

    @Option(name: .long, help: "Memory size in MB (AWS_LAMBDA_FUNCTION_MEMORY_SIZE).")
    var memory: Int = 128

    @Option(name: .long, help: "AWS region the function reports (default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1).")
    var region: String?

    @Option(name: [.customShort("e"), .long], help: ArgumentHelp("Set an environment variable for the function.", valueName: "KEY=VALUE"))
    var env: [String] = []

    @Option(name: .long, help: ArgumentHelp("Read function variables from KEY=VALUE lines (# comments; '…' and \"…\" quoting).",
                                            valueName: "FILE"))
    var envFile: String?

    @Option(name: .long, help: ArgumentHelp("Read function variables from a SAM CLI --env-vars JSON file ({\"Parameters\": {…}, \"FUNCTION\": {…}}).",
                                            valueName: "FILE"))
    var envVars: String?

    @Option(name: .long, help: "The runtime to run when no COMMAND is given (default: `bootstrap` beside this program).")
    var bootstrap: String?

    @Flag(name: .long, help: "Tenant isolation mode (TenancyConfig PER_TENANT): every invocation names a tenant (X-Amz-Tenant-Id), and an environment serves one tenant only.")
    var tenantIsolation = false

    @Option(name: .long, help: "Log level of perl-lambda's own messages (trace, debug, info, notice, warning, error).")
    var logLevel: String = "info"

    func validate() throws {
        guard timeout > 0, timeout <= 900 else { throw ValidationError("--timeout must be between 0 and 900 seconds") }
        guard initTimeout > 0, initTimeout <= 900 else { throw ValidationError("--init-timeout must be between 0 and 900 seconds") }
        guard (128...10_240).contains(memory) else { throw ValidationError("--memory must be between 128 and 10240 MB") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level '\(logLevel)'") }
        try KeyValues.validate(env, option: "--env")
    }

    /// Variables passed from the caller's environment: credentials and what interpreters need to start.
    static let passthrough: Set<String> = [
        "PATH", "HOME", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TERM", "LD_LIBRARY_PATH",
        "PERL5LIB", "PERL5OPT", "PERL_LOCAL_LIB_ROOT", "PYTHONPATH", "PYENV_ROOT", "PYENV_VERSION", "VIRTUAL_ENV",
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE", "AWS_CA_BUNDLE", "AWS_ENDPOINT_URL",
        "AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL",
    ]

    func makeLogger() -> Logger {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = .trace
            return h
        }
        var logger = Logger(label: "perl-lambda")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        return logger
    }

    /// The function configuration for HANDLER and an optional `-- COMMAND ARGS...`.
    /// `userVariables: false` leaves out `userEnvironment` (a template's functions get it each on their own).
    func configuration(handler: String?, command: [String], concurrency: Int, userVariables: Bool = true) throws -> FunctionConfiguration {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        let root = URL(fileURLWithPath: taskRoot, relativeTo: URL(fileURLWithPath: fm.currentDirectoryPath)).standardizedFileURL.path
        guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw CLIError("--task-root '\(taskRoot)' is not a directory")
        }
        let process = ProcessInfo.processInfo.environment
        var environment = process.filter { Self.passthrough.contains($0.key) }
        if userVariables { environment.merge(try userEnvironment(functionNames: [functionName], declared: nil)) { $1 } }
        let runtime: [String]
        if command.isEmpty { try Self.checkHandler(handler ?? "handler.handle") }
        if command.isEmpty {
            let path = bootstrap ?? Self.besideExecutable("bootstrap")
            guard fm.isExecutableFile(atPath: path) else {
                throw CLIError("no runtime at '\(path)': build it (swift build --product bootstrap) or pass --bootstrap PATH "
                    + "or -- COMMAND ARGS...")
            }
            runtime = [path]
        } else {
            runtime = command
        }
        // another runtime: our bootstrap, when there is one, guards its process group (FunctionConfiguration.groupGuard)
        let guardPath = bootstrap ?? Self.besideExecutable("bootstrap")
        let region = self.region ?? process["AWS_REGION"] ?? process["AWS_DEFAULT_REGION"] ?? "us-east-1"
        var config = FunctionConfiguration(name: functionName, handler: handler ?? "handler.handle", taskRoot: root,
                                     command: runtime, isOurBootstrap: command.isEmpty, timeout: timeout, memoryMB: memory, concurrency: concurrency,
                                     region: region, environment: environment, initTimeout: initTimeout)
        if !command.isEmpty, fm.isExecutableFile(atPath: guardPath) { config.groupGuard = guardPath }
        config.tenantIsolation = tenantIsolation
        return config
    }

    /// The variables the user gives, in rising precedence: `--env-file`, `--env-vars` (`Parameters`, then the entry of
    /// the first of `functionNames` it has), `-e/--env`. With a template, `--env-vars` sets only the variables the
    /// function declares (`declared`), as `sam local invoke` does; nil: every variable it names.
    func userEnvironment(functionNames: [String], declared: Set<String>?) throws -> [String: String] {
        var out: [String: String] = [:]
        if let envFile { out.merge(try EnvironmentFiles.parseEnvFile(try Self.read(envFile, option: "--env-file"), path: envFile)) { $1 } }
        if let envVars {
            let overrides = try SAMEnvironmentOverrides.parse(Data(try Self.read(envVars, option: "--env-vars").utf8), path: envVars)
            var vars = overrides.variables(for: functionNames)
            if let declared { vars = vars.filter { declared.contains($0.key) } }
            out.merge(vars) { $1 }
        }
        out.merge(KeyValues.parse(env)) { $1 }
        return out
    }

    private static func read(_ path: String, option: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CLIError("\(option): cannot read '\(path)': \((error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription)")
        }
    }

    /// A handler the bootstrap would refuse is refused before anything starts (`-- COMMAND` runtimes have their own
    /// grammar). A missing file is left to the bootstrap's init error: `serve --watch` may be waiting for it.
    static func checkHandler(_ handler: String) throws {
        do { _ = try HandlerName(parsing: handler) } catch { throw CLIError("\(error)") }
    }

    static func besideExecutable(_ name: String) -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent(name).path
    }
}

/// Writes the functions' log lines to stderr, as Lambda's log stream would show them.
@Sendable func writeFunctionLog(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// A failure to report without the usage text.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
