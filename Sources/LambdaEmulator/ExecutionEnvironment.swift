import Foundation
import LambdaWire
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// A parked GET /next: how to hand the runtime its next invocation.
struct NextWaiter {
    let connection: ObjectIdentifier
    let deliver: (Invocation, InvocationHeaders) -> Void
}

/// One execution environment: a runtime process, the loopback Runtime API endpoint only it talks to, and
/// the invocation it is working on. Everything runs on the emulator's event loop.
final class ExecutionEnvironment {

    let number: Int
    let config: FunctionConfiguration
    /// The one tenant this environment serves (tenant isolation mode), nil otherwise.
    let tenantID: String?
    let loop: EventLoop
    let logger: Logger
    let logSink: (String) -> Void
    var onStopped: ((ExecutionEnvironment) -> Void)?
    /// Init ran past the init phase's limit: the pool retries it for this invocation in a fresh environment.
    var onInitRetry: ((Invocation) -> Void)?
    /// This environment's init is Lambda's retry of a timed-out init, run within the invocation that needed it:
    /// the invocation's clock (START, its timeout) starts with the process, and no init-phase limit applies.
    let initInInvokePhase: Bool
    /// The invocation given at creation (an init retry) rather than taken from the queue.
    private let preassigned: Invocation?
    /// Where to take the next queued invocation from when the runtime asks for one.
    var nextQueued: () -> Invocation? = { nil }

    /// Every state and transition: `EnvironmentStateMachine`.
    private var machine = EnvironmentStateMachine()
    /// The extensions registered in this environment (Extensions API); the Telemetry API checks
    /// `Lambda-Extension-Identifier` against it (`name(forIdentifier:)`).
    let extensions = ExtensionRegistry()
    private var process: ChildProcess?
    /// The runtime's memory cgroup (`--memory`), nil where the machine allows none (`MemoryLimit`).
    private var memory: MemoryCgroup?
    /// External extensions serve started, by file name.
    private var extensionProcesses: [String: ChildProcess] = [:]
    /// `bootstrap --guard-group` beside a runtime other than ours (`FunctionConfiguration.groupGuard`) and beside
    /// each extension.
    private var groupGuards: [ChildProcess] = []
    /// Runtime and extension processes started and not reaped yet: the environment has exited at 0.
    private var liveProcesses = 0
    /// The runtime's environment, kept until every external extension has registered and the runtime starts.
    private var pendingRuntimeEnvironment: [String: String]?
    /// Why the environment will shut down (the SHUTDOWN event's `shutdownReason`).
    private var shutdownReason = ExtensionsAPI.ShutdownReason.spindown
    /// The shutdown phase's deadline.
    private var shutdownTimer: Scheduled<Void>?
    /// An invocation answered while INVOKE extensions still work on it: its END/REPORT (with this status, or
    /// the one given), written when they are done or the environment ends.
    private var pendingReport: ((LambdaLogLines.Status?) -> Void)?
    /// That invocation's timeout (its own timer ended with the answer).
    private var awaitTimer: Scheduled<Void>?
    private var server: Channel?
    private var collectors: [OutputCollector] = []
    private var spawnedAt = NIODeadline.now()
    private var pendingInitDurationMs: Double?
    private var initTimer: Scheduled<Void>?
    /// The init phase timed out and its invocation went to a fresh environment: this process's end is expected.
    private var handedOverInit = false
    private let exited: EventLoopPromise<Void>
    private var exitSignalled = false
    /// Set by `FunctionPool.recycle()` (--watch): stop after the current invocation instead of taking another.
    var retireWhenDone = false
    /// Telemetry API and Logs API subscriptions, and the events reported to them.
    let telemetry: TelemetryHub

    init(number: Int, config: FunctionConfiguration, tenantID: String? = nil, retryingInitOf: Invocation? = nil,
         loop: EventLoop, logger: Logger, logSink: @escaping (String) -> Void) {
        self.number = number
        self.initInInvokePhase = retryingInitOf != nil
        self.preassigned = retryingInitOf
        self.config = config
        self.tenantID = tenantID
        self.loop = loop
        self.logger = logger
        self.logSink = logSink
        self.exited = loop.makePromise()
        self.telemetry = TelemetryHub(loop: loop, logger: logger,
                                      jsonLogs: config.environment[RuntimeEnvironment.logFormat] == "JSON")
        telemetry.extensionName = { [extensions] in extensions.name(forIdentifier: $0) }
    }

