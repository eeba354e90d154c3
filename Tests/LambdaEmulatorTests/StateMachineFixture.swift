@testable import LambdaEmulator
import NIOCore

/// A runtime connection a GET /next is parked on, for the state machine suites.
final class Conn {}

/// What the state machine suites share: invocations and parked GET /next waiters, with no process or socket.
protocol StateMachineFixture {}

extension StateMachineFixture {
    func invocation(_ id: String) -> Invocation {
        Invocation(requestID: id, payload: ByteBuffer(string: "{}"), sink: .buffered { _ in })
    }

    func waiter(_ c: Conn) -> NextWaiter { NextWaiter(connection: ObjectIdentifier(c)) { _, _ in } }
}
