@testable import LambdaEmulator
import LambdaWire
import NIOCore
import Testing

/// The Extensions API's bookkeeping, without processes or sockets.
@Suite struct ExtensionRegistryTests {
    final class Conn {}
    let a = Conn(), b = Conn()

    final class Box { var bodies: [String] = [] }

    static func ids() -> () -> String {
        var n = 0
        return {
            n += 1
            return "00000000-0000-4000-8000-\(String(repeating: "0", count: 12 - String(n).count))\(n)"
        }
    }

    func waiter(_ c: Conn, _ box: Box) -> ExtensionWaiter {
        ExtensionWaiter(connection: ObjectIdentifier(c)) { box.bodies.append($0) }
    }

    @Test func registerGivesAnIdentifierThatNamesTheExtension() throws {
        let r = ExtensionRegistry()
        let ext = try r.register(name: "otel", events: ["INVOKE", "SHUTDOWN"].filter { $0 == "INVOKE" }, newIdentifier: Self.ids()).get()
        #expect(ExtensionsAPI.isIdentifierShaped(ext.id))
        #expect(r.name(forIdentifier: ext.id) == "otel")
        #expect(r.name(forIdentifier: "00000000-0000-4000-8000-999999999999") == nil)
        #expect(ext.events == [.invoke])
        #expect(!ext.isExternal)
    }

    @Test func registrationIsRefusedAsLambdaRefusesIt() {
        let r = ExtensionRegistry()
        let ids = Self.ids()
        #expect(r.register(name: nil, events: [], newIdentifier: ids).failureType == ExtensionsAPI.ErrorType.invalidName)
        #expect(r.register(name: "x", events: ["INVOKE", "BOGUS"], newIdentifier: ids).failureType == ExtensionsAPI.ErrorType.invalidEventType)
        // internal extensions (not started by serve) cannot have SHUTDOWN
        #expect(r.register(name: "x", events: ["SHUTDOWN"], newIdentifier: ids).failureType == ExtensionsAPI.ErrorType.invalidEventType)
        _ = r.register(name: "x", events: ["INVOKE"], newIdentifier: ids)
        #expect(r.register(name: "x", events: ["INVOKE"], newIdentifier: ids).failureType == ExtensionsAPI.ErrorType.invalidState)
        r.closeRegistration()
        #expect(r.register(name: "late", events: [], newIdentifier: ids).failureType == ExtensionsAPI.ErrorType.registrationClosed)
    }

    @Test func externalExtensionsAreTheOnesServeStarted() throws {
        let r = ExtensionRegistry()
        r.expect(external: ["a-ext", "b-ext"])
        #expect(!r.allExternalRegistered)
        #expect(r.hasExternal)
        let a = try r.register(name: "a-ext", events: ["INVOKE", "SHUTDOWN"], newIdentifier: Self.ids()).get()
        #expect(a.isExternal)
        #expect(!r.allExternalRegistered)
        r.launchedExited(name: "b-ext")
        #expect(r.allExternalRegistered)
    }

    @Test func identifierHeaderIsValidated() throws {
        let r = ExtensionRegistry()
        let e = try r.register(name: "x", events: [], newIdentifier: Self.ids()).get()
        #expect(r.index(identifier: nil).failureType == ExtensionsAPI.ErrorType.missingIdentifier)
        #expect(r.index(identifier: "not-a-uuid").failureType == ExtensionsAPI.ErrorType.invalidIdentifier)
        #expect(r.index(identifier: "00000000-0000-4000-8000-999999999999").failureType == ExtensionsAPI.ErrorType.unknownIdentifier)
        #expect((try? r.index(identifier: e.id).get()) == 0)
    }

    @Test func initWaitsForEveryExtensionAtNext() throws {
        let r = ExtensionRegistry()
        let ids = Self.ids()
        _ = try r.register(name: "one", events: ["INVOKE"], newIdentifier: ids).get()
        _ = try r.register(name: "two", events: [], newIdentifier: ids).get()
        #expect(!r.allWaiting)
        let box = Box()
        _ = r.nextRequested(index: 0, waiter(a, box))
        #expect(!r.allWaiting)
        _ = r.nextRequested(index: 1, waiter(b, box))
        #expect(r.allWaiting)
        #expect(box.bodies.isEmpty)
    }

