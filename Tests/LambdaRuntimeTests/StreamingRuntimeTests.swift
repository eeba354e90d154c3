import Foundation
import LambdaRuntime
import LambdaWire
import NIOHTTP1
import Testing

@Suite("Streamed responses on the wire", .timeLimit(.minutes(1)))
struct StreamingRuntimeTests {
    static let streamer = """
    sub handle { my ($p) = @_;
      return sub { my $w = $_[0]->($p->{type} // 'text/plain');
        for my $c (@{ $p->{chunks} }) { $w->write($c) }
        die "$p->{die}\\n" if $p->{die};
        exit 3 if $p->{exit};
        $w->close unless $p->{leave_open};
      } }
    1;
    """

    func serve(_ invocations: [MockRuntimeAPI.Invocation], on server: MockRuntimeAPI, log: LogFile = LogFile()) async throws {
        for i in invocations { server.enqueue(i) }
        let count = invocations.count
        try await withRuntime(server, try TaskRoot.handler(Self.streamer), log: log) { loop, _, _ in
            for _ in 0..<count { try loop.serveOne() }
        }
    }

    @Test func headersChunksAndCleanEnd() async throws {
        try await withMockServer { server in
            try await serve([.init("s1", #"{"type":"text/event-stream","chunks":["a","bb","ccc"]}"#)], on: server)
            let requests = server.requests
            #expect(requests.paths == ["GET \(RuntimeAPI.nextPath)", "POST \(RuntimeAPI.responsePath("s1"))"])
            let post = requests[1]
            #expect(post.header("Lambda-Runtime-Function-Response-Mode") == "streaming")
            #expect(post.header("Transfer-Encoding") == "chunked")
            #expect(post.header("Trailer") == "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body")
            #expect(post.header("Content-Type") == "text/event-stream")
            #expect(post.header("Content-Length") == nil)
            #expect(post.bodyText == "abbccc")
            #expect(post.trailers == nil || post.trailers?.isEmpty == true)
            // On the wire: one HTTP chunk per write, then the last chunk without trailers.
            let wire = try chunkedBody(in: server.raw(post.connection), requestLine: "POST \(RuntimeAPI.responsePath("s1")) ")
            #expect(wire.chunks.map { String(decoding: $0, as: UTF8.self) } == ["a", "bb", "ccc"])
            #expect(wire.trailers.isEmpty)
            #expect(requests[0].connection == post.connection)
        }
    }

    @Test func dieMidStreamSendsErrorTrailers() async throws {
        try await withMockServer { server in
            try await serve([.init("s2", #"{"chunks":["partial "],"die":"stream broke"}"#), .init("s3", #"{"chunks":["fine"]}"#)], on: server)
            let posts = server.requests.filter { $0.method == .POST }
            #expect(posts.map(\.uri) == [RuntimeAPI.responsePath("s2"), RuntimeAPI.responsePath("s3")], "no separate error POST")
            let broken = posts[0]
            #expect(broken.bodyText == "partial ")
            let trailers = try #require(broken.trailers, "error trailers")
            #expect(trailers.first(name: "Lambda-Runtime-Function-Error-Type") == "Error")
            let encoded = try #require(trailers.first(name: "Lambda-Runtime-Function-Error-Body"))
            let decoded = try #require(Base64.decode(encoded), "trailer is base64")
            let doc = try #require(jsonObject(decoded), "trailer is base64 of JSON")
            #expect(doc["errorType"] as? String == "Error")
            #expect(doc["errorMessage"] as? String == "stream broke\n")
            #expect(doc["stackTrace"] is [Any])
            let wire = try chunkedBody(in: server.raw(broken.connection), requestLine: "POST \(RuntimeAPI.responsePath("s2")) ")
            #expect(wire.chunks == [Array("partial ".utf8)])
            #expect(wire.trailers.map(\.0) == ["Lambda-Runtime-Function-Error-Type", "Lambda-Runtime-Function-Error-Body"])
            // The connection stays usable for the next invocation.
            #expect(posts[1].bodyText == "fine")
            #expect(posts[1].connection == broken.connection)
        }
    }

    @Test func streamedResponsesAreNotLimitedToSixMB() async throws {
        try await withMockServer { server in
            let chunk = String(repeating: "z", count: 1 << 20)
            let chunks = Array(repeating: "\"\(chunk)\"", count: 7).joined(separator: ",")
            try await serve([.init("big", #"{"chunks":[\#(chunks)]}"#)], on: server)
            let post = try #require(server.requests.last)
            #expect(post.uri == RuntimeAPI.responsePath("big"))
            #expect(post.body.count == 7 << 20)
            #expect(post.trailers == nil || post.trailers?.first(name: RuntimeAPI.Header.functionErrorType) == nil)
        }
    }

    @Test func refusedStreamIsLoggedAndTheLoopGoesOn() async throws {
        try await withMockServer { server in
            server.policy = { $0.uri == RuntimeAPI.responsePath("refused") ? .init(status: .payloadTooLarge) : .accepted }
            let log = LogFile()
            try await serve([.init("refused", #"{"chunks":["x"]}"#), .init("after", #"{"chunks":["y"]}"#)], on: server, log: log)
            #expect(server.requests.paths.last == "POST \(RuntimeAPI.responsePath("after"))")
            #expect(server.requests.last?.bodyText == "y")
            #expect(log.text.contains("refused"), "\(log.text)")
            #expect(log.text.contains("413"), "\(log.text)")
        }
    }
    // `exit` mid-stream: see BootstrapRobustnessTests.exitMidStream (run in a killable process).
}
