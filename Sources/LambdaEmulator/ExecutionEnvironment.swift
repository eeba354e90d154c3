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
    private var process: ChildProcess?
    /// The runtime's memory cgroup (`--memory`), nil where the machine allows none (`MemoryLimit`).
    private var memory: MemoryCgroup?
    /// `bootstrap --guard-group` beside a runtime other than ours (`FunctionConfiguration.groupGuard`).
    private var groupGuard: ChildProcess?
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
        guard case .starting(let bound) = machine.state, let port = channel.localAddress?.port else {
            channel.close(promise: nil)
            return
        }
        let api = "127.0.0.1:\(port)"
        let environment = config.processEnvironment(runtimeAPI: api, logStream: Identifiers.logStreamName())
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
        memory = MemoryLimit.attach(pid: child.pid, limitMB: config.memoryMB, logger: logger)
        if let guardPath = config.groupGuard {   // set only for runtimes other than our bootstrap
            // its own process group, its output unread (it prints nothing); it ends when the runtime's group is gone
            if let g = try? ChildProcess.spawn(command: [guardPath, "--guard-group", String(child.pid)], environment: [:],
                                               directory: "/") {
                close(g.stdoutFD)
                close(g.stderrFD)
                g.whenExited { _ in }
                groupGuard = g
            } else {
                logger.warning("cannot start the process-group guard \(guardPath); a SIGKILLed serve may leave the runtime's children")
            }
        }
        spawnedAt = .now()
        logger.debug("environment started", metadata: ["env": "\(number)", "pid": "\(child.pid)", "runtime-api": "\(api)"])
        for fd in [child.stdoutFD, child.stderrFD] {
            let collector = OutputCollector(fd: fd) { [weak self] line in self?.emit(line) }
            collectors.append(collector)
            NIOPipeBootstrap(group: loop)
                .channelInitializer { $0.pipeline.addHandler(collector) }
                .takingOwnershipOfDescriptor(input: fd)
                .whenFailure { [logger] error in logger.warning("cannot read runtime output: \(error)") }
        }
        let loop = self.loop
        let this = NIOLoopBound(self, eventLoop: loop)
        child.whenExited { status in loop.execute { this.value.processExited(status: status) } }
        if initInInvokePhase {
            startClock(bound)
        } else {
            initTimer = loop.scheduleTask(in: .milliseconds(Int64(config.initTimeout * 1000))) { [weak self] in
                self?.initTimedOut()
            }
        }
    }

    private func failStart(_ document: ErrorDocument) {
        guard case .starting(let bound) = machine.state else { return }
        logger.error("\(document.errorMessage)")
        bound.fail(document)
        stop()
    }

    // MARK: - Runtime API events

    func nextRequested(_ waiter: NextWaiter) {
        perform(machine.nextRequested(waiter))
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
                // an init retried in the invoke phase is part of the invocation's Duration, not an Init Duration
                if !initInInvokePhase { pendingInitDurationMs = milliseconds(since: spawnedAt) }
                if memory == nil, let pid = process?.pid { MemoryLimit.limitAddressSpace(pid: pid, limitMB: config.memoryMB) }
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
        waiter.deliver(inv, inv.headers(functionARN: config.arn))
    }

    /// The invoke phase of `inv` begins: START, its deadline, its timeout.
    private func startClock(_ inv: Invocation) {
        inv.startedAt = .now()
        inv.deadlineMs = Identifiers.epochMs() + Int64(config.timeout * 1000)
        emit(LambdaLogLines.start(inv.requestID))
        inv.timeoutTask = loop.scheduleTask(in: .milliseconds(Int64(config.timeout * 1000))) { [weak self, weak inv] in
            if let self, let inv { self.timedOut(inv) }
        }
    }

    /// The invocation a runtime may post results for, if `requestID` names it.
    func invocation(_ requestID: String) -> Invocation? { machine.invocation(requestID) }

    /// The runtime posted a result or an error for `inv`.
    func finish(_ inv: Invocation, _ result: InvocationOutcome.Result, status: LambdaLogLines.Status) {
        conclude(inv, result: result, status: status, terminate: false)
    }

    /// POST /runtime/init/error; false when the environment is past init.
    func initErrorPosted(type: String, body: ByteBuffer) -> Bool {
        guard case .starting = machine.state else { return false }
        initTimer?.cancel()
        logger.debug("init error", metadata: ["env": "\(number)", "type": "\(type)"])
        failInit(result: .functionError(type: type, body: body), status: .error(type: type), lines: [])
        return true
    }

    // MARK: - Failures

    private func timedOut(_ inv: Invocation) {
        if case .starting(let bound) = machine.state, bound === inv {
            // init retried in the invoke phase used up the invocation's time
            let doc = ErrorDocument.timedOut(requestID: inv.requestID, seconds: config.timeout)
            failInit(result: .functionError(type: doc.errorType, body: ByteBuffer(bytes: doc.bytes)), status: .timeout,
                     lines: [LambdaLogLines.timedOut(requestID: inv.requestID, seconds: config.timeout)])
            return
        }
        guard machine.invocation(inv.requestID) === inv else { return }
        logger.debug("invocation timed out; replacing its environment", metadata: ["env": "\(number)"])
        let doc = ErrorDocument.timedOut(requestID: inv.requestID, seconds: config.timeout)
        conclude(inv, result: .functionError(type: doc.errorType, body: ByteBuffer(bytes: doc.bytes)),
                 status: .timeout, terminate: true,
                 lines: [LambdaLogLines.timedOut(requestID: inv.requestID, seconds: config.timeout)])
    }

    /// The init phase's limit (`initTimeout`, 10 s on Lambda) passed: as Lambda does, INIT_REPORT says so and init is
    /// tried again for the waiting invocation, within its own timeout (a fresh environment, `initInInvokePhase`).
    private func initTimedOut() {
        guard let retry = onInitRetry, let bound = machine.releasingBound() else { return }
        handedOverInit = true
        let initMs = milliseconds(since: spawnedAt)
        process?.kill()
        drainOutput { [self] in
            let line = LambdaLogLines.initReport(durationMs: initMs, status: .timeout)
            logSink(line)
            bound.appendLog(line)
            retry(bound)
            stop()
        }
    }

    private func processExited(status: Int32) {
        process?.reaped()
        groupGuard?.kill()
        markExited()
        let reason = ExitStatus.describe(status)
        // killed by the kernel for its cgroup's memory limit: Lambda's Runtime.OutOfMemory
        let outOfMemory = (memory?.oomKills ?? 0) > 0
        func document(_ requestID: String) -> ErrorDocument {
            outOfMemory ? .outOfMemory(requestID: requestID) : .runtimeExited(requestID: requestID, reason: reason)
        }
        switch machine.processExited() {
        case .failInit(let bound):
            initTimer?.cancel()
            let doc = document(bound.requestID)
            failInit(result: .functionError(type: doc.errorType, body: ByteBuffer(bytes: doc.bytes)),
                     status: .error(type: doc.errorType), lines: [LambdaLogLines.runtimeExited(doc)])
        case .failInvocation(let inv):
            let doc = document(inv.requestID)
            conclude(inv, result: .functionError(type: doc.errorType, body: ByteBuffer(bytes: doc.bytes)),
                     status: .error(type: doc.errorType), terminate: true, lines: [LambdaLogLines.runtimeExited(doc)])
        case .stop where handedOverInit:
            stop()
        case .stop:
            logger.warning("runtime exited (\(outOfMemory ? "out of memory" : reason)); its environment will be replaced",
                           metadata: ["env": "\(number)"])
            stop()
        case .none:
            break
        }
        removeCgroup()
    }

    /// The cgroup goes once its last process has (the process group was killed; stragglers take a moment).
    private func removeCgroup(attempt: Int = 0) {
        guard let group = memory, !group.remove() else { return }
        guard attempt < 50 else { return logger.debug("cannot remove \(group.path): processes remain in it") }
        loop.scheduleTask(in: .milliseconds(100)) { [self] in removeCgroup(attempt: attempt + 1) }
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
        inv.timeoutTask?.cancel()
        let duration = inv.startedAt.map { milliseconds(since: $0) } ?? 0
        let maxMemory = memory?.peakMB ?? process?.maxMemoryMB()
        if terminate { process?.kill() }
        drainOutput { [self] in
            lines.forEach { emit($0) }
            emit(LambdaLogLines.end(inv.requestID),
                 LambdaLogLines.report(requestID: inv.requestID, durationMs: duration, memoryMB: config.memoryMB,
                                       maxMemoryMB: maxMemory, initDurationMs: takeInitDuration(), status: status))
            inv.complete(result)
            switch machine.concluded(inv, retire: retireWhenDone) {
            case .stop: stop()
            case .ready(let parked?): nextRequested(parked)
            case .ready(nil), .none: break
            }
        }
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

    /// Ends the environment: kills the process group, closes the endpoint, tells the pool. Idempotent.
    func stop() {
        let (wasRunning, unanswered) = machine.stop()
        guard wasRunning else { return }
        if let inv = unanswered {
            inv.fail(ErrorDocument(type: "Runtime.ExitError", message: "RequestId: \(inv.requestID) Error: the emulator is shutting down"))
        }
        initTimer?.cancel()
        process?.kill()
        groupGuard?.kill()
        if process == nil { markExited() }
        server?.close(promise: nil)
        onStopped?(self)
        onStopped = nil
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
