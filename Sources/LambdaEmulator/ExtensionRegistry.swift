import LambdaWire

/// A parked GET /extension/event/next: how to hand the extension its next event (the JSON body).
struct ExtensionWaiter {
    let connection: ObjectIdentifier
    let deliver: (_ body: String) -> Void
}

/// An Extensions API request refused: the status and Lambda's `{"errorMessage","errorType"}` body.
struct ExtensionAPIError: Error, Equatable {
    let status: Int
    let type: String
    let message: String

    static func forbidden(_ type: String, _ message: String) -> ExtensionAPIError {
        ExtensionAPIError(status: 403, type: type, message: message)
    }
}

/// The extensions of one execution environment: who registered, for which events, and where each one is in its
/// event loop. Pure bookkeeping, confined to the emulator's event loop; `ExecutionEnvironment` acts on it.
///
/// Each extension is, between its calls:
///
///     registered  → waiting        its first GET /event/next (init counts it ready)
///     waiting     → working        an event delivered (INVOKE, SHUTDOWN)
///     working     → waiting        GET /event/next again: done with that event
///     any         → exited         its process ended, or it posted init/error or exit/error
///
/// An event for an extension that is not parked in /event/next (it dropped the connection, or is still working
/// on the last one) waits in its queue and is given on its next call, as Lambda does ("no pending events").
final class ExtensionRegistry {
    enum Phase: Equatable {
        /// Extensions may register (Lambda closes registration when init ends).
        case initializing
        /// Init is over: events flow, registration is closed.
        case running
        /// SHUTDOWN sent: only /event/next calls (which then wait forever) and error posts.
        case shuttingDown
    }

    enum State {
        case registered
        case waiting(ExtensionWaiter?)
        case working
        case exited
    }

    struct Extension {
        let id: String
        let name: String
        let events: Set<ExtensionsAPI.Event>
        /// Started by serve from a layer's `extensions/` (an external extension); else an internal one (registered
        /// by the runtime process itself).
        let isExternal: Bool
        fileprivate(set) var state: State
        fileprivate(set) var queue: [String] = []

        /// At /event/next with nothing left to give it: done with everything it was sent.
        var isWaiting: Bool {
            if case .waiting = state, queue.isEmpty { return true }
            return false
        }
        var hasExited: Bool { if case .exited = state { return true } else { return false } }
    }

    private(set) var phase: Phase = .initializing
    /// In registration order.
    private(set) var extensions: [Extension] = []
    /// File names of the external extensions serve started that have not registered yet.
    private(set) var expectedExternal: [String] = []

    init() {}

    // MARK: - Lookups (also used by the Telemetry and Logs APIs to check `Lambda-Extension-Identifier`)

    /// The name of the extension registered as `identifier`, nil when no extension of this environment has it.
    func name(forIdentifier identifier: String) -> String? {
        extensions.first { $0.id == identifier }?.name
    }

    /// The extension registered as `identifier`.
    func extensionInfo(forIdentifier identifier: String) -> Extension? {
        extensions.first { $0.id == identifier }
    }

    var isEmpty: Bool { extensions.isEmpty && expectedExternal.isEmpty }
    /// An external extension is (or will be) registered: Lambda's shutdown phase then lasts 2,000 ms, not 500.
    var hasExternal: Bool { !expectedExternal.isEmpty || extensions.contains { $0.isExternal && !$0.hasExited } }

    // MARK: - Init

    /// The external extensions serve started (their file names): init waits for each to register.
    func expect(external names: [String]) {
        expectedExternal += names
    }

    /// Every external extension serve started has registered: the runtime may start (Lambda's Extension init
    /// sub-phase comes before Runtime init).
    var allExternalRegistered: Bool { expectedExternal.isEmpty }

    /// POST /extension/register. Returns the new extension; refuses per Lambda's rules.
    func register(name: String?, events rawEvents: [String], newIdentifier: () -> String) -> Result<Extension, ExtensionAPIError> {
        guard let name, !name.isEmpty else {
            return .failure(.forbidden(ExtensionsAPI.ErrorType.invalidName, "Empty extension name"))
        }
        var events: Set<ExtensionsAPI.Event> = []
        for raw in rawEvents {
            guard let e = ExtensionsAPI.Event(rawValue: raw) else {
                return .failure(.forbidden(ExtensionsAPI.ErrorType.invalidEventType, "\(raw): unknown event type"))
            }
            events.insert(e)
        }
        let external = expectedExternal.firstIndex(of: name)
        if external == nil {
            guard phase == .initializing else {
                return .failure(.forbidden(ExtensionsAPI.ErrorType.registrationClosed, "Extension registration closed already"))
            }
            if extensions.contains(where: { $0.name == name }) {
                return .failure(.forbidden(ExtensionsAPI.ErrorType.invalidState, "Extension with this name already registered"))
            }
            // Internal extensions cannot receive SHUTDOWN (Lambda: "internal extensions … INVOKE only").
            if events.contains(.shutdown) {
                return .failure(.forbidden(ExtensionsAPI.ErrorType.invalidEventType,
                                           "SHUTDOWN: internal extensions cannot register for SHUTDOWN"))
            }
            guard extensions.count < ExtensionsAPI.maxExtensions else {
                return .failure(.forbidden(ExtensionsAPI.ErrorType.tooManyExtensions,
                                           "Extension limit (\(ExtensionsAPI.maxExtensions)) reached"))
            }
        }
        if let external { expectedExternal.remove(at: external) }
        let ext = Extension(id: newIdentifier(), name: name, events: events, isExternal: external != nil, state: .registered)
        extensions.append(ext)
        return .success(ext)
    }