    var isIdle: Bool { machine.isIdle }
    var isStopped: Bool { machine.isStopped }
    var isBetweenInvocations: Bool { machine.isBetweenInvocations }
    /// Succeeds once the process is gone (or was never started).
    var exitFuture: EventLoopFuture<Void> { exited.futureResult }

    private var current: Invocation? { machine.current }

    // MARK: - Start

    /// Takes the first queued invocation (the one that made the pool start this environment), binds the Runtime
    /// API endpoint, then spawns the runtime to serve it.
    func start() {
        guard let bound = preassigned ?? nextQueued() else { return stop() }
        machine.start(bound: bound)
        ServerBootstrap(group: loop)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                // No pipelining assistance: runtimes send one request at a time and wait for its answer, and the
                // assistance costs two epoll_ctl calls per request (reads paused while a response is pending).
                channel.pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(RuntimeAPIHandler(environment: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .whenComplete { result in
                switch result {
                case .success(let channel): self.spawn(server: channel)
                case .failure(let error):
                    self.failStart(ErrorDocument.invalidEntrypoint(requestID: bound.requestID,
                                                                   detail: "cannot bind the Runtime API: \(error)"))
                }
            }
    }

    private func spawn(server channel: Channel) {
        server = channel
        guard case .starting(let bound, _) = machine.state, let port = channel.localAddress?.port else {
            channel.close(promise: nil)
            return
        }
        let api = "127.0.0.1:\(port)"
        let environment = config.processEnvironment(runtimeAPI: api, logStream: Identifiers.logStreamName())
        spawnedAt = .now()
        telemetry.initStarted(functionName: config.name)
        // Init counts the extensions' time too: the timer runs until the runtime is given its first event. An init
        // retried in the invoke phase has no limit of its own: the invocation's clock runs from here.
        if initInInvokePhase {
            startClock(bound)
        } else {
            initTimer = loop.scheduleTask(in: .milliseconds(Int64(config.initTimeout * 1000))) { [weak self] in
                self?.initTimedOut()
            }
        }
        // Lambda's Extension init comes first: the external extensions start, in name order, with the function's
        // environment and the same AWS_LAMBDA_RUNTIME_API; the runtime starts once each of them has registered.
        let found = Layers.extensions(in: config.layers)
        extensions.expect(external: found.map(\.name))
        let launchFailed = { [self] (detail: String) in
            let doc = ErrorDocument(type: ExtensionsAPI.FatalError.launchError, message: "RequestId: \(bound.requestID) Error: \(detail)")
            initTimer?.cancel()
            failInit(result: .functionError(type: doc.errorType, body: ByteBuffer(bytes: doc.bytes)),
                     status: .error(type: doc.errorType), lines: [doc.errorMessage])
        }
        guard found.count <= ExtensionsAPI.maxExtensions else {
            return launchFailed("\(found.count) extensions in the layers; Lambda allows \(ExtensionsAPI.maxExtensions)")
        }
        for (name, path) in found {
            do { try spawnExtension(name: name, path: path, environment: environment) } catch {
                return launchFailed("cannot start extension \(name): \(error)")
            }
        }
        pendingRuntimeEnvironment = environment
        if extensions.allExternalRegistered { spawnRuntime() }
    }

    /// The runtime process, once every external extension has registered.
    private func spawnRuntime() {
        guard let environment = pendingRuntimeEnvironment, case .starting(let bound, _) = machine.state else { return }
        pendingRuntimeEnvironment = nil
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(command: config.isOurBootstrap ? config.command : Self.dyingWithParent(config.command),
                                           environment: environment,
                                           directory: config.taskRoot)
        } catch {
            failStart(ErrorDocument.invalidEntrypoint(requestID: bound.requestID, detail: "\(error)"))
            return
        }
        process = child
        liveProcesses += 1
        memory = MemoryLimit.attach(pid: child.pid, limitMB: config.memoryMB, logger: logger)
        if let guardPath = config.groupGuard {   // set only for runtimes other than our bootstrap
            startGuard(guardPath, for: child, what: "the runtime")
        }
        logger.debug("environment started", metadata: ["env": "\(number)", "pid": "\(child.pid)",
                                                       "runtime-api": "\(environment[RuntimeEnvironment.runtimeAPI] ?? "")"])
        for fd in [child.stdoutFD, child.stderrFD] {
            let collector = OutputCollector(fd: fd) { [weak self] line in
                self?.emit(line)
                self?.telemetry.functionLine(line)
            }
            collectors.append(collector)
            read(fd, into: collector)
        }
        let loop = self.loop
        let this = NIOLoopBound(self, eventLoop: loop)
        child.whenExited { status in loop.execute { this.value.processExited(status: status) } }
    }

    /// An external extension: its own process group (guarded like a runtime's), its output in the function's log
    /// (as Lambda writes extensions' output to the function's log stream).
    private func spawnExtension(name: String, path: String, environment: [String: String]) throws {
        let child = try ChildProcess.spawn(command: Self.dyingWithParent([path]), environment: environment, directory: config.taskRoot)
        extensionProcesses[name] = child
        liveProcesses += 1
        if let guardPath = config.groupGuardProgram { startGuard(guardPath, for: child, what: "extension \(name)") }
        logger.debug("extension started", metadata: ["env": "\(number)", "extension": "\(name)", "pid": "\(child.pid)"])
        for fd in [child.stdoutFD, child.stderrFD] {
            // not in `collectors`: an invocation's END/REPORT does not wait for an extension's output
            read(fd, into: OutputCollector(fd: fd) { [weak self] line in
                self?.emit(line)
                self?.telemetry.extensionLine(line)
            })
        }
        let loop = self.loop
        let this = NIOLoopBound(self, eventLoop: loop)
        child.whenExited { status in loop.execute { this.value.extensionExited(name: name, status: status) } }
    }

    private func read(_ fd: Int32, into collector: OutputCollector) {
        NIOPipeBootstrap(group: loop)
            .channelInitializer { $0.pipeline.addHandler(collector) }
            .takingOwnershipOfDescriptor(input: fd)
            .whenFailure { [logger] error in logger.warning("cannot read a process's output: \(error)") }
    }

    /// `bootstrap --guard-group PGID` beside `child`: its own process group, its output unread (it prints
    /// nothing); it ends when `child`'s group is gone, and kills that group if serve dies first.
    private func startGuard(_ guardPath: String, for child: ChildProcess, what: String) {
        if let g = try? ChildProcess.spawn(command: [guardPath, "--guard-group", String(child.pid)], environment: [:],
                                           directory: "/") {
            close(g.stdoutFD)
            close(g.stderrFD)
            g.whenExited { _ in }
            groupGuards.append(g)
        } else {
            logger.warning("cannot start the process-group guard \(guardPath); a SIGKILLed serve may leave \(what)'s children")
        }
    }

    private func failStart(_ document: ErrorDocument) {
        guard case .starting(let bound, _) = machine.state else { return }
        logger.error("\(document.errorMessage)")
        bound.fail(document)
        stop()
    }

    // MARK: - Runtime API events

    func nextRequested(_ waiter: NextWaiter) {
        perform(machine.nextRequested(waiter, extensionsReady: extensions.allWaiting))
    }

    /// The pool queued work: if this environment's runtime is waiting in GET /next, it takes it.
    func wake() {
        perform(machine.wake())
    }

    private func perform(_ action: EnvironmentStateMachine.NextAction) {
        switch action {
        case .deliver(let inv, let waiter, let coldStart):
            if coldStart {
                initTimer?.cancel()
                let initMs = milliseconds(since: spawnedAt)
                // an init retried in the invoke phase is part of the invocation's Duration, not an Init Duration
                if !initInInvokePhase { pendingInitDurationMs = initMs }
                if memory == nil, let pid = process?.pid { MemoryLimit.limitAddressSpace(pid: pid, limitMB: config.memoryMB) }
                extensions.closeRegistration()   // Lambda closes registration when init ends
                telemetry.initSucceeded(durationMs: initMs)
            }
            deliver(inv, to: waiter)
        case .takeQueued(let waiter):
            if let inv = nextQueued() { deliver(inv, to: waiter) } else { machine.parked(waiter) }
        case .none:
            break
        }
    }

    /// The connection of a parked GET /next went away.
    func nextCancelled(connection: ObjectIdentifier) {
        machine.nextCancelled(connection: connection)
    }

    private func deliver(_ inv: Invocation, to waiter: NextWaiter) {
        machine.delivering(inv)
        if inv.startedAt == nil { startClock(inv) }  // else its clock started with an init retried in the invoke phase
        extensions.dispatch(.invoke, body: Self.invokeEvent(inv, arn: config.arn))
        waiter.deliver(inv, inv.headers(functionARN: config.arn))
    }

    /// The invoke phase of `inv` begins: START, its deadline, its timeout.
    private func startClock(_ inv: Invocation) {
        inv.startedAt = .now()
        inv.deadlineMs = Identifiers.epochMs() + Int64(config.timeout * 1000)
        emit(LambdaLogLines.start(inv.requestID))
        telemetry.invocationStarted(inv)
        inv.timeoutTask = loop.scheduleTask(in: .milliseconds(Int64(config.timeout * 1000))) { [weak self, weak inv] in
            if let self, let inv { self.timedOut(inv) }
        }
    }

    /// The INVOKE event of the Extensions API for `inv`.
    static func invokeEvent(_ inv: Invocation, arn: String) -> String {
        "{\"eventType\":\"INVOKE\",\"deadlineMs\":\(inv.deadlineMs),\"requestId\":\(JSONText.quoted(inv.requestID))"
            + ",\"invokedFunctionArn\":\(JSONText.quoted(arn))"
            + ",\"tracing\":{\"type\":\"X-Amzn-Trace-Id\",\"value\":\(JSONText.quoted(inv.traceID))}}"
    }

    /// The SHUTDOWN event of the Extensions API.
    static func shutdownEvent(reason: ExtensionsAPI.ShutdownReason, deadlineMs: Int64) -> String {
        "{\"eventType\":\"SHUTDOWN\",\"shutdownReason\":\"\(reason.rawValue)\",\"deadlineMs\":\(deadlineMs)}"
    }

    /// The invocation a runtime may post results for, if `requestID` names it.
    func invocation(_ requestID: String) -> Invocation? { machine.invocation(requestID) }

    /// The runtime posted a result or an error for `inv`.
    func finish(_ inv: Invocation, _ result: InvocationOutcome.Result, status: LambdaLogLines.Status) {
        conclude(inv, result: result, status: status, terminate: false)
    }

    /// POST /runtime/init/error; false when the environment is past init.
    func initErrorPosted(type: String, body: ByteBuffer) -> Bool {
        guard case .starting = machine.state, process != nil else { return false }
        initTimer?.cancel()
        logger.debug("init error", metadata: ["env": "\(number)", "type": "\(type)"])
        failInit(result: .functionError(type: type, body: body), status: .error(type: type), lines: [])
        return true
    }

    // MARK: - Extensions API

    typealias ExtensionResponder = (HTTPResponseStatus, [(String, String)], String) -> Void

    /// One Extensions API call from a process of this environment.
    func extensionRequest(_ route: ExtensionsAPI.Route, headers: HTTPHeaders, body: ByteBuffer, connection: ObjectIdentifier,
                          respond: @escaping ExtensionResponder) {
        let refuse = { (e: ExtensionAPIError) in
            respond(HTTPResponseStatus(statusCode: e.status), [], ErrorDocument(type: e.type, message: e.message).jsonWithoutTrace)
        }
        if route == .register {
            registerExtension(headers: headers, body: body, respond: respond, refuse: refuse)
            return
        }
        let index: Int
        switch extensions.index(identifier: headers[ExtensionsAPI.Header.identifier].first) {
        case .failure(let e): return refuse(e)
        case .success(let i): index = i
        }
        switch route {
        case .register:
            break
        case .next:
            let waiter = ExtensionWaiter(connection: connection) { body in
                respond(.ok, [(ExtensionsAPI.Header.eventIdentifier, Identifiers.requestID())], body)
            }
            switch extensions.nextRequested(index: index, waiter) {
            case .failure(let e): refuse(e)
            case .success: extensionsProgressed()
            }
        case .initError, .exitError:
            guard let type = headers[ExtensionsAPI.Header.functionErrorType].first, !type.isEmpty else {
                return refuse(.forbidden(ExtensionsAPI.ErrorType.missingHeader, "\(ExtensionsAPI.Header.functionErrorType) not found"))
            }
            let ext = extensions.extensions[index]
            if ext.hasExited {
                return refuse(.forbidden(ExtensionsAPI.ErrorType.invalidState,
                                         "State transition from Exited to Exited failed for extension \(ext.id)"))
            }
            // init/error reports a failed init: only before the extension's first /event/next (as the RIE checks)
            if route == .initError, !ext.isInitializing {
                return refuse(.forbidden(ExtensionsAPI.ErrorType.invalidState,
                                         "State transition from Ready to InitError failed for extension \(ext.id)"))
            }
            extensions.markExited(index: index)
            respond(.accepted, [], "{\"status\":\"OK\"}")
            extensionFailed(name: ext.name, type: route == .initError ? ExtensionsAPI.FatalError.initError : ExtensionsAPI.FatalError.exitError,
                            detail: "extension \(ext.name) reported \(type)")
        }
    }

    private func registerExtension(headers: HTTPHeaders, body: ByteBuffer, respond: ExtensionResponder,
                                   refuse: (ExtensionAPIError) -> Void) {
        let events: [String]
        switch Self.registerEvents(body) {
        case .failure(let e): return refuse(e)
        case .success(let list): events = list
        }
        let features = (headers[ExtensionsAPI.Header.acceptFeature].first ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }
        switch extensions.register(name: headers[ExtensionsAPI.Header.name].first, events: events, newIdentifier: Identifiers.requestID) {
        case .failure(let e):
            refuse(e)
        case .success(let ext):
            logger.debug("extension registered", metadata: ["env": "\(number)", "extension": "\(ext.name)",
                                                            "events": "\(ext.events.map(\.rawValue).sorted())"])
            var out = "{\"functionName\":\(JSONText.quoted(config.name)),\"functionVersion\":\(JSONText.quoted(InvokeAPI.latestVersion))"
            out += ",\"handler\":\(JSONText.quoted(config.handler))"
            if features.contains(ExtensionsAPI.accountIDFeature) { out += ",\"accountId\":\(JSONText.quoted(InvokeAPI.accountID))" }
            out += "}"
            respond(.ok, [(ExtensionsAPI.Header.identifier, ext.id)], out)
            telemetry.emit(.extensionState(name: ext.name, state: "Ready", events: ext.events.map(\.rawValue).sorted()))
            extensionsProgressed()
        }
    }

    /// The `events` of a register body (`{"events":["INVOKE","SHUTDOWN"]}`); a missing body or list registers for none.
    static func registerEvents(_ body: ByteBuffer) -> Result<[String], ExtensionAPIError> {
        let bytes = body.getBytes(at: body.readerIndex, length: body.readableBytes) ?? []
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) { return .success([]) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            return .failure(.forbidden(ExtensionsAPI.ErrorType.invalidRequestFormat, "the register body is not a JSON object"))
        }
        if let keys = object["configurationKeys"] as? [Any], !keys.isEmpty {
            return .failure(.forbidden(ExtensionsAPI.ErrorType.invalidRequestFormat,
                                       "configurationKeys are deprecated; use environment variables instead"))
        }
        guard let raw = object["events"] else { return .success([]) }
        guard let list = raw as? [String] else {
            return .failure(.forbidden(ExtensionsAPI.ErrorType.invalidRequestFormat, "events must be a list of strings"))
        }
        return .success(list)
    }

