import LambdaWire
import Logging
import NIOCore

/// An execution environment's telemetry: the extensions subscribed through the Telemetry API or the Logs API,
/// and the events the environment reports (platform events, the function's and extensions' log lines), fanned out
/// to each subscriber in the order they happened. Confined to the emulator's event loop.
final class TelemetryHub {
    /// The answer to a subscription request.
    struct Answer: Equatable {
        var status: Int
        var body: String
    }

    /// Events kept from the environment's start until init ends, so that an extension subscribing during init
    /// (the only time Lambda documents subscribing) still gets `platform.initStart` and the lines printed before it
    /// subscribed. Bounded (events, and bytes of log lines): an init that prints more keeps only the first ones.
    static let initBacklogLimit = 10_000
    static let initBacklogBytes = 1 << 20

    private let loop: EventLoop
    private let logger: Logger
    /// With AWS_LAMBDA_LOG_FORMAT=JSON, a function line that is a JSON object is delivered as that object.
    let jsonLogs: Bool
    /// Which registered extension an identifier names (the Extensions API's registry); nil: not registered.
    var extensionName: (String) -> String? = { _ in nil }
    private var subscribers: [(id: String, subscriber: TelemetrySubscriber)] = []
    private var initBacklog: [TelemetryEvent]? = []
    private var initBacklogSize = 0
    /// Replaces the delivery function of every new subscriber (tests).
    var post: ((_ body: [UInt8], _ subscription: TelemetrySubscription, _ loop: EventLoop) -> EventLoopFuture<Void>)?

    init(loop: EventLoop, logger: Logger, jsonLogs: Bool) {
        self.loop = loop
        self.logger = logger
        self.jsonLogs = jsonLogs
    }

    var hasSubscribers: Bool { !subscribers.isEmpty }

    // MARK: - Subscribing

    /// `PUT /2022-07-01/telemetry` or `PUT /2020-08-15/logs` from the extension `identifier` names.
    func subscribe(api: TelemetryAPIKind, identifier: String?, body: [UInt8]) -> Answer {
        guard let identifier, !identifier.isEmpty else {
            return Self.error(403, "Extension.MissingExtensionIdentifier", "Missing Lambda-Extension-Identifier header")
        }
        guard let name = extensionName(identifier) else {
            return Self.error(403, "Extension.InvalidExtensionIdentifier", "Invalid Lambda-Extension-Identifier")
        }
        let subscription: TelemetrySubscription
        switch TelemetrySubscription.parse(body, api: api) {
        case .failure(let refusal): return Self.error(refusal.status, refusal.errorType, refusal.message)
        case .success(let s): subscription = s
        }
        if let existing = subscribers.first(where: { $0.id == identifier })?.subscriber {
            guard existing.subscription.api == api else {
                // "After subscribing using one of these APIs, any attempt to subscribe using the other API returns
                // an error" (AWS's Telemetry API and Logs API guides)
                let other = existing.subscription.api
                return Self.error(400, api.validationErrorType,
                                  "extension \(name) is already subscribed through the \(other.name); it cannot also subscribe through the \(api.name)")
            }
            existing.update(subscription)   // idempotent: a repeated request makes no second subscription
        } else {
            let s = TelemetrySubscriber(extensionName: name, subscription: subscription, loop: loop, logger: logger)
            if let post { s.post = post }
            subscribers.append((identifier, s))
            initBacklog?.forEach { s.enqueue($0) }
        }
        logger.debug("telemetry subscription", metadata: ["extension": "\(name)", "api": "\(api.name)",
                                                          "types": "\(subscription.types.map(\.rawValue))"])
        emit(.subscription(api: api, name: name, types: subscription.types.map(\.rawValue)))
        return Answer(status: 200, body: "\"OK\"")
    }

    private static func error(_ status: Int, _ type: String, _ message: String) -> Answer {
        var out = "{\"errorType\":"
        JSONText.appendString(type, to: &out)
        out += ",\"errorMessage\":"
        JSONText.appendString(message, to: &out)
        return Answer(status: status, body: out + "}")
    }

    // MARK: - Events

    /// Whether anyone can still receive an event: after init without subscribers, events are not even made (a
    /// function's lines then cost one check each).
    var isListening: Bool { initBacklog != nil || !subscribers.isEmpty }

    func emit(_ kind: TelemetryEvent.Kind) {
        guard isListening else { return }
        let event = TelemetryEvent(kind)
        if initBacklog != nil, initBacklog!.count < Self.initBacklogLimit, initBacklogSize < Self.initBacklogBytes {
            switch kind {
            case .functionLine(let line, _), .extensionLine(let line): initBacklogSize += line.utf8.count
            default: break
            }
            initBacklog!.append(event)
        }
        for s in subscribers { s.subscriber.enqueue(event) }
    }

    /// A line the function's runtime printed.
    func functionLine(_ line: String) {
        guard isListening else { return }
        emit(.functionLine(line, json: jsonLogs && Self.isJSONObject(line)))
    }

    /// Init is over: events are no longer kept for later subscribers.
    func initEnded() {
        initBacklog = nil
        initBacklogSize = 0
    }

    /// Sends everything that waits now (Lambda flushes when an input stream closes, e.g. the runtime exits).
    func flush() { subscribers.forEach { $0.subscriber.flushNow() } }

    /// The environment ends: what waits is sent, nothing more is taken.
    func close() {
        initBacklog = nil
        subscribers.forEach { $0.subscriber.close() }
    }

    static func isJSONObject(_ line: String) -> Bool {
        guard line.utf8.first(where: { $0 != UInt8(ascii: " ") }) == UInt8(ascii: "{") else { return false }
        return JSONCheck.check(Array(line.utf8)) == nil
    }
}
