import Foundation
import LambdaWire
import NIOCore

/// What the caller of an invocation hears, in order: maybe a stream start and chunks, then exactly one outcome.
/// All callbacks run on the emulator's event loop.
public struct InvocationSink {
    public var streamStarted: (_ contentType: String) -> Void
    public var chunk: (ByteBuffer) -> Void
    public var completed: (InvocationOutcome) -> Void

    public init(streamStarted: @escaping (String) -> Void = { _ in },
                chunk: @escaping (ByteBuffer) -> Void = { _ in },
                completed: @escaping (InvocationOutcome) -> Void) {
        self.streamStarted = streamStarted
        self.chunk = chunk
        self.completed = completed
    }

    /// A sink for callers that want one buffered payload: streamed chunks are collected into it.
    public static func buffered(_ completed: @escaping (InvocationOutcome) -> Void) -> InvocationSink {
        var collected: ByteBuffer?
        var contentType: String?
        return InvocationSink(
            streamStarted: { contentType = $0; collected = ByteBuffer() },
            chunk: { chunk in
                var c = chunk
                collected?.writeBuffer(&c)
            },
            completed: { outcome in
                var outcome = outcome
                if let body = collected, case .success = outcome.result {
                    outcome.result = .success(body, contentType: contentType)
                }
                completed(outcome)
            })
    }
}

/// How an invocation ended.
public struct InvocationOutcome {
    public enum Result {
        /// The function's response (for streamed responses: empty, the chunks went to the sink).
        case success(ByteBuffer, contentType: String?)
        /// A function error: its type and the error document (JSON) the caller gets.
        case functionError(type: String, body: ByteBuffer)
    }

    public var result: Result
    /// The last 4 KB of the invocation's log, when the caller asked for it.
    public var logTail: [UInt8]?
    /// Whether the function streamed its response.
    public var streamed: Bool

    public var isFunctionError: Bool {
        if case .functionError = result { return true }
        return false
    }
}

/// One invocation from submission to outcome. Confined to the emulator's event loop.
public final class Invocation {
    public let requestID: String
    let payload: ByteBuffer
    let clientContext: String?
    let cognitoIdentity: String?
    let traceID: String
    /// The caller's tenant (functions in tenant isolation mode): only environments of this tenant serve it.
    let tenantID: String?
    let wantsLogTail: Bool
    let sink: InvocationSink

    /// Set when a runtime takes the invocation with GET /next.
    var startedAt: NIODeadline? {
        didSet { startedWall = Date() }
    }
    /// Wall-clock times for telemetry spans: the invocation's start, and when the runtime began its response.
    private(set) var startedWall: Date?
    private(set) var responseBeganWall: Date?
    /// Bytes of a streamed response so far (telemetry's `producedBytes`).
    private(set) var streamedBytes = 0
    var deadlineMs: Int64 = 0
    var timeoutTask: Scheduled<Void>?
    private(set) var log = LogTail(limit: InvokeAPI.logTailBytes)
    private(set) var streamStarted = false
    private(set) var isCompleted = false

    init(requestID: String = Identifiers.requestID(), payload: ByteBuffer, clientContext: String? = nil,
         cognitoIdentity: String? = nil, traceID: String? = nil, tenantID: String? = nil, wantsLogTail: Bool = false,
         sink: InvocationSink) {
        self.requestID = requestID
        self.payload = payload
        self.clientContext = clientContext
        self.cognitoIdentity = cognitoIdentity
        self.traceID = traceID ?? Identifiers.traceID()
        self.tenantID = tenantID
        self.wantsLogTail = wantsLogTail
        self.sink = sink
    }

    func headers(functionARN: String) -> InvocationHeaders {
        InvocationHeaders(requestID: requestID, deadlineMs: deadlineMs, invokedFunctionARN: functionARN,
                          traceID: traceID, clientContext: clientContext, cognitoIdentity: cognitoIdentity,
                          tenantID: tenantID)
    }

    func appendLog(_ line: String) { log.append(line) }

    /// The runtime started sending its response (POST .../response arrived).
    func responseBegan() {
        if responseBeganWall == nil { responseBeganWall = Date() }
    }

    func startStream(contentType: String) {
        responseBegan()
        guard !isCompleted, !streamStarted else { return }
        streamStarted = true
        sink.streamStarted(contentType)
    }

    func streamChunk(_ buffer: ByteBuffer) {
        guard !isCompleted, streamStarted, buffer.readableBytes > 0 else { return }
        streamedBytes += buffer.readableBytes
        sink.chunk(buffer)
    }

    /// Delivers the outcome once; later calls are ignored.
    func complete(_ result: InvocationOutcome.Result) {
        guard !isCompleted else { return }
        isCompleted = true
        timeoutTask?.cancel()
        timeoutTask = nil
        sink.completed(InvocationOutcome(result: result, logTail: wantsLogTail ? log.bytes : nil, streamed: streamStarted))
    }

    func fail(_ document: ErrorDocument) {
        complete(.functionError(type: document.errorType, body: ByteBuffer(bytes: document.bytes)))
    }
}

/// The last `limit` bytes of an invocation's log lines.
struct LogTail {
    let limit: Int
    private(set) var storage: [UInt8] = []

    init(limit: Int) { self.limit = limit }

    mutating func append(_ line: String) {
        storage += line.utf8
        storage.append(UInt8(ascii: "\n"))
        if storage.count > limit * 2 { storage.removeFirst(storage.count - limit) }
    }

    var bytes: [UInt8] { storage.count > limit ? Array(storage.suffix(limit)) : storage }
}