    func extensionNextCancelled(connection: ObjectIdentifier) {
        extensions.nextCancelled(connection: connection)
    }

    /// An extension registered or came back to /event/next: init or the current invocation may now be complete.
    private func extensionsProgressed() {
        if machine.isStopped { return checkShutdownDone() }
        if pendingRuntimeEnvironment != nil, extensions.allExternalRegistered { spawnRuntime() }
        if extensions.allWaiting { perform(machine.extensionsInitialized()) }
        if extensions.allDone(with: .invoke), let (inv, after) = machine.extensionsFinishedInvocation(retire: retireWhenDone) {
            logger.trace("extensions done with the invocation", metadata: ["env": "\(number)", "request": "\(inv.requestID)"])
            awaitTimer?.cancel()
            awaitTimer = nil
            writePendingReport(nil)
            switch after {
            case .stop: stop()
            case .ready(let parked?): nextRequested(parked)
            default: break
            }
        }
    }

    /// An extension posted init/error or exit/error, or crashed: the environment is reset with Lambda's error.
    private func extensionFailed(name: String, type: String, detail: String) {
        if machine.isStopped { return checkShutdownDone() }
        logger.warning("\(detail); its environment will be reset", metadata: ["env": "\(number)"])
        environmentFailed(type: type) { "RequestId: \($0) Error: \(detail)" }
    }

