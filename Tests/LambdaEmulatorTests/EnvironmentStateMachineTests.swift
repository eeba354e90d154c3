@testable import LambdaEmulator
import NIOCore
import Testing

/// The execution environment's transitions, without processes or sockets.
@Suite struct EnvironmentStateMachineTests: StateMachineFixture {
    let a = Conn(), b = Conn()

    func delivered(_ action: EnvironmentStateMachine.NextAction) -> (String, Bool)? {
        if case .deliver(let inv, _, let cold) = action { return (inv.requestID, cold) }
        return nil
    }

    func takesQueued(_ action: EnvironmentStateMachine.NextAction) -> Bool {
        if case .takeQueued = action { return true }
        return false
    }

    @Test func coldStartThenWarmInvocations() {
        var m = EnvironmentStateMachine()
        let first = invocation("r1"), second = invocation("r2")
        m.start(bound: first)
        let d = delivered(m.nextRequested(waiter(a)))
        #expect(d?.0 == "r1" && d?.1 == true, "the first GET /next gets the cold start's invocation")
        m.delivering(first)
        #expect(m.invocation("r1") === first)
        #expect(m.invocation("r2") == nil)
        let concluding = m.concluding(first, terminate: false), again = m.concluding(first, terminate: false)
        #expect(concluding)
        #expect(!again, "only once")
        guard case .ready(nil) = m.concluded(first, retire: false) else { Issue.record("ready after a result"); return }
        #expect(m.isBetweenInvocations)
        #expect(takesQueued(m.nextRequested(waiter(a))), "a warm GET /next pulls from the queue")
        m.parked(waiter(a))
        #expect(m.isIdle)
        #expect(takesQueued(m.wake()), "the pool wakes an idle environment to pull")
        m.delivering(second)
        #expect(!m.isIdle && m.current === second)
    }

    @Test func aGetNextDuringAnInvocationIsKeptForAfterIt() {
        var m = EnvironmentStateMachine()
        let inv = invocation("r1")
        m.start(bound: inv)
        _ = m.nextRequested(waiter(a))
        m.delivering(inv)
        guard case .none = m.nextRequested(waiter(b)) else { Issue.record("parked while busy"); return }
        let concluding = m.concluding(inv, terminate: false)
        #expect(concluding)
        guard case .ready(let parked?) = m.concluded(inv, retire: false) else { Issue.record("the parked GET /next comes back"); return }
        #expect(parked.connection == ObjectIdentifier(b))
    }

    @Test func aCancelledParkedRequestIsForgotten() {
        var m = EnvironmentStateMachine()
        let inv = invocation("r1")
        m.start(bound: inv)
        _ = m.nextRequested(waiter(a))
        m.delivering(inv)
        _ = m.nextRequested(waiter(b))
        m.nextCancelled(connection: ObjectIdentifier(b))
        _ = m.concluding(inv, terminate: false)
        guard case .ready(nil) = m.concluded(inv, retire: false) else { Issue.record("nothing parked any more"); return }
    }

    @Test func crashesAndFailures() {
        var m = EnvironmentStateMachine()
        let inv = invocation("r1")
        m.start(bound: inv)
        guard case .failInit(let bound) = m.processExited() else { Issue.record("a crash during init fails its invocation"); return }
        #expect(bound === inv)
        let failing = m.initFailing(), again = m.initFailing()
        #expect(failing === inv)
        #expect(again == nil, "once")

        var w = EnvironmentStateMachine()
        let busy = invocation("r2")
        w.start(bound: busy)
        _ = w.nextRequested(waiter(a))
        w.delivering(busy)
        guard case .failInvocation(let failed) = w.processExited() else { Issue.record("a crash mid-invocation fails it"); return }
        #expect(failed === busy)
        let concluding = w.concluding(busy, terminate: true)
        #expect(concluding)
        guard case .none = w.processExited() else { Issue.record("already concluding"); return }
        guard case .stop = w.concluded(busy, retire: false) else { Issue.record("terminate stops it"); return }
    }

    @Test func retiringAndStopping() {
        var m = EnvironmentStateMachine()
        let inv = invocation("r1")
        m.start(bound: inv)
        _ = m.nextRequested(waiter(a))
        m.delivering(inv)
        _ = m.concluding(inv, terminate: false)
        guard case .stop = m.concluded(inv, retire: true) else { Issue.record("--watch retires after the invocation"); return }
        let (running, unanswered) = m.stop()
        #expect(running && unanswered === inv, "stopped before it was answered")
        let second = m.stop()
        #expect(second.wasRunning == false, "stop is idempotent")
        guard case .none = m.nextRequested(waiter(b)) else { Issue.record("a stopped environment takes nothing"); return }
    }

    @Test func initPhaseTimeoutReleasesTheInvocation() {
        var m = EnvironmentStateMachine()
        let inv = invocation("r1")
        m.start(bound: inv)
        #expect(m.releasingBound() === inv)
        #expect(m.releasingBound() == nil, "once")
        #expect(m.current == nil, "the invocation is no longer this environment's")
        guard case .stop = m.processExited() else { Issue.record("the killed process only stops the environment"); return }
        #expect(m.stop().unanswered == nil, "stopping it leaves nothing to fail")
    }
}
