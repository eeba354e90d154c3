/// The states of one execution environment and every transition between them, in one place (swift-nio's style:
/// the machine decides what happens next, `ExecutionEnvironment` does it: sockets, processes, timers, logs).
///
///     created   → starting(bound)          start: the invocation that caused the cold start
///     starting  → busy(bound)              the runtime's first GET /next
///     starting  → finishing(terminate)     init error posted, runtime exited, invoke-phase init timed out
///     starting  → created                  init phase timed out: the invocation goes to a fresh environment
///     ready     → busy / idle              GET /next: queued work, or none (the request waits)
///     idle      → busy                     the pool says work arrived (wake)
///     busy      → busy(parked)             a GET /next sent before the result (kept for later)
///     busy      → finishing                result or error posted; timeout or crash (terminate)
///     finishing → ready / stopped          the last output collected and the caller answered
///     any       → stopped                  stop
///
/// Work is always pulled: the environment takes the invocation that made it and every later one from its
/// function's queue, when the runtime asks (GET /next) or when the pool says work arrived (`wake`).
struct EnvironmentStateMachine {
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

    private(set) var state: State = .created

    /// What to do about a GET /next (or a wake-up with a parked one).
    enum NextAction {
        /// Hand the runtime this invocation (the cold start's own when `coldStart`).
        case deliver(Invocation, NextWaiter, coldStart: Bool)
        /// Take queued work for this waiter, if there is any (`delivering`), else park it (`parked`).
        case takeQueued(NextWaiter)
        case none
    }

    /// What a process's end means.
    enum ExitAction {
        /// Init never finished: fail the invocation that caused it.
        case failInit(Invocation)
        /// It died serving `inv`.
        case failInvocation(Invocation)
        /// Between invocations: just replace the environment.
        case stop
        /// Its result is already being concluded (terminate is now set), or it is stopped already.
        case none
    }

    /// The invocation in hand, if any.
    var current: Invocation? {
        switch state {
        case .starting(let inv), .busy(let inv, _), .finishing(let inv, _, _): return inv
        default: return nil
        }
    }

    var isIdle: Bool { if case .idle = state { return true } else { return false } }
    var isStopped: Bool { if case .stopped = state { return true } else { return false } }
    /// Between invocations (idle or ready): can be stopped without cutting one short.
    var isBetweenInvocations: Bool {
        switch state {
        case .idle, .ready: return true
        default: return false
        }
    }

    mutating func start(bound: Invocation) {
        precondition(isCreated, "an environment starts once")
        state = .starting(bound: bound)
    }

    private var isCreated: Bool { if case .created = state { return true } else { return false } }

    mutating func nextRequested(_ waiter: NextWaiter) -> NextAction {
        switch state {
        case .starting(let bound):
            return .deliver(bound, waiter, coldStart: true)
        case .ready, .idle:
            return .takeQueued(waiter)
        case .busy(let inv, _):
            state = .busy(inv, parked: waiter)
        case .finishing(let inv, _, let terminate):
            state = .finishing(inv, parked: waiter, terminate: terminate)
        case .created, .stopped:
            break
        }
        return .none
    }

    /// The pool queued work: an idle environment's parked GET /next takes it.
    mutating func wake() -> NextAction {
        guard case .idle(let waiter) = state else { return .none }
        return .takeQueued(waiter)
    }

    /// No queued work for `waiter`: it waits.
    mutating func parked(_ waiter: NextWaiter) { state = .idle(waiter) }

    /// `inv` goes to the runtime now.
    mutating func delivering(_ inv: Invocation) { state = .busy(inv, parked: nil) }

    /// The connection of a parked GET /next went away.
    mutating func nextCancelled(connection: ObjectIdentifier) {
        switch state {
        case .idle(let w) where w.connection == connection: state = .ready
        case .busy(let inv, let w?) where w.connection == connection: state = .busy(inv, parked: nil)
        case .finishing(let inv, let w?, let t) where w.connection == connection: state = .finishing(inv, parked: nil, terminate: t)
        default: break
        }
    }

    /// The invocation a runtime may post results for, if `requestID` names it.
    func invocation(_ requestID: String) -> Invocation? {
        if case .busy(let inv, _) = state, inv.requestID == requestID { return inv }
        return nil
    }

    /// `inv`'s result is known (posted, timed out, crashed): true when `inv` is the one being served, and the
    /// environment then collects its last output; `terminate` ends the environment afterwards.
    mutating func concluding(_ inv: Invocation, terminate: Bool) -> Bool {
        guard case .busy(let current, let parked) = state, current === inv else { return false }
        state = .finishing(inv, parked: parked, terminate: terminate)
        return true
    }

    /// Init failed (an init error posted, a crash, the init timeout): the cold start's invocation, which the
    /// environment then answers and stops; nil when init was over.
    mutating func initFailing() -> Invocation? {
        guard case .starting(let bound) = state else { return nil }
        state = .finishing(bound, parked: nil, terminate: true)
        return bound
    }

    /// Init ran out of the init phase's time: the cold start's invocation is handed back (its init is retried in a
    /// fresh environment, in the invoke phase) and this environment, left without one, only stops.
    mutating func releasingBound() -> Invocation? {
        guard case .starting(let bound) = state else { return nil }
        state = .created
        return bound
    }

    /// After `inv`'s output was collected and its result given: stop (terminate, or `retire`), or wait for the
    /// next GET /next — or serve the one parked meanwhile (returned).
    enum AfterConclusion {
        case stop
        case ready(parked: NextWaiter?)
        /// Something else happened meanwhile (the environment was stopped): nothing to do.
        case none
    }

    mutating func concluded(_ inv: Invocation, retire: Bool) -> AfterConclusion {
        guard case .finishing(let current, let parked, let terminate) = state, current === inv else { return .none }
        if terminate || retire { return .stop }
        state = .ready
        return .ready(parked: parked)
    }

    mutating func processExited() -> ExitAction {
        switch state {
        case .starting(let bound):
            return .failInit(bound)
        case .busy(let inv, _):
            return .failInvocation(inv)
        case .finishing(let inv, _, _):
            state = .finishing(inv, parked: nil, terminate: true)
            return .none
        case .created, .idle, .ready:
            return .stop
        case .stopped:
            return .none
        }
    }

    /// The environment ends; returns the invocation it leaves unanswered, if any. False when already stopped.
    mutating func stop() -> (wasRunning: Bool, unanswered: Invocation?) {
        if isStopped { return (false, nil) }
        let inv = current
        state = .stopped
        return (true, inv.flatMap { $0.isCompleted ? nil : $0 })
    }
}