    /// An external extension's process ended.
    private func extensionExited(name: String, status: Int32) {
        extensionProcesses[name]?.reaped()
        reapedOne()
        let index = extensions.index(name: name)
        let wasLive = index.map { !extensions.extensions[$0].hasExited } ?? true
        if let index { extensions.markExited(index: index) } else { extensions.launchedExited(name: name) }
        // Exiting is how an extension ends its shutdown; at any other time (even with status 0, even before it
        // registered) Lambda takes it for a crash and resets the environment.
        guard wasLive else { return extensionsProgressed() }
        extensionFailed(name: name, type: ExtensionsAPI.FatalError.crash,
                        detail: "extension \(name) exited: \(ExitStatus.describe(status))")
    }

    // MARK: - Failures

    private func timedOut(_ inv: Invocation) {
        let line = LambdaLogLines.timedOut(requestID: inv.requestID, seconds: config.timeout)
        if case .starting(let bound, _) = machine.state, bound === inv {
            // init retried in the invoke phase used up the invocation's time
            shutdownReason = .timeout
            let doc = ErrorDocument.timedOut(requestID: inv.requestID, seconds: config.timeout)
            failInit(result: .functionError(type: doc.errorType, body: ByteBuffer(bytes: doc.bytes)), status: .timeout, lines: [line])
            return
        }
        if machine.awaitingExtensions(inv.requestID) === inv {
            // answered already, but its extensions did not finish within the function's timeout
            logger.debug("extensions timed out on an invocation; replacing its environment", metadata: ["env": "\(number)"])
            shutdownReason = .timeout
            if case .endAwaiting = machine.processExited() { endAwaiting(status: .timeout, lines: [line]) }
            return
        }
        guard machine.invocation(inv.requestID) === inv else { return }
        logger.debug("invocation timed out; replacing its environment", metadata: ["env": "\(number)"])
        shutdownReason = .timeout
        let doc = ErrorDocument.timedOut(requestID: inv.requestID, seconds: config.timeout)
        conclude(inv, result: .functionError(type: doc.errorType, body: ByteBuffer(bytes: doc.bytes)),
                 status: .timeout, terminate: true, lines: [line])
    }

