/// One subscriber's queue of rendered events and its batching and drop rules (pure; the subscriber drives it).
///
/// Batches follow the subscription's buffering: a batch is sent when `maxItems` events or `maxBytes` bytes are
/// waiting, or `timeoutMs` after the first of them arrived; it holds at most `maxItems` events and `maxBytes`
/// bytes (at least one event). While a batch is being delivered, events wait; up to `backlogBatches` full
/// batches may wait. Past that they are dropped and counted (Lambda drops "to keep memory utilization bounded"),
/// and the next batch starts with a `platform.logsDropped` event carrying the counts.
struct TelemetryBuffer {
    /// How many full batches may wait behind the one in flight. A handler that prints 10,000 lines in one burst
    /// reaches the emulator in a few pipe reads, faster than any loopback POST completes; 8 batches keep such a
    /// burst whole with the default buffering while bounding memory at 8 × maxBytes (8 MiB at most).
    static let backlogBatches = 8

    var buffering: TelemetrySubscription.Buffering
    private var items: [[UInt8]] = []
    private var head = 0
    private(set) var queuedBytes = 0
    private(set) var droppedRecords = 0
    private(set) var droppedBytes = 0

    init(buffering: TelemetrySubscription.Buffering) { self.buffering = buffering }

    var count: Int { items.count - head }
    var isEmpty: Bool { count == 0 && droppedRecords == 0 }
    /// A batch's worth is waiting: send without waiting for the timeout.
    var isFull: Bool { count >= buffering.maxItems || queuedBytes >= buffering.maxBytes }

    /// Queues `event`, or drops and counts it when the backlog is at its bound. False when dropped.
    @discardableResult
    mutating func append(_ event: [UInt8]) -> Bool {
        if count >= buffering.maxItems * Self.backlogBatches
            || queuedBytes + event.count > buffering.maxBytes * Self.backlogBatches {
            droppedRecords += 1
            droppedBytes += event.count
            return false
        }
        items.append(event)
        queuedBytes += event.count
        return true
    }

    /// The next batch as a JSON array, or nil when nothing waits. `dropped` renders the `platform.logsDropped`
    /// event (nil: the subscriber does not take platform events; the counts are then only reset).
    mutating func takeBatch(dropped: (_ records: Int, _ bytes: Int) -> [UInt8]?) -> (body: [UInt8], events: Int)? {
        var body: [UInt8] = [UInt8(ascii: "[")]
        var taken = 0
        if droppedRecords > 0 {
            if let e = dropped(droppedRecords, droppedBytes) {
                body += e
                taken += 1
            }
            droppedRecords = 0
            droppedBytes = 0
        }
        var bytes = 0
        while head < items.count, taken < buffering.maxItems {
            let e = items[head]
            if taken > 0 && bytes + e.count > buffering.maxBytes { break }
            if taken > 0 { body.append(UInt8(ascii: ",")) }
            body += e
            bytes += e.count
            queuedBytes -= e.count
            items[head] = []
            head += 1
            taken += 1
        }
        if head > 1024 && head * 2 > items.count {   // reclaim the consumed prefix now and then
            items.removeFirst(head)
            head = 0
        }
        guard taken > 0 else { return nil }
        body.append(UInt8(ascii: "]"))
        return (body, taken)
    }

    /// Counts a batch that could not be delivered as dropped.
    mutating func lost(events: Int, bytes: Int) {
        droppedRecords += events
        droppedBytes += bytes
    }
}
