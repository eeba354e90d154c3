/// The states of one execution environment and every transition between them, in one place (swift-nio's style:
/// the machine decides what happens next, `ExecutionEnvironment` does it: sockets, processes, timers, logs).
///
///     created   → starting(bound)          start: the invocation that caused the cold start
///     starting  → starting(parked)         the runtime's first GET /next while an extension is still in init
///     starting  → busy(bound)              the runtime's first GET /next once every extension is at /event/next
///     starting  → finishing(terminate)     init error posted, runtime exited, invoke-phase init timed out
///     starting  → created                  init phase timed out: the invocation goes to a fresh environment
///     ready     → busy / idle              GET /next: queued work, or none (the request waits)
///     idle      → busy                     the pool says work arrived (wake)
///     busy      → busy(parked)             a GET /next sent before the result (kept for later)
///     busy      → finishing                result or error posted; timeout or crash (terminate)
///     finishing → ready / stopped          the last output collected and the caller answered
///     finishing → awaitingExtensions       answered, but an INVOKE extension is still working on the invocation
///     awaitingExtensions → ready / stopped every INVOKE extension back at /event/next (then END/REPORT), or a failure
///     any       → stopping                 stop: Lambda's shutdown phase (SHUTDOWN to extensions, SIGTERM)
///     stopping  → stopped                  the runtime and the extensions are done, or the deadline passed
///
/// Work is always pulled: the environment takes the invocation that made it and every later one from its
/// function's queue, when the runtime asks (GET /next) or when the pool says work arrived (`wake`).
struct EnvironmentStateMachine {
    enum State {
        /// Created, endpoint not bound yet.
        case created
        /// Process running, init not over; `bound` is the invocation that caused the cold start. `parked`: the
        /// runtime's first GET /next, held until every extension has finished its init (called /event/next).
        case starting(bound: Invocation, parked: NextWaiter?)
        /// Waiting for work with a parked GET /next.
        case idle(NextWaiter)
        /// Initialized, between a result and its next GET /next.
        case ready
        /// Working on an invocation; a GET /next sent meanwhile is parked.
        case busy(Invocation, parked: NextWaiter?)
        /// Result known, collecting the last output before answering; `terminate` ends the environment after.
        case finishing(Invocation, parked: NextWaiter?, terminate: Bool)
        /// The caller has its answer; extensions registered for INVOKE are still working on it. The invocation
        /// (its END/REPORT, its timeout) ends when they are all back at /event/next.
        case awaitingExtensions(Invocation, parked: NextWaiter?)
        /// Ended, in its shutdown phase: its processes are still being given their time to finish.
        case stopping
        /// Ended, processes killed.
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
        /// It died after `inv` was answered, while extensions were still working on it: write its REPORT, stop.
        case endAwaiting(Invocation)
        /// Between invocations: just replace the environment.
        case stop
        /// Its result is already being concluded (terminate is now set), or it is stopped already.
        case none
    }

    /// The invocation in hand, if any.
    var current: Invocation? {
        switch state {
        case .starting(let inv, _), .busy(let inv, _), .finishing(let inv, _, _), .awaitingExtensions(let inv, _): return inv
        default: return nil
        }
    }

    var isIdle: Bool { if case .idle = state { return true } else { return false } }
    /// Ended (it serves nothing more), whether or not its shutdown phase is over.
    var isStopped: Bool {
        switch state {
        case .stopping, .stopped: return true
        default: return false
        }
    }
    /// In its shutdown phase.
    var isStopping: Bool { if case .stopping = state { return true } else { return false } }
    /// Between invocations (idle or ready): can be stopped without cutting one short.
    var isBetweenInvocations: Bool {
        switch state {
        case .idle, .ready: return true
        default: return false
        }
    }

    mutating func start(bound: Invocation) {
        precondition(isCreated, "an environment starts once")
        state = .starting(bound: bound, parked: nil)
    }

    private var isCreated: Bool { if case .created = state { return true } else { return false } }