    /// The init phase's limit (`initTimeout`, 10 s on Lambda) passed: as Lambda does, INIT_REPORT says so and init is
    /// tried again for the waiting invocation, within its own timeout (a fresh environment, `initInInvokePhase`).
    private func initTimedOut() {
        guard let retry = onInitRetry, let bound = machine.releasingBound() else { return }
        handedOverInit = true
        shutdownReason = .timeout
        let initMs = milliseconds(since: spawnedAt)
        process?.kill()
        drainOutput { [self] in
            let line = LambdaLogLines.initReport(durationMs: initMs, status: .timeout)
            logSink(line)
            bound.appendLog(line)
            telemetry.initFailed(durationMs: initMs, status: .timeout)
            retry(bound)
            stop()
        }
    }

    private func processExited(status: Int32) {
        process?.reaped()
        reapedOne()
        // killed by the kernel for its cgroup's memory limit: Lambda's Runtime.OutOfMemory
        let outOfMemory = (memory?.oomKills ?? 0) > 0
        defer { removeCgroup() }
        if machine.isStopped { return checkShutdownDone() }
        if handedOverInit { return }   // its init went to a fresh environment; this one stops once its output is read
        let reason = ExitStatus.describe(status)
        if machine.isBetweenInvocations {
            logger.warning("runtime exited (\(outOfMemory ? "out of memory" : reason)); its environment will be replaced",
                           metadata: ["env": "\(number)"])
        }
        func document(_ requestID: String) -> ErrorDocument {
            outOfMemory ? .outOfMemory(requestID: requestID) : .runtimeExited(requestID: requestID, reason: reason)
        }
        environmentFailed(type: document("").errorType, line: { LambdaLogLines.runtimeExited(document($0)) }) {
            document($0).errorMessage
        }
    }

