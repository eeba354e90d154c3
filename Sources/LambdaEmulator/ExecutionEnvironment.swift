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
    enum State {
        /// Created, endpoint not bound yet.
        case created
        /// Process running, no GET /next yet; `bound` is the invocation that caused the cold start.
        case starting(bound: Invocation)
        /// Waiting for work with a parked GET /next.
        case idle(NextWaiter)
        /// Initialized, between a result and its next GET /next.
        case ready
        /// Working on an invocation; a GET /next sent meanwhile is parked.
        case busy(Invocation, parked: NextWaiter?)
        /// Result known, collecting the last output before answering; `terminate` ends the environment after.
        case finishing(Invocation, parked: NextWaiter?, terminate: Bool)
        case stopped
    }

    let number: Int
    let config: FunctionConfiguration
    let loop: EventLoop
    let logger: Logger
    let logSink: (String) -> Void
    var onStopped: ((ExecutionEnvironment) -> Void)?
    /// Where to take the next queued invocation from when the runtime asks for one.
    var nextQueued: () -> Invocation? = { nil }

    private(set) var state: State = .created
    private var process: ChildProcess?
    private var server: Channel?
    private var collectors: [OutputCollector] = []
    private var spawnedAt = NIODeadline.now()
    private var pendingInitDurationMs: Double?
    private var initTimer: Scheduled<Void>?
    private let exited: EventLoopPromise<Void>
    private var exitSignalled = false
    /// Set by `FunctionPool.recycle()` (--watch): stop after the current invocation instead of taking another.
    var retireWhenDone = false

    init(number: Int, config: FunctionConfiguration, loop: EventLoop, logger: Logger, logSink: @escaping (String) -> Void) {
        self.number = number
        self.config = config
        self.loop = loop
        self.logger = logger
        self.logSink = logSink
        self.exited = loop.makePromise()
    }

    var isIdle: Bool { if case .idle = state { return true } else { return false } }
    var isStopped: Bool { if case .stopped = state { return true } else { return false } }
    /// Succeeds once the process is gone (or was never started).
    var exitFuture: EventLoopFuture<Void> { exited.futureResult }

    private var current: Invocation? {
        switch state {
        case .starting(let inv), .busy(let inv, _), .finishing(let inv, _, _): return inv
        default: return nil
        }
    }

    // MARK: - Start

    /// Binds the Runtime API endpoint, then spawns the runtime to serve `bound`.
    func start(bound: Invocation) {
        state = .starting(bound: bound)
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
        guard case .starting(let bound) = state, let port = channel.localAddress?.port else {
            channel.close(promise: nil)
            return
        }
        let api = "127.0.0.1:\(port)"
        let environment = config.processEnvironment(runtimeAPI: api, logStream: Identifiers.logStreamName())
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(command: Self.dyingWithParent(config.command), environment: environment,
                                           directory: config.taskRoot)
        } catch {
            failStart(ErrorDocument.invalidEntrypoint(requestID: bound.requestID, detail: "\(error)"))
            return
        }
        process = child
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
        initTimer = loop.scheduleTask(in: .milliseconds(Int64(config.initTimeout * 1000))) { [weak self] in
            self?.initTimedOut()
        }
    }

    private func failStart(_ document: ErrorDocument) {
        guard case .starting(let bound) = state else { return }
        logger.error("\(document.errorMessage)")
        bound.fail(document)
        stop()
    }

    // MARK: - Runtime API events

    func nextRequested(_ waiter: NextWaiter) {
        switch state {
        case .starting(let bound):
            initTimer?.cancel()
            pendingInitDurationMs = milliseconds(since: spawnedAt)
            deliver(bound, to: waiter)
        case .ready, .idle:
            if let inv = nextQueued() { deliver(inv, to: waiter) } else { state = .idle(waiter) }
        case .busy(let inv, _):
            state = .busy(inv, parked: waiter)
        case .finishing(let inv, _, let terminate):
            state = .finishing(inv, parked: waiter, terminate: terminate)
        case .created, .stopped:
            break
        }
    }

    /// The connection of a parked GET /next went away.
    func nextCancelled(connection: ObjectIdentifier) {
        switch state {
        case .idle(let w) where w.connection == connection: state = .ready
        case .busy(let inv, let w?) where w.connection == connection: state = .busy(inv, parked: nil)
        case .finishing(let inv, let w?, let t) where w.connection == connection: state = .finishing(inv, parked: nil, terminate: t)
        default: break
        }
    }

    /// Hands an idle environment an invocation (the pool only calls this when `isIdle`).
    func assign(_ inv: Invocation) {
        guard case .idle(let waiter) = state else { preconditionFailure("assign to a non-idle environment") }
        deliver(inv, to: waiter)
    }

    private func deliver(_ inv: Invocation, to waiter: NextWaiter) {
        state = .busy(inv, parked: nil)
        inv.startedAt = .now()
        inv.deadlineMs = Identifiers.epochMs() + Int64(config.timeout * 1000)
        emit(LambdaLogLines.start(inv.requestID))
        inv.timeoutTask = loop.scheduleTask(in: .milliseconds(Int64(config.timeout * 1000))) { [weak self, weak inv] in
            if let self, let inv { self.timedOut(inv) }
        }
        waiter.deliver(inv, inv.headers(functionARN: config.arn))
    }

    /// The invocation a runtime may post results for, if `requestID` names it.
    func invocation(_ requestID: String) -> Invocation? {
        if case .busy(let inv, _) = state, inv.requestID == requestID { return inv }
        return nil
    }

    /// The runtime posted a result or an error for `inv`.
    func finish(_ inv: Invocation, _ result: InvocationOutcome.Result, status: LambdaLogLines.Status) {
        guard case .busy(let current, let parked) = state, current === inv else { return }
        conclude(inv, parked: parked, result: result, status: status, terminate: false)
    }

    /// POST /runtime/init/error; false when the environment is past init.
    func initErrorPosted(type: String, body: ByteBuffer) -> Bool {
        guard case .starting(let bound) = state else { return false }
        initTimer?.cancel()
        logger.debug("init error", metadata: ["env": "\(number)", "type": "\(type)"])
        failInit(bound, result: .functionError(type: type, body: body), errorType: type, lines: [])
        return true
    }

    // MARK: - Failures

    private func timedOut(_ inv: Invocation) {
        guard case .busy(let current, _) = state, current === inv else { return }
        logger.debug("invocation timed out; replacing its environment", metadata: ["env": "\(number)"])
        let doc = ErrorDocument.timedOut(requestID: inv.requestID, seconds: config.timeout)
        conclude(inv, parked: nil, result: .functionError(type: doc.errorType, body: ByteBuffer(bytes: doc.bytes)),
                 status: .timeout, terminate: true,
                 lines: [LambdaLogLines.timedOut(requestID: inv.requestID, seconds: config.timeout)])
    }

    private func initTimedOut() {
        guard case .starting(let bound) = state else { return }
        let doc = ErrorDocument.initTimedOut(requestID: bound.requestID, seconds: config.initTimeout)
        failInit(bound, result: .functionError(type: doc.errorType, body: ByteBuffer(bytes: doc.bytes)),
                 errorType: doc.errorType, lines: [doc.errorMessage])
    }

    private func processExited(status: Int32) {
        process?.reaped()
        markExited()
        let reason = ExitStatus.describe(status)
        switch state {
        case .starting(let bound):
            initTimer?.cancel()
            let doc = ErrorDocument.runtimeExited(requestID: bound.requestID, reason: reason)
            failInit(bound, result: .functionError(type: doc.errorType, body: ByteBuffer(bytes: doc.bytes)),
                     errorType: doc.errorType, lines: [LambdaLogLines.runtimeExited(requestID: bound.requestID, reason: reason)])
        case .busy(let inv, _):
            let doc = ErrorDocument.runtimeExited(requestID: inv.requestID, reason: reason)
            conclude(inv, parked: nil, result: .functionError(type: doc.errorType, body: ByteBuffer(bytes: doc.bytes)),
                     status: .error(type: doc.errorType), terminate: true,
                     lines: [LambdaLogLines.runtimeExited(requestID: inv.requestID, reason: reason)])
        case .finishing(let inv, _, _):
            state = .finishing(inv, parked: nil, terminate: true)
        case .created, .idle, .ready:
            logger.warning("runtime exited (\(reason)); its environment will be replaced", metadata: ["env": "\(number)"])
            stop()
        case .stopped:
            break
        }
    }

    /// Runtimes other than perl-lambda's bootstrap (which reads PERL_LAMBDA_PARENT_PID) are started through
    /// util-linux's `setpriv --pdeathsig KILL` when it is installed, so they too die with the emulator.
    static func dyingWithParent(_ command: [String]) -> [String] {
        guard let program = command.first, (program as NSString).lastPathComponent != "bootstrap",
              let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { return command }
        return [setpriv, "--pdeathsig", "KILL", "--"] + command
    }

    // MARK: - Concluding

    private func conclude(_ inv: Invocation, parked: NextWaiter?, result: InvocationOutcome.Result,
                          status: LambdaLogLines.Status, terminate: Bool, lines: [String] = []) {
        inv.timeoutTask?.cancel()
        let duration = inv.startedAt.map { milliseconds(since: $0) } ?? 0
        let maxMemory = process?.maxMemoryMB()
        state = .finishing(inv, parked: parked, terminate: terminate)
        if terminate { process?.kill() }
        drainOutput { [self] in
            lines.forEach { emit($0) }
            emit(LambdaLogLines.end(inv.requestID),
                 LambdaLogLines.report(requestID: inv.requestID, durationMs: duration, memoryMB: config.memoryMB,
                                       maxMemoryMB: maxMemory, initDurationMs: takeInitDuration(), status: status))
            inv.complete(result)
            guard case .finishing(let current, let parked, let terminate) = state, current === inv else { return }
            if terminate || retireWhenDone {
                stop()
            } else {
                state = .ready
                if let parked { nextRequested(parked) }
            }
        }
    }

    private func failInit(_ bound: Invocation, result: InvocationOutcome.Result, errorType: String, lines: [String]) {
        let initMs = milliseconds(since: spawnedAt)
        state = .finishing(bound, parked: nil, terminate: true)
        process?.kill()
        drainOutput { [self] in
            lines.forEach { emit($0) }
            emit(LambdaLogLines.initReport(durationMs: initMs, errorType: errorType))
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
        if isStopped { return }
        if let inv = current, !inv.isCompleted {
            inv.fail(ErrorDocument(type: "Runtime.ExitError", message: "RequestId: \(inv.requestID) Error: the emulator is shutting down"))
        }
        state = .stopped
        initTimer?.cancel()
        process?.kill()
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
