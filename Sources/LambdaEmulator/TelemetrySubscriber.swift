import Logging
import NIOCore

/// One extension's subscription: renders the events it subscribed to, batches them (`TelemetryBuffer`) and POSTs
/// the batches to its listener one at a time, in order. Confined to the emulator's event loop.
final class TelemetrySubscriber {
    /// Delivery attempts per batch (Lambda "retries with backoff if there is no listener, or if the POST request
    /// results in an error"); a batch that fails them all is counted in the next `platform.logsDropped`.
    static let maxAttempts = 8
    static let firstBackoff = TimeAmount.milliseconds(50)
    static let maxBackoff = TimeAmount.seconds(1)

    let extensionName: String
    private(set) var subscription: TelemetrySubscription
    private var buffer: TelemetryBuffer
    private let loop: EventLoop
    private let logger: Logger
    private var timer: Scheduled<Void>?
    private var inFlight = false
    private var closed = false
    /// The delivery function (tests replace it).
    var post: (_ body: [UInt8], _ subscription: TelemetrySubscription, _ loop: EventLoop) -> EventLoopFuture<Void> = { body, s, loop in
        TelemetryPoster.post(body, host: s.host, port: s.port, path: s.path, on: loop)
    }

    init(extensionName: String, subscription: TelemetrySubscription, loop: EventLoop, logger: Logger) {
        self.extensionName = extensionName
        self.subscription = subscription
        self.buffer = TelemetryBuffer(buffering: subscription.buffering)
        self.loop = loop
        self.logger = logger
    }

    /// A new subscription request from the same extension through the same API: its settings apply from now on
    /// (events already queued keep their place).
    func update(_ s: TelemetrySubscription) {
        subscription = s
        buffer.buffering = s.buffering
    }

    func wants(_ event: TelemetryEvent) -> Bool { subscription.types.contains(event.category) }

    func enqueue(_ event: TelemetryEvent) {
        guard !closed, wants(event),
              let bytes = event.render(api: subscription.api, schemaVersion: subscription.schemaVersion) else { return }
        buffer.append(bytes)
        schedule()
    }

    /// Sends what waits now, without waiting for the timeout (the runtime's output closed, or serve stops).
    func flushNow() {
        timer?.cancel()
        timer = nil
        send()
    }

    func close() {
        flushNow()
        closed = true
    }

    private func schedule() {
        if buffer.isFull {
            flushNow()
        } else if timer == nil, !inFlight, !buffer.isEmpty {
            timer = loop.scheduleTask(in: .milliseconds(Int64(subscription.buffering.timeoutMs))) { [weak self] in
                self?.timer = nil
                self?.send()
            }
        }
    }

    private func send() {
        guard !inFlight else { return }
        let s = subscription
        guard let batch = buffer.takeBatch(dropped: { records, bytes in
            s.types.contains(.platform)
                ? TelemetryEvent(.logsDropped(reason: TelemetryEvent.droppedReason, droppedRecords: records, droppedBytes: bytes))
                    .render(api: s.api, schemaVersion: s.schemaVersion)
                : nil
        }) else { return }
        inFlight = true
        attempt(batch.body, events: batch.events, number: 1, backoff: Self.firstBackoff)
    }

    private func attempt(_ body: [UInt8], events: Int, number: Int, backoff: TimeAmount) {
        post(body, subscription, loop).whenComplete { [weak self] result in
            guard let self else { return }
            switch result {
            case .success:
                self.delivered()
            case .failure(let error) where self.closed:
                // the environment ended: its listener is gone with it
                self.logger.debug("telemetry for extension \(self.extensionName) not delivered at shutdown: \(error)")
            case .failure(let error) where number < Self.maxAttempts:
                self.logger.debug("telemetry delivery to \(self.extensionName) failed (\(error)); retrying")
                self.loop.scheduleTask(in: backoff) {
                    self.attempt(body, events: events, number: number + 1, backoff: min(backoff * 2, Self.maxBackoff))
                }
            case .failure(let error):
                self.logger.warning("telemetry for extension \(self.extensionName) dropped after \(number) attempts: \(error)")
                self.buffer.lost(events: events, bytes: body.count)
                self.delivered()
            }
        }
    }

    private func delivered() {
        inFlight = false
        schedule()
    }
}