    /// The cgroup goes once its last process has (the process group was killed; stragglers take a moment).
    private func removeCgroup(attempt: Int = 0) {
        guard let group = memory, !group.remove() else { return }
        guard attempt < 50 else { return logger.debug("cannot remove \(group.path): processes remain in it") }
        loop.scheduleTask(in: .milliseconds(100)) { [self] in removeCgroup(attempt: attempt + 1) }
    }

    /// A process of the environment failed (the runtime exited, an extension crashed or posted an error): the
    /// invocation in hand, or the init, fails with `type` and `message(requestID)`; the environment is reset.
    private func environmentFailed(type: String, line: ((String) -> String)? = nil, message: (String) -> String) {
        shutdownReason = .failure
        func document(_ id: String) -> ErrorDocument { ErrorDocument(type: type, message: message(id)) }
        switch machine.processExited() {
        case .failInit(let bound):
            initTimer?.cancel()
            let doc = document(bound.requestID)
            failInit(result: .functionError(type: type, body: ByteBuffer(bytes: doc.bytes)), status: .error(type: type),
                     lines: [line?(bound.requestID) ?? doc.errorMessage])
        case .failInvocation(let inv):
            let doc = document(inv.requestID)
            conclude(inv, result: .functionError(type: type, body: ByteBuffer(bytes: doc.bytes)),
                     status: .error(type: type), terminate: true, lines: [line?(inv.requestID) ?? doc.errorMessage])
        case .endAwaiting(let inv):
            endAwaiting(status: .error(type: type), lines: [line?(inv.requestID) ?? document(inv.requestID).errorMessage])
        case .stop:
            stop()
        case .none:
            break
        }
    }