    @Test func eventsGoToSubscribersAndTheyAreDoneWhenBackAtNext() throws {
        let r = ExtensionRegistry()
        let ids = Self.ids()
        r.expect(external: ["ext"])
        _ = try r.register(name: "ext", events: ["INVOKE", "SHUTDOWN"], newIdentifier: ids).get()
        _ = try r.register(name: "quiet", events: [], newIdentifier: ids).get()
        let box = Box(), other = Box()
        _ = r.nextRequested(index: 0, waiter(a, box))
        _ = r.nextRequested(index: 1, waiter(b, other))
        r.closeRegistration()
        #expect(r.dispatch(.invoke, body: "{\"eventType\":\"INVOKE\"}") == 1)
        #expect(box.bodies == ["{\"eventType\":\"INVOKE\"}"])
        #expect(other.bodies.isEmpty)
        #expect(!r.allDone(with: .invoke))
        _ = r.nextRequested(index: 0, waiter(a, box))
        #expect(r.allDone(with: .invoke))
    }

    @Test func anEventForAnExtensionNotAtNextWaitsForItsNextCall() throws {
        let r = ExtensionRegistry()
        _ = try r.register(name: "ext", events: ["INVOKE"], newIdentifier: Self.ids()).get()
        let box = Box()
        _ = r.nextRequested(index: 0, waiter(a, box))
        r.nextCancelled(connection: ObjectIdentifier(a))    // its connection went away
        r.dispatch(.invoke, body: "E1")
        #expect(box.bodies.isEmpty)
        #expect(!r.allDone(with: .invoke))
        _ = r.nextRequested(index: 0, waiter(b, box))
        #expect(box.bodies == ["E1"])
        #expect(!r.allDone(with: .invoke))    // it still has to come back after E1
    }

    @Test func exitedExtensionsNoLongerHoldPhasesOrTakeEvents() throws {
        let r = ExtensionRegistry()
        _ = try r.register(name: "ext", events: ["INVOKE"], newIdentifier: Self.ids()).get()
        r.markExited(index: 0)
        #expect(r.allWaiting)
        #expect(r.dispatch(.invoke, body: "E") == 0)
        #expect(r.nextRequested(index: 0, waiter(a, Box())).failureType == ExtensionsAPI.ErrorType.invalidState)
    }

    @Test func registerBodyParsing() {
        func parse(_ s: String) -> Result<[String], ExtensionAPIError> { ExecutionEnvironment.registerEvents(ByteBuffer(string: s)) }
        #expect((try? parse("{\"events\":[\"INVOKE\",\"SHUTDOWN\"]}").get()) == ["INVOKE", "SHUTDOWN"])
        #expect((try? parse("").get()) == [])
        #expect((try? parse("{}").get()) == [])
        #expect(parse("[1]").failureType == ExtensionsAPI.ErrorType.invalidRequestFormat)
        #expect(parse("{\"events\":\"INVOKE\"}").failureType == ExtensionsAPI.ErrorType.invalidRequestFormat)
        #expect(parse("{\"events\":[],\"configurationKeys\":[\"k\"]}").failureType == ExtensionsAPI.ErrorType.invalidRequestFormat)
    }

    @Test func identifierShape() {
        #expect(ExtensionsAPI.isIdentifierShaped("8f5e1a2b-0000-4a1b-9c2d-000000000001"))
        #expect(!ExtensionsAPI.isIdentifierShaped("8f5e1a2b00004a1b9c2d000000000001"))
        #expect(!ExtensionsAPI.isIdentifierShaped("8f5e1a2b-0000-4a1b-9c2d-00000000000g"))
        #expect(ExtensionsAPI.parse(path: "/2020-01-01/extension/register") == .register)
        #expect(ExtensionsAPI.parse(path: "/2020-01-01/extension/event/next") == .next)
        #expect(ExtensionsAPI.parse(path: "/2020-01-01/extension/init/error") == .initError)
        #expect(ExtensionsAPI.parse(path: "/2020-01-01/extension/exit/error") == .exitError)
        #expect(ExtensionsAPI.parse(path: "/2020-01-01/extension/next") == nil)
    }
}

extension Result where Failure == ExtensionAPIError {
    var failureType: String? {
        if case .failure(let e) = self { return e.type }
        return nil
    }
}
