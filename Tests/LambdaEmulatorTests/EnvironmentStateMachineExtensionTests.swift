@testable import LambdaEmulator
import NIOCore
import Testing

/// The execution environment's transitions with extensions: init waits for them, invocations end when they are
/// done, failures while they work.
@Suite struct EnvironmentStateMachineExtensionTests: StateMachineFixture {
    let a = Conn(), b = Conn()

    @Test func theRuntimesFirstNextWaitsForTheExtensions() {
        var m = EnvironmentStateMachine()
        let inv = invocation("r1")
        m.start(bound: inv)
        guard case .none = m.nextRequested(waiter(a), extensionsReady: false) else {
            Issue.record("held while an extension is still in init"); return
        }
        #expect(m.current === inv)
        guard case .deliver(let d, let w, coldStart: true) = m.extensionsInitialized() else {
            Issue.record("delivered once the extensions are ready"); return
        }
        #expect(d === inv && w.connection == ObjectIdentifier(a))
    }

    @Test func extensionsReadyBeforeTheRuntimeAskDeliverNothing() {
        var m = EnvironmentStateMachine()
        m.start(bound: invocation("r1"))
        guard case .none = m.extensionsInitialized() else { Issue.record("no runtime waiting yet"); return }
        guard case .deliver(_, _, coldStart: true) = m.nextRequested(waiter(a), extensionsReady: true) else {
            Issue.record("the runtime's first GET /next then gets the invocation"); return
        }
    }

    @Test func aCancelledHeldFirstNextIsForgotten() {
        var m = EnvironmentStateMachine()
        m.start(bound: invocation("r1"))
        _ = m.nextRequested(waiter(a), extensionsReady: false)
        m.nextCancelled(connection: ObjectIdentifier(a))
        guard case .none = m.extensionsInitialized() else { Issue.record("nobody to deliver to"); return }
    }

    @Test func anInvocationEndsWhenItsExtensionsAreDone() {
        var m = EnvironmentStateMachine()
        let inv = invocation("r1")
        m.start(bound: inv)
        _ = m.nextRequested(waiter(a))
        m.delivering(inv)
        _ = m.concluding(inv, terminate: false)
        guard case .awaitingExtensions = m.concluded(inv, retire: false, extensionsDone: false) else {
            Issue.record("answered, still the extensions' invocation"); return
        }
        #expect(!m.isBetweenInvocations, "not free for the next invocation")
        #expect(m.awaitingExtensions("r1") === inv)
        #expect(m.invocation("r1") == nil, "the runtime cannot post for it any more")
        guard case .none = m.nextRequested(waiter(b)) else { Issue.record("the runtime's next GET /next is held"); return }
        guard let (done, after) = m.extensionsFinishedInvocation(retire: false), done === inv,
              case .ready(let parked?) = after else { Issue.record("ready, with the held GET /next"); return }
        #expect(parked.connection == ObjectIdentifier(b))
        #expect(m.isBetweenInvocations)
        let twice = m.extensionsFinishedInvocation(retire: false)
        #expect(twice == nil, "once")
    }

    @Test func retiringAfterTheExtensionsStops() {
        var m = EnvironmentStateMachine()
        let inv = invocation("r1")
        m.start(bound: inv)
        _ = m.nextRequested(waiter(a))
        m.delivering(inv)
        _ = m.concluding(inv, terminate: false)
        _ = m.concluded(inv, retire: true, extensionsDone: false)
        guard let (_, after) = m.extensionsFinishedInvocation(retire: true), case .stop = after else {
            Issue.record("--watch retires it once its extensions are done"); return
        }
    }

    @Test func aTerminatedInvocationDoesNotWaitForExtensions() {
        var m = EnvironmentStateMachine()
        let inv = invocation("r1")
        m.start(bound: inv)
        _ = m.nextRequested(waiter(a))
        m.delivering(inv)
        _ = m.concluding(inv, terminate: true)
        guard case .stop = m.concluded(inv, retire: false, extensionsDone: false) else { Issue.record("reset at once"); return }
    }

    @Test func aFailureWhileExtensionsWorkEndsTheInvocationAndTheEnvironment() {
        var m = EnvironmentStateMachine()
        let inv = invocation("r1")
        m.start(bound: inv)
        _ = m.nextRequested(waiter(a))
        m.delivering(inv)
        _ = m.concluding(inv, terminate: false)
        _ = m.concluded(inv, retire: false, extensionsDone: false)
        guard case .endAwaiting(let ended) = m.processExited(), ended === inv else {
            Issue.record("a crash (or the timeout) ends the awaited invocation"); return
        }
        let finished = m.extensionsFinishedInvocation(retire: false)
        #expect(finished == nil)
        guard case .none = m.processExited() else { Issue.record("already ending"); return }
    }
}

extension EnvironmentStateMachineExtensionTests {
    @Test func stoppingRunsTheShutdownPhaseOnce() {
        var m = EnvironmentStateMachine()
        let inv = invocation("r1")
        m.start(bound: inv)
        _ = m.nextRequested(waiter(a))
        m.delivering(inv)
        let (wasRunning, unanswered) = m.stop()
        #expect(wasRunning && unanswered === inv)
        #expect(m.isStopped && m.isStopping, "ended, in its shutdown phase")
        guard case .none = m.processExited() else { Issue.record("a process ending in the shutdown phase is expected"); return }
        guard case .none = m.nextRequested(waiter(b)) else { Issue.record("no more events"); return }
        let again = m.stop().wasRunning
        #expect(!again, "once")
        let finished = m.shutdownFinished(), finishedAgain = m.shutdownFinished()
        #expect(finished)
        #expect(!finishedAgain, "once")
        #expect(m.isStopped && !m.isStopping)
    }
}