    /// Runtimes other than perl-lambda's bootstrap (which reads PERL_LAMBDA_PARENT_PID) are started through
    /// util-linux's `setpriv --pdeathsig KILL` when it is installed, so they too die with the emulator.
    static func dyingWithParent(_ command: [String]) -> [String] {
        guard let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { return command }
        return [setpriv, "--pdeathsig", "KILL", "--"] + command
    }

    // MARK: - Concluding

    private func conclude(_ inv: Invocation, result: InvocationOutcome.Result,
                          status: LambdaLogLines.Status, terminate: Bool, lines: [String] = []) {
        guard machine.concluding(inv, terminate: terminate) else { return }
        let maxMemory = memory?.peakMB ?? process?.maxMemoryMB()
        if terminate { process?.kill() }
        drainOutput { [self] in
            lines.forEach { emit($0) }
            telemetry.runtimeDone(inv, result: result, status: status)
            // The caller hears the runtime's answer at once; the invocation itself (END/REPORT, the next event)
            // lasts until every INVOKE extension is back at /event/next, and its timeout counts their time.
            let extensionsDone = terminate || extensions.allDone(with: .invoke)
            let report = { [self] (final: LambdaLogLines.Status?) in
                let (durationMs, initMs) = (inv.startedAt.map { milliseconds(since: $0) } ?? 0, takeInitDuration())
                telemetry.reported(inv, status: final ?? status, durationMs: durationMs, memoryMB: config.memoryMB,
                                   maxMemoryMB: maxMemory, initDurationMs: initMs)
                emit(LambdaLogLines.end(inv.requestID),
                     LambdaLogLines.report(requestID: inv.requestID, durationMs: durationMs, memoryMB: config.memoryMB,
                                           maxMemoryMB: maxMemory, initDurationMs: initMs, status: final ?? status))
            }
            if extensionsDone { report(nil) }
            let remainingMs = inv.deadlineMs - Identifiers.epochMs()
            inv.complete(result)
            switch machine.concluded(inv, retire: retireWhenDone, extensionsDone: extensionsDone) {
            case .stop: stop()
            case .ready(let parked?): nextRequested(parked)
            case .ready(nil), .none: break
            case .awaitingExtensions:
                pendingReport = report
                awaitTimer = loop.scheduleTask(in: .milliseconds(max(0, remainingMs))) { [weak self, weak inv] in
                    if let self, let inv { self.timedOut(inv) }
                }
            }
        }
    }

    /// The invocation awaiting its extensions ends with the environment: its END/REPORT, then the reset.
    private func endAwaiting(status: LambdaLogLines.Status, lines: [String]) {
        awaitTimer?.cancel()
        awaitTimer = nil
        lines.forEach { emit($0) }
        writePendingReport(status)
        stop()
    }

    private func writePendingReport(_ status: LambdaLogLines.Status?) {
        guard let report = pendingReport else { return }
        pendingReport = nil
        report(status)
    }

    /// Init failed: INIT_REPORT, and the invocation that waited gets `result`. An init retried in the invoke phase
    /// reports `Phase: invoke` and ends the invocation it started (END, REPORT).
    private func failInit(result: InvocationOutcome.Result, status: LambdaLogLines.Status, lines: [String]) {
        guard let bound = machine.initFailing() else { return }
        bound.timeoutTask?.cancel()
        let initMs = milliseconds(since: spawnedAt)
        let maxMemory = memory?.peakMB ?? process?.maxMemoryMB()
        process?.kill()
        drainOutput { [self] in
            lines.forEach { emit($0) }
            if initInInvokePhase {
                let duration = bound.startedAt.map { milliseconds(since: $0) } ?? initMs
                emit(LambdaLogLines.initReport(durationMs: initMs, phase: .invokePhase, status: status),
                     LambdaLogLines.end(bound.requestID),
                     LambdaLogLines.report(requestID: bound.requestID, durationMs: duration, memoryMB: config.memoryMB,
                                           maxMemoryMB: maxMemory, initDurationMs: nil, status: status))
            } else {
                emit(LambdaLogLines.initReport(durationMs: initMs, status: status))
            }
            telemetry.initFailed(durationMs: initMs, status: status)
            bound.complete(result)
            stop()
        }
    }

