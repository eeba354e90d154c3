#if canImport(Glibc)
import Glibc
#endif
import LambdaWire

/// One function the emulator serves: what to run, where, with which limits.
public struct FunctionConfiguration: Sendable, Equatable {
    /// The name callers use (`--function-name`), default `function` as with the RIE.
    public var name: String
    /// `_HANDLER`, e.g. `handler.handle`.
    public var handler: String
    /// Absolute path of the code directory: `LAMBDA_TASK_ROOT` and the process's working directory.
    public var taskRoot: String
    /// The runtime process: our bootstrap, or any Runtime API client (`-- COMMAND ARGS...`).
    public var command: [String]
    /// `command` is perl-lambda's bootstrap, which arranges its own death with serve (PERL_LAMBDA_PARENT_PID);
    /// other runtimes are started through `setpriv --pdeathsig KILL`.
    public var isOurBootstrap: Bool
    /// perl-lambda's bootstrap, when `command` is another runtime: started beside it as `bootstrap --guard-group
    /// PGID`, so the runtime's whole process group dies with serve even when serve is SIGKILLed (our bootstrap
    /// does that itself). nil: no guard (the runtime alone dies with serve, through setpriv).
    public var groupGuard: String?
    /// Invocation timeout in seconds.
    public var timeout: Double
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` in MB.
    public var memoryMB: Int
    /// Largest number of execution environments (processes) run at once.
    public var concurrency: Int
    public var region: String
    /// Variables every process gets before Lambda's own (the caller's credentials, PATH, user variables).
    public var environment: [String: String]
    /// How long a process may take from spawn to its first GET /next.
    public var initTimeout: Double
    /// Layer directories (absolute, used in place), in order: `Layers` says what each gives the function.
    public var layers: [String] = []
    /// Tenant isolation mode (`TenancyConfig: {TenantIsolationMode: PER_TENANT}` on Lambda): every invocation
    /// must name a tenant (`X-Amz-Tenant-Id`) and an execution environment only ever serves one tenant.
    public var tenantIsolation: Bool = false

    public init(name: String = "function", handler: String, taskRoot: String, command: [String], isOurBootstrap: Bool = false,
                timeout: Double = 3, memoryMB: Int = 128, concurrency: Int = 1, region: String = "us-east-1",
                environment: [String: String] = [:], initTimeout: Double = 10) {
        self.name = name
        self.handler = handler
        self.taskRoot = taskRoot
        self.command = command
        self.isOurBootstrap = isOurBootstrap
        self.groupGuard = nil
        self.timeout = timeout
        self.memoryMB = memoryMB
        self.concurrency = max(1, concurrency)
        self.region = region
        self.environment = environment
        self.initTimeout = initTimeout
    }

    public var arn: String { InvokeAPI.functionARN(region: region, name: name) }

    /// The program that guards a process group (`bootstrap --guard-group PGID`): `groupGuard`, or our bootstrap
    /// itself when it is the runtime. Extensions are any programs, so each gets one when there is a guard.
    var groupGuardProgram: String? { groupGuard ?? (isOurBootstrap ? command.first : nil) }

    /// This configuration (the command line's) with a function's own settings over it (a SAM template's), in the
    /// one order they combine: the function's values over the command line's defaults, the command line's
    /// `--env` over the function's Environment.
    public func applying(_ o: FunctionOverrides, commandLineEnvironment: [String: String]) -> FunctionConfiguration {
        var c = self
        c.name = o.name
        c.handler = o.handler ?? "handler.handle"
        c.taskRoot = o.taskRoot
        c.timeout = o.timeout ?? timeout
        c.memoryMB = o.memoryMB ?? memoryMB
        c.tenantIsolation = o.tenantIsolation ?? tenantIsolation
        c.environment = environment.merging(o.environment) { $1 }.merging(commandLineEnvironment) { $1 }
        c.layers = o.layers + layers   // the function's own layers, then the command line's --layer
        return c
    }
    public var logGroup: String { "/aws/lambda/\(name)" }

    /// The environment of one execution environment's process.
    func processEnvironment(runtimeAPI: String, logStream: String) -> [String: String] {
        var env = Layers.environment(environment, layers: layers)
        env[RuntimeEnvironment.runtimeAPI] = runtimeAPI
        env[RuntimeEnvironment.handler] = handler
        env[RuntimeEnvironment.taskRoot] = taskRoot
        env[RuntimeEnvironment.functionName] = name
        env[RuntimeEnvironment.functionVersion] = InvokeAPI.latestVersion
        env[RuntimeEnvironment.memorySize] = String(memoryMB)
        env[RuntimeEnvironment.logGroup] = logGroup
        env[RuntimeEnvironment.logStream] = logStream
        env["AWS_REGION"] = region
        env["AWS_DEFAULT_REGION"] = region
        env["AWS_EXECUTION_ENV"] = env["AWS_EXECUTION_ENV"] ?? "AWS_Lambda_perl-lambda"
        env["LAMBDA_RUNTIME_DIR"] = env["LAMBDA_RUNTIME_DIR"] ?? taskRoot
        env["TZ"] = ":UTC"
        if env["LANG"] == nil { env["LANG"] = "en_US.UTF-8" }
        env[RuntimeEnvironment.parentPID] = String(getpid())
        return env
    }
}

/// One function's own settings (from a SAM template): what `FunctionConfiguration.applying` puts over the
/// command line's. nil leaves the command line's value.
public struct FunctionOverrides: Sendable {
    public var name: String
    public var handler: String?
    public var taskRoot: String
    public var timeout: Double?
    public var memoryMB: Int?
    public var environment: [String: String]
    /// Layer directories (the template's local LayerVersions), before the command line's.
    public var layers: [String]
    /// `TenancyConfig` (true for `PER_TENANT`); nil leaves the command line's `--tenant-isolation`.
    public var tenantIsolation: Bool?

    public init(name: String, handler: String?, taskRoot: String, timeout: Double?, memoryMB: Int?, environment: [String: String],
                layers: [String] = [], tenantIsolation: Bool? = nil) {
        self.layers = layers
        self.name = name
        self.handler = handler
        self.taskRoot = taskRoot
        self.timeout = timeout
        self.memoryMB = memoryMB
        self.environment = environment
        self.tenantIsolation = tenantIsolation
    }
}