    /// `extensionsReady`: every registered extension is at /event/next (init may end).
    mutating func nextRequested(_ waiter: NextWaiter, extensionsReady: Bool = true) -> NextAction {
        switch state {
        case .starting(let bound, _):
            guard extensionsReady else {
                state = .starting(bound: bound, parked: waiter)
                return .none
            }
            return .deliver(bound, waiter, coldStart: true)
        case .awaitingExtensions(let inv, _):
            state = .awaitingExtensions(inv, parked: waiter)
        case .ready, .idle:
            return .takeQueued(waiter)
        case .busy(let inv, _):
            state = .busy(inv, parked: waiter)
        case .finishing(let inv, _, let terminate):
            state = .finishing(inv, parked: waiter, terminate: terminate)
        case .created, .stopping, .stopped:
            break
        }
        return .none
    }

    /// Every extension finished its init: a runtime waiting in its first GET /next gets the cold start's invocation.
    mutating func extensionsInitialized() -> NextAction {
        guard case .starting(let bound, let waiter?) = state else { return .none }
        return .deliver(bound, waiter, coldStart: true)
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
        case .starting(let inv, let w?) where w.connection == connection: state = .starting(bound: inv, parked: nil)
        case .awaitingExtensions(let inv, let w?) where w.connection == connection: state = .awaitingExtensions(inv, parked: nil)
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
        guard case .starting(let bound, _) = state else { return nil }
        state = .finishing(bound, parked: nil, terminate: true)
        return bound
    }

    /// Init ran out of the init phase's time: the cold start's invocation is handed back (its init is retried in a
    /// fresh environment, in the invoke phase) and this environment, left without one, only stops.
    mutating func releasingBound() -> Invocation? {
        guard case .starting(let bound, _) = state else { return nil }
        state = .created
        return bound
    }

    /// After `inv`'s output was collected and its result given: stop (terminate, or `retire`), or wait for the
    /// next GET /next — or serve the one parked meanwhile (returned).
    enum AfterConclusion {
        case stop
        case ready(parked: NextWaiter?)
        /// Extensions are still working on the invocation: END/REPORT and the next event wait for them.
        case awaitingExtensions
        /// Something else happened meanwhile (the environment was stopped): nothing to do.
        case none
    }

    /// `extensionsDone`: every INVOKE extension is back at /event/next.
    mutating func concluded(_ inv: Invocation, retire: Bool, extensionsDone: Bool = true) -> AfterConclusion {
        guard case .finishing(let current, let parked, let terminate) = state, current === inv else { return .none }
        if terminate { return .stop }
        if !extensionsDone {
            state = .awaitingExtensions(inv, parked: parked)
            return .awaitingExtensions
        }
        if retire { return .stop }
        state = .ready
        return .ready(parked: parked)
    }

    /// Every INVOKE extension is back at /event/next: the invocation awaiting them ends (returned, with what
    /// comes next), nil when none was awaiting.
    mutating func extensionsFinishedInvocation(retire: Bool) -> (Invocation, AfterConclusion)? {
        guard case .awaitingExtensions(let inv, let parked) = state else { return nil }
        if retire { return (inv, .stop) }
        state = .ready
        return (inv, .ready(parked: parked))
    }

    /// The invocation whose extensions are still at work, if `requestID` names it (its timeout still runs).
    func awaitingExtensions(_ requestID: String) -> Invocation? {
        if case .awaitingExtensions(let inv, _) = state, inv.requestID == requestID { return inv }
        return nil
    }

    /// A process of the environment (the runtime, an extension) ended or failed.
    mutating func processExited() -> ExitAction {
        switch state {
        case .starting(let bound, _):
            return .failInit(bound)
        case .awaitingExtensions(let inv, _):
            state = .finishing(inv, parked: nil, terminate: true)
            return .endAwaiting(inv)
        case .busy(let inv, _):
            return .failInvocation(inv)
        case .finishing(let inv, _, _):
            state = .finishing(inv, parked: nil, terminate: true)
            return .none
        case .created, .idle, .ready:
            return .stop
        case .stopping, .stopped:
            return .none
        }
    }

    /// The environment ends: its shutdown phase begins. Returns the invocation it leaves unanswered, if any;
    /// false when it had ended already.
    mutating func stop() -> (wasRunning: Bool, unanswered: Invocation?) {
        if isStopped { return (false, nil) }
        let inv = current
        state = .stopping
        return (true, inv.flatMap { $0.isCompleted ? nil : $0 })
    }

    /// The shutdown phase is over: true the first time (the processes are then killed).
    mutating func shutdownFinished() -> Bool {
        guard isStopping else { return false }
        state = .stopped
        return true
    }
}