    private func takeInitDuration() -> Double? {
        defer { pendingInitDurationMs = nil }
        return pendingInitDurationMs
    }

    /// Runs `body` once the runtime's pipes hold no unread output (bounded, for runtimes that never stop printing).
    private func drainOutput(round: Int = 0, then body: @escaping () -> Void) {
        let pending = collectors.reduce(0) { $0 + $1.pendingBytes }
        if pending == 0 || round >= 2000 {
            collectors.forEach { $0.flush() }
            body()
            return
        }
        loop.scheduleTask(in: .microseconds(100)) { self.drainOutput(round: round + 1, then: body) }
    }

    // MARK: - Output

    /// Log lines (the runtime's output, Lambda's own lines) go to the log sink in one write and to the
    /// invocation's tail.
    private func emit(_ lines: String...) {
        logSink(lines.joined(separator: "\n"))
        lines.forEach { current?.appendLog($0) }
    }

    // MARK: - Stopping

    /// Ends the environment: Lambda's shutdown phase (`beginShutdown`), then its processes are killed and the
    /// endpoint closed; tells the pool at once. Idempotent.
    func stop() {
        let (wasRunning, unanswered) = machine.stop()
        guard wasRunning else { return }
        if let inv = unanswered {
            inv.fail(ErrorDocument(type: "Runtime.ExitError", message: "RequestId: \(inv.requestID) Error: the emulator is shutting down"))
        }
        initTimer?.cancel()
        awaitTimer?.cancel()
        writePendingReport(nil)
        pendingRuntimeEnvironment = nil
        telemetry.flush()   // what waits goes now, while extensions still run their shutdown
        onStopped?(self)
        onStopped = nil
        beginShutdown()
    }

    /// Lambda's shutdown phase: none without extensions (the processes are killed at once); else the runtime gets
    /// SIGTERM and each extension registered for it a SHUTDOWN event whose deadline is 2,000 ms away (500 ms with
    /// internal extensions only); the phase ends when the runtime has exited and every such extension is back at
    /// /event/next (or gone), or at the deadline; then everything left is SIGKILLed.
    private func beginShutdown() {
        let live = extensions.extensions.contains { !$0.hasExited } || !extensionProcesses.isEmpty
        guard live, liveProcesses > 0 else { return finishShutdown() }
        let ms = extensions.hasExternal || !extensionProcesses.isEmpty ? ExtensionsAPI.shutdownWithExternalMs : ExtensionsAPI.shutdownWithInternalMs
        // the runtime first: Lambda "shuts down the runtime, then alerts the extensions"
        process?.kill(SIGTERM)
        let deadline = Identifiers.epochMs() + Int64(ms)
        let sent = extensions.dispatch(.shutdown, body: Self.shutdownEvent(reason: shutdownReason, deadlineMs: deadline))
        logger.debug("shutdown phase", metadata: ["env": "\(number)", "reason": "\(shutdownReason.rawValue)",
                                                  "extensions": "\(sent)", "ms": "\(ms)"])
        shutdownTimer = loop.scheduleTask(in: .milliseconds(Int64(ms))) { [weak self] in self?.finishShutdown() }
        checkShutdownDone()
    }

    private func checkShutdownDone() {
        guard machine.isStopping else { return }
        let runtimeGone = process.map(\.hasExited) ?? true
        // An extension that posted init/error or exit/error is on its way out: it gets until the deadline to exit.
        let exiting = extensionProcesses.contains { name, child in
            !child.hasExited && extensions.index(name: name).map { extensions.extensions[$0].hasExited } == true
        }
        if runtimeGone && !exiting && extensions.allDone(with: .shutdown) { finishShutdown() }
    }

    private func finishShutdown() {
        guard machine.shutdownFinished() else { return }
        shutdownTimer?.cancel()
        telemetry.close()
        process?.kill()
        extensionProcesses.values.forEach { $0.kill() }
        groupGuards.forEach { $0.kill() }
        server?.close(promise: nil)
        if liveProcesses == 0 { markExited() }
    }

    /// A runtime or extension process was reaped.
    private func reapedOne() {
        liveProcesses -= 1
        if liveProcesses == 0, machine.isStopped, !machine.isStopping { markExited() }
    }

    private func markExited() {
        if exitSignalled { return }
        exitSignalled = true
        exited.succeed(())
    }

    private func milliseconds(since start: NIODeadline) -> Double {
        Double((NIODeadline.now() - start).nanoseconds) / 1_000_000
    }
}