    /// An external extension's process ended before it registered.
    func launchedExited(name: String) {
        if let i = expectedExternal.firstIndex(of: name) { expectedExternal.remove(at: i) }
    }

    /// Every registered extension is at /event/next: with the runtime's first GET /next, init is over.
    var allWaiting: Bool { extensions.allSatisfy { $0.isWaiting || $0.hasExited } && expectedExternal.isEmpty }

    /// Init is over: no more registrations.
    func closeRegistration() {
        if phase == .initializing { phase = .running }
    }

    // MARK: - Events

    /// Validates a request's `Lambda-Extension-Identifier` header: the registered extension's index.
    func index(identifier: String?) -> Result<Int, ExtensionAPIError> {
        guard let identifier, !identifier.isEmpty else {
            return .failure(.forbidden(ExtensionsAPI.ErrorType.missingIdentifier, "Missing \(ExtensionsAPI.Header.identifier) header"))
        }
        guard ExtensionsAPI.isIdentifierShaped(identifier) else {
            return .failure(.forbidden(ExtensionsAPI.ErrorType.invalidIdentifier, "Invalid \(ExtensionsAPI.Header.identifier)"))
        }
        guard let i = extensions.firstIndex(where: { $0.id == identifier }) else {
            return .failure(.forbidden(ExtensionsAPI.ErrorType.unknownIdentifier, "Unknown extension \(identifier)"))
        }
        return .success(i)
    }

    /// GET /extension/event/next from the extension at `index`: gives it its queued event now, or parks it.
    func nextRequested(index i: Int, _ waiter: ExtensionWaiter) -> Result<Void, ExtensionAPIError> {
        if extensions[i].hasExited {
            return .failure(.forbidden(ExtensionsAPI.ErrorType.invalidState,
                                       "State transition from Exited to Ready failed for extension \(extensions[i].id)"))
        }
        if extensions[i].queue.isEmpty {
            extensions[i].state = .waiting(waiter)
        } else {
            extensions[i].state = .working
            waiter.deliver(extensions[i].queue.removeFirst())
        }
        return .success(())
    }

    /// The connection of a parked /event/next went away: the extension still counts as waiting (it asked for the
    /// next event and finished the last one), its next event is queued for its next call.
    func nextCancelled(connection: ObjectIdentifier) {
        for i in extensions.indices {
            if case .waiting(let w?) = extensions[i].state, w.connection == connection { extensions[i].state = .waiting(nil) }
        }
    }

    /// Sends `body` (an event of kind `event`) to every live extension registered for it; returns how many.
    @discardableResult
    func dispatch(_ event: ExtensionsAPI.Event, body: String) -> Int {
        if event == .shutdown { phase = .shuttingDown }
        var sent = 0
        for i in extensions.indices where extensions[i].events.contains(event) && !extensions[i].hasExited {
            sent += 1
            if case .waiting(let w?) = extensions[i].state, extensions[i].queue.isEmpty {
                extensions[i].state = .working
                w.deliver(body)
            } else {
                extensions[i].queue.append(body)
                if case .waiting = extensions[i].state { extensions[i].state = .working }
            }
        }
        return sent
    }

    /// Every live extension registered for `event` is back at /event/next: done with what it was sent.
    func allDone(with event: ExtensionsAPI.Event) -> Bool {
        extensions.allSatisfy { !$0.events.contains(event) || $0.hasExited || $0.isWaiting }
    }

    /// How many live extensions registered for `event`.
    func subscribers(of event: ExtensionsAPI.Event) -> Int {
        extensions.filter { $0.events.contains(event) && !$0.hasExited }.count
    }

    /// The extension at `index` posted an error or ended: it gets no more events.
    func markExited(index i: Int) {
        extensions[i].state = .exited
        extensions[i].queue = []
    }

    /// The extension registered under `name` (external: its file name), if any.
    func index(name: String) -> Int? { extensions.firstIndex { $0.name == name } }
}
