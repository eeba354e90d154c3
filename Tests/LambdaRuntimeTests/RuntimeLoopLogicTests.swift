import LambdaRuntime
import LambdaWire
import PerlBridge
import Testing

/// The loop's decisions without Perl or sockets: a scripted handler and a fake Runtime API client.
@Suite("RuntimeLoop logic (fake client, fake handler)")
struct RuntimeLoopLogicTests {
    /// Records what the loop posts; `nextInvocation` hands out the queued events, then fails as told.
    final class FakeClient: RuntimeAPIClient {
        var queue: [(InvocationHeaders, [UInt8])] = []
        var whenEmpty = RuntimeError(.connectionClosed, "no more invocations")
        var failPosts: RuntimeError?
        private(set) var posted: [String] = []
        private(set) var streams: [FakeStream] = []

        func nextInvocation() throws -> (InvocationHeaders, [UInt8]) {
            guard !queue.isEmpty else { throw whenEmpty }
            return queue.removeFirst()
        }
        func sendResponse(requestID: String, body: [UInt8]) throws {
            if let failPosts { throw failPosts }
            posted.append("response \(requestID) \(String(decoding: body, as: UTF8.self))")
        }
        func sendError(requestID: String, errorType: String, document: [UInt8]) throws {
            if let failPosts { throw failPosts }
            posted.append("error \(requestID) \(errorType)")
        }
        func sendInitError(errorType: String, document: [UInt8]) throws { posted.append("init \(errorType)") }
        func startStream(requestID: String, contentType: String) throws -> RuntimeResponseStream {
            let s = FakeStream(requestID: requestID, contentType: contentType)
            streams.append(s)
            return s
        }
    }

    final class FakeStream: RuntimeResponseStream {
        let requestID: String, contentType: String
        var chunks: [String] = []
        var ended: String?
        init(requestID: String, contentType: String) { self.requestID = requestID; self.contentType = contentType }
        func write(_ bytes: UnsafeRawBufferPointer) throws { chunks.append(String(decoding: bytes, as: UTF8.self)) }
        func finish(error: (type: String, document: [UInt8])?) throws { ended = error?.type ?? "clean" }
    }

    /// Answers each invocation with the outcome scripted for its request id; may stream first.
    final class ScriptedHandler: InvocationHandler {
        var outcomes: [String: PerlOutcome] = [:]
        var streamed: [String: [String]] = [:]
        private(set) var seen: [String] = []
        func invoke(_ event: PerlEvent, stream: PerlStreamSink?) -> PerlOutcome {
            let id = event.invocation.requestID
            seen.append(id)
            if let chunks = streamed[id], let stream {
                try? stream.start(contentType: "text/plain")
                for c in chunks { var c = c; c.withUTF8 { try? stream.write(UnsafeRawBufferPointer($0)) } }
            }
            return outcomes[id] ?? .success(Array("{}".utf8))
        }
    }

    func loop(_ handler: ScriptedHandler, _ client: FakeClient) -> RuntimeLoop {
        RuntimeLoop(interpreter: handler, client: client, log: RuntimeLog(format: .text, minimum: .fatal))
    }

    func event(_ id: String) -> (InvocationHeaders, [UInt8]) {
        (InvocationHeaders(requestID: id, deadlineMs: 1_900_000_000_000), Array("{}".utf8))
    }

    @Test func resultsAndErrorsArePostedInOrderUntilTheAPIGoesAway() {
        let client = FakeClient(), handler = ScriptedHandler()
        client.queue = [event("a"), event("b"), event("c")]
        handler.outcomes["b"] = .failure(type: "MyError", document: Array(#"{"errorType":"MyError"}"#.utf8))
        handler.outcomes["c"] = .exited(code: 3, type: "Runtime.ExitError", document: [])
        let end = loop(handler, client).run()
        #expect(client.posted == ["response a {}", "error b MyError", "error c Runtime.ExitError"])
        #expect(end.code == .connectionClosed)
        #expect(end.description == "no more invocations")
    }

    @Test func anOversizeResultBecomesLambdasError() {
        let client = FakeClient(), handler = ScriptedHandler()
        client.queue = [event("big")]
        handler.outcomes["big"] = .success([UInt8](repeating: 0x31, count: RuntimeAPI.maxResponseBytes + 1))
        _ = loop(handler, client).run()
        #expect(client.posted == ["error big Function.ResponseSizeTooLarge"])
    }

    @Test func streamsAreWrittenAndEndedByTheLoop() {
        let client = FakeClient(), handler = ScriptedHandler()
        client.queue = [event("s1"), event("s2")]
        handler.streamed = ["s1": ["one ", "two"], "s2": ["partial"]]
        handler.outcomes["s1"] = .streamed
        handler.outcomes["s2"] = .exited(code: 1, type: "Runtime.ExitError", document: [])   // exit mid-stream
        _ = loop(handler, client).run()
        #expect(client.streams.map(\.chunks) == [["one ", "two"], ["partial"]])
        #expect(client.streams[1].ended == "Runtime.ExitError", "ended with the error trailers")
        #expect(client.posted.isEmpty, "nothing posted besides the streams")
    }

    @Test func aRefusedResultCostsOnlyThatResult() {
        let client = FakeClient(), handler = ScriptedHandler()
        client.queue = [event("a"), event("b")]
        client.failPosts = RuntimeError(.rejected(status: 413), "POST failed: HTTP 413")
        let end = loop(handler, client).run()
        #expect(handler.seen == ["a", "b"], "both invocations were served")
        #expect(end.code == .connectionClosed)
    }

    @Test func anUnreachableAPIEndsTheLoop() {
        let client = FakeClient(), handler = ScriptedHandler()
        client.queue = [event("a"), event("b")]
        client.failPosts = RuntimeError(.unreachable, "cannot reach the Runtime API at 127.0.0.1:1: Connection refused")
        let end = loop(handler, client).run()
        #expect(handler.seen == ["a"], "no invocation after the API went away")
        #expect(end.code == .unreachable)
        #expect(end.description.hasPrefix("cannot reach the Runtime API"))
    }
}
