import LambdaWire
import PerlBridge

/// What the loop runs for each invocation: the Perl interpreter in the bootstrap, a stand-in in the loop's tests.
public protocol InvocationHandler: AnyObject {
    /// Runs one invocation; a streaming handler writes through `stream` and returns `.streamed`.
    func invoke(_ event: PerlEvent, stream: PerlStreamSink?) -> PerlOutcome
}

extension PerlInterpreter: InvocationHandler {}

/// Serves invocations: GET /next → the handler → POST the response or the error, forever.
public final class RuntimeLoop {
    private let interpreter: InvocationHandler
    private let client: RuntimeAPIClient
    private let log: RuntimeLog
    private let output: OutputCapture?
    /// Where a worker process records the invocation it is serving (AWS_LAMBDA_MAX_CONCURRENCY).
    var inFlight: InFlightTable.Slot?

    public init(interpreter: InvocationHandler, client: RuntimeAPIClient, log: RuntimeLog, output: OutputCapture? = nil) {
        self.interpreter = interpreter
        self.client = client
        self.log = log
        self.output = output
    }

    /// Serves until the Runtime API fails; the error says why.
    public func run() -> RuntimeError {
        while true {
            do { try serveOne() } catch let error as RuntimeError {
                return error
            } catch {
                return RuntimeError(.connectionClosed, "\(error)")
            }
        }
    }

    /// Serves exactly one invocation.
    public func serveOne() throws {
        let (headers, payload) = try client.nextInvocation()
        log.requestID = headers.requestID
        output?.requestID = headers.requestID
        inFlight?.set(headers.requestID)
        defer {
            inFlight?.clear()
            // (the interpreter flushed Perl's handles at the end of the invocation)
            output?.drain()
            log.requestID = nil
            output?.requestID = nil
        }
        let sink = StreamSink(client: client, requestID: headers.requestID)
        let outcome = interpreter.invoke(PerlEvent(payload: payload, invocation: headers), stream: sink)
        try deliver(outcome, requestID: headers.requestID, sink: sink)
    }

    private func deliver(_ outcome: PerlOutcome, requestID: String, sink: StreamSink) throws {
        do {
            switch outcome {
            case .success(let body) where body.count > RuntimeAPI.maxResponseBytes:
                let doc = ErrorDocument.responseTooLarge(body.count)
                log.error(doc.errorMessage)
                try client.sendError(requestID: requestID, errorType: doc.errorType, document: doc.bytes)
            case .success(let body):
                try client.sendResponse(requestID: requestID, body: body)
            case .failure(let type, let document), .exited(_, let type, let document):
                if sink.isStreaming {
                    // the response is already being streamed (e.g. exit mid-stream): end it with the error trailers
                    try sink.finish(error: (type, document))
                } else {
                    try client.sendError(requestID: requestID, errorType: type, document: document)
                }
            case .streamed:
                if let failure = sink.failure { log.error("streamed response for \(requestID) failed: \(failure)") }
            }
        } catch let error as RuntimeError where !error.endsTheLoop {
            // The Runtime API refused this one result (e.g. 413, or the request expired): log it and go on.
            log.error(error.description)
        }
    }
}

/// Starts the Runtime API stream lazily, when the handler's responder is called.
final class StreamSink: PerlStreamSink {
    private let client: RuntimeAPIClient
    private let requestID: String
    private var stream: RuntimeResponseStream?
    private(set) var failure: Error?

    /// A stream was started and not finished yet.
    var isStreaming: Bool { stream != nil }

    init(client: RuntimeAPIClient, requestID: String) {
        self.client = client
        self.requestID = requestID
    }

    private func record<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { failure = failure ?? error; throw error }
    }

    func start(contentType: String) throws {
        stream = try record { try client.startStream(requestID: requestID, contentType: contentType) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let stream else { throw RuntimeError(.streamNotStarted, "stream not started") }
        try record { try stream.write(bytes) }
    }

    func finish(error: (type: String, document: [UInt8])?) throws {
        guard let stream else { throw RuntimeError(.streamNotStarted, "stream not started") }
        self.stream = nil
        try record { try stream.finish(error: error) }
    }
}
