import Foundation
import PerlBridge
import LambdaWire

/// This module's interpreter on a long-lived `PerlWorker` thread (16 MiB stack). Every Perl call runs on
/// that thread: tests submit closures and await their results. Jobs run one at a time, so a test that loads
/// a handler must invoke it in the same job (another test may load its own next).
enum PerlHost {
    static let shared = PerlWorker()
}

struct PerlHostError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

// MARK: - Fixtures

/// A temporary LAMBDA_TASK_ROOT holding the given files.
final class TaskRoot: @unchecked Sendable {
    let path: String

    init(_ files: [String: String]) throws {
        path = NSTemporaryDirectory() + "perl-lambda-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
        }
    }

    /// A task root with `handler.pl` holding `source`.
    deinit { try? FileManager.default.removeItem(atPath: path) }

    static func handler(_ source: String) throws -> TaskRoot { try TaskRoot(["handler.pl": source]) }
}

func event(_ json: String, id: String = "req-1", deadlineMs: Int64 = 0, arn: String? = nil, trace: String? = nil,
           clientContext: String? = nil, identity: String? = nil, tenant: String? = nil) -> PerlEvent {
    PerlEvent(payload: Array(json.utf8),
              invocation: InvocationHeaders(requestID: id, deadlineMs: deadlineMs, invokedFunctionARN: arn, traceID: trace,
                                            clientContext: clientContext, cognitoIdentity: identity, tenantID: tenant))
}

/// Loads `handler.pl`'s `handle` from `root` and invokes it with each event, all in one job.
func loadAndInvoke(_ root: TaskRoot, handler: String = "handler.handle", _ events: [PerlEvent],
                   stream: PerlStreamSink? = nil) async throws -> [PerlOutcome] {
    let sink = UncheckedBox(stream)
    return try await PerlHost.shared.run { perl in
        let loaded = perl.loadHandler(taskRoot: root.path, handler: handler)
        guard loaded.isSuccess else {
            throw PerlHostError("loading \(handler) failed: \(loaded.text)")
        }
        return events.map { perl.invoke($0, stream: sink.value) }
    }
}

func loadAndInvoke(_ source: String, _ payload: String, stream: PerlStreamSink? = nil) async throws -> PerlOutcome {
    try await loadAndInvoke(try TaskRoot.handler(source), [event(payload)], stream: stream)[0]
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

extension PerlOutcome: CustomStringConvertible {
    public var description: String { text }

    var text: String {
        switch self {
        case .success(let b): return "success(\(String(decoding: b, as: UTF8.self)))"
        case .failure(let t, let d): return "failure(\(t), \(String(decoding: d, as: UTF8.self)))"
        case .exited(let c, let t, let d): return "exited(\(c), \(t), \(String(decoding: d, as: UTF8.self)))"
        case .streamed: return "streamed"
        }
    }

    /// The success body as text, nil otherwise.
    var successText: String? {
        if case .success(let b) = self { return String(decoding: b, as: UTF8.self) }
        return nil
    }

    /// The success body parsed as JSON (fragments allowed), nil otherwise.
    var json: Any? {
        guard case .success(let b) = self else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(b), options: [.fragmentsAllowed])
    }

    /// (errorType, parsed error document) for failures and exits.
    var error: (type: String, document: [String: Any])? {
        switch self {
        case .failure(let t, let d), .exited(_, let t, let d):
            let doc = (try? JSONSerialization.jsonObject(with: Data(d))) as? [String: Any] ?? [:]
            return (t, doc)
        default: return nil
        }
    }
}

extension Dictionary where Key == String, Value == Any {
    var errorMessage: String? { self["errorMessage"] as? String }
    var errorType: String? { self["errorType"] as? String }
    var stackTrace: [String]? { self["stackTrace"] as? [String] }
}

/// A `PerlStreamSink` that records what the handler streamed. Used on the interpreter's thread only.
final class RecordingSink: PerlStreamSink, @unchecked Sendable {
    enum Event: Equatable {
        case start(String)
        case write([UInt8])
        case finish(type: String?, document: [UInt8]?)
    }
    private(set) var events: [Event] = []
    /// Make `start` / the n-th `write` (1-based) / `finish` throw, as a broken connection would.
    var failStart = false
    var failWrite: Int?
    var failFinish = false
    private var writes = 0

    struct Broken: Error {}

    func start(contentType: String) throws {
        events.append(.start(contentType))
        if failStart { throw Broken() }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        writes += 1
        if writes == failWrite { throw Broken() }
        events.append(.write(Array(bytes)))
    }

    func finish(error: (type: String, document: [UInt8])?) throws {
        events.append(.finish(type: error?.type, document: error?.document))
        if failFinish { throw Broken() }
    }

    var body: String {
        String(decoding: events.flatMap { if case .write(let b) = $0 { return b } else { return [] } }, as: UTF8.self)
    }
    var finishes: [Event] { events.filter { if case .finish = $0 { return true } else { return false } } }
}
