import Logging
import NIOCore

/// The execution environments of one function: up to `concurrency` processes, spawned lazily, kept warm.
/// Invocations go to an idle environment, else to a new one while below the limit, else wait in a queue.
/// Confined to the emulator's event loop.
final class FunctionPool {
    private(set) var config: FunctionConfiguration
    let loop: EventLoop
    private let logger: Logger
    private let logSink: (String) -> Void
    private var environments: [ExecutionEnvironment] = []
    /// Stopped environments whose process has not been reaped yet.
    private var retiring: [ObjectIdentifier: ExecutionEnvironment] = [:]
    private var queue: [Invocation] = []
    private var queueHead = 0
    private var nextNumber = 1
    private var isShutDown = false

    init(config: FunctionConfiguration, loop: EventLoop, logger: Logger, logSink: @escaping (String) -> Void) {
        self.config = config
        self.loop = loop
        self.logger = logger
        self.logSink = logSink
    }


    func submit(_ inv: Invocation) {
        loop.preconditionInEventLoop()
        guard !isShutDown else {
            inv.fail(.init(type: "Runtime.ExitError", message: "RequestId: \(inv.requestID) Error: the emulator is shutting down"))
            return
        }
        // Work is always pulled by the environments from the queue: an idle one is woken to take it, or a new one
        // starts with it, or it waits for the next GET /next.
        queue.append(inv)
        if let env = environments.first(where: { $0.isIdle && $0.tenantID == inv.tenantID }) {
            env.wake()
        } else if environments.count < config.concurrency {
            spawn(tenantID: inv.tenantID)
        } else if let other = environments.first(where: { $0.isIdle && $0.tenantID != inv.tenantID }) {
            // Tenant isolation with every slot held by other tenants: an idle one makes room (its stop spawns one for
            // this tenant), since an environment never serves a tenant other than its own.
            other.stop()
        }
    }

    private func spawn(tenantID: String?, retryingInitOf retried: Invocation? = nil) {
        var envLogger = logger
        envLogger[metadataKey: "function"] = "\(config.name)"
        if let tenantID { envLogger[metadataKey: "tenant"] = "\(tenantID)" }
        let env = ExecutionEnvironment(number: nextNumber, config: config, tenantID: tenantID, retryingInitOf: retried,
                                       loop: loop, logger: envLogger, logSink: logSink)
        nextNumber += 1
        env.nextQueued = { [weak self, weak env] in
            guard let self, let env else { return nil }
            if let inv = self.dequeue(tenantID: tenantID) { return inv }
            if self.queueHead < self.queue.count, self.environments.count >= self.config.concurrency {
                // Only other tenants' work waits and every slot is taken: this environment makes room once parked.
                self.loop.execute { if env.isIdle { env.stop() } }
            }
            return nil
        }
        env.onStopped = { [weak self] env in self?.environmentStopped(env) }
        // Lambda retries a timed-out init once, for the invocation that waited, within that invocation's timeout
        env.onInitRetry = { [weak self] inv in
            guard let self, !self.isShutDown else { return inv.fail(.init(type: "Runtime.ExitError",
                message: "RequestId: \(inv.requestID) Error: the emulator is shutting down")) }
            self.spawn(tenantID: inv.tenantID, retryingInitOf: inv)
        }
        environments.append(env)
        env.start()
    }

    /// The oldest queued invocation an environment of `tenantID` may take (any, without tenant isolation, where
    /// every tenant id is nil).
    private func dequeue(tenantID: String?) -> Invocation? {
        guard queueHead < queue.count else { return nil }
        guard let i = queue[queueHead...].firstIndex(where: { $0.tenantID == tenantID }) else { return nil }
        let inv = queue[i]
        if i != queueHead {
            queue.remove(at: i)
            return inv
        }
        queueHead += 1
        if queueHead > 64, queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        return inv
    }

    /// A stopped environment frees its slot; a queued invocation then gets a fresh environment.
    private func environmentStopped(_ env: ExecutionEnvironment) {
        environments.removeAll { $0 === env }
        let id = ObjectIdentifier(env)
        retiring[id] = env
        env.exitFuture.whenComplete { [weak self] _ in self?.retiring[id] = nil }
        guard !isShutDown else { return }
        while environments.count < config.concurrency, queueHead < queue.count {
            spawn(tenantID: queue[queueHead].tenantID)  // takes queue[queueHead] at once
        }
    }

    /// Replaces every environment (--watch): idle ones stop now, busy ones after their current invocation.
    /// Returns how many environments there were.
    func recycle() -> Int {
        loop.preconditionInEventLoop()
        let current = environments
        for env in current {
            if env.isBetweenInvocations { env.stop() } else { env.retireWhenDone = true }
        }
        return current.count
    }

    /// New settings (a reloaded template): environments started from now on use them, the current ones are
    /// replaced as by `recycle`. Returns how many environments there were.
    func reconfigure(_ new: FunctionConfiguration) -> Int {
        loop.preconditionInEventLoop()
        config = new
        return recycle()
    }

    /// Fails queued invocations, stops every environment; succeeds when all processes are gone.
    func shutdown() -> EventLoopFuture<Void> {
        loop.preconditionInEventLoop()
        isShutDown = true
        while queueHead < queue.count {
            let inv = queue[queueHead]
            queueHead += 1
            inv.fail(.init(type: "Runtime.ExitError", message: "RequestId: \(inv.requestID) Error: the emulator is shutting down"))
        }
        let exits = (environments + retiring.values).map { $0.exitFuture }
        environments.forEach { $0.stop() }
        return EventLoopFuture.andAllComplete(exits, on: loop)
    }
}
