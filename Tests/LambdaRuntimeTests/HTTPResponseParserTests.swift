@testable import LambdaRuntime
import LambdaWire
import Testing

@Suite("HTTPResponseParser (the Runtime API client's HTTP/1.1 responses)")
struct HTTPResponseParserTests {
    let next = """
        HTTP/1.1 200 OK\r
        Content-Type: application/json\r
        Lambda-Runtime-Aws-Request-Id: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\r
        lambda-runtime-deadline-ms:   1542409706888  \r
        Content-Length: 13\r
        \r
        {"hello":"x"}
        """

    /// Every response in `bytes`, fed in pieces of `step` bytes.
    func parse(_ bytes: [UInt8], step: Int, close: Bool = false) throws -> [HTTPResponse] {
        var parser = HTTPResponseParser()
        var out: [HTTPResponse] = []
        var i = 0
        while i < bytes.count {
            parser.append(bytes[i..<min(i + step, bytes.count)])
            i += step
            while let r = try parser.next() { out.append(r) }
        }
        if close {
            parser.finish()
            while let r = try parser.next() { out.append(r) }
        }
        return out
    }

    @Test func contentLengthResponseInEverySplit() throws {
        let bytes = Array(next.utf8)
        let whole = try parse(bytes, step: bytes.count)
        #expect(whole.count == 1)
        let r = whole[0]
        #expect(r.status == 200 && r.keepAlive)
        #expect(r.body == Array(#"{"hello":"x"}"#.utf8))
        #expect(r.header("LAMBDA-RUNTIME-AWS-REQUEST-ID") == "8476a536-e9f4-11e8-9739-2dfe598c3fcd")
        #expect(r.header("Lambda-Runtime-Deadline-Ms") == "1542409706888")  // surrounding blanks trimmed
        #expect(r.header("X-Missing") == nil)
        for step in 1...bytes.count { #expect(try parse(bytes, step: step) == whole, "step \(step)") }
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() throws {
        let text = "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\nX-Trailer: t\r\n\r\n"
        let bytes = Array(text.utf8)
        for step in [1, 2, 3, 7, bytes.count] {
            let r = try parse(bytes, step: step)
            #expect(r.count == 1)
            #expect(r.first?.status == 202)
            #expect(r.first?.body == Array("hello world!".utf8))
        }
    }

    @Test func responsesWithoutBodies() throws {
        var parser = HTTPResponseParser()
        parser.append(Array("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n".utf8))
        #expect(try parser.next()?.body == [])                        // 204: no body whatever the length says
        #expect(try parser.next(headRequest: true)?.status == 200)  // the answer to a HEAD has no body either
        parser.append(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        #expect(try parser.next()?.status == 100)
        #expect(try parser.next() == nil)
    }

    @Test func pipelinedResponsesAndKeepAlive() throws {
        let text = "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nokHTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"
            + "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"
            + "HTTP/1.1 500 Oops\r\nConnection: close\r\ncontent-length: 3\r\n\r\nbad"
        let r = try parse(Array(text.utf8), step: 5)
        #expect(r.map(\.status) == [202, 200, 200, 500])
        #expect(r.map(\.keepAlive) == [true, false, true, false])
        #expect(r[3].body == Array("bad".utf8))
    }

    @Test func bodyDelimitedByTheEndOfTheConnection() throws {
        let bytes = Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end".utf8)
        #expect(try parse(bytes, step: 4).isEmpty)
        let r = try parse(bytes, step: 4, close: true)
        #expect(r.first?.body == Array("until the end".utf8) && r.first?.keepAlive == false)
    }

    @Test func aLargeBodyInReadSizedPieces() throws {
        let body = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let bytes = Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
        let r = try parse(bytes, step: 65_536)
        #expect(r.count == 1 && r[0].body == body)
    }

    @Test(arguments: [
        ("HTTP/2 200 OK\r\n\r\n", "status line"),
        ("HTTP/1.1 2x0 OK\r\n\r\n", "status line"),
        ("HTTP/1.1 200OK\r\n\r\n", "status line"),
        ("garbage\r\n\r\n", "status line"),
        ("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "header line"),
        ("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "header line"),
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n", "Content-Length"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "Transfer-Encoding"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
        // found by fuzzing: a signed size crashed the parser (negative slice) instead of being refused
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-c2\r\nabc\r\n", "chunk size"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+3\r\nabc\r\n0\r\n\r\n", "chunk size"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", "no CRLF after"),
    ])
    func malformedResponsesAreClearErrors(text: String, what: String) {
        var parser = HTTPResponseParser()
        parser.append(Array(text.utf8))
        #expect { _ = try parser.next() } throws: { ($0 as? RuntimeError)?.code == .malformedResponse && ($0 as? RuntimeError)?.description.contains(what) == true }
    }

    @Test func truncatedAndOversizedResponsesAreErrors() throws {
        var cut = HTTPResponseParser()
        cut.append(Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".utf8))
        #expect(try cut.next() == nil)
        cut.finish()
        #expect { _ = try cut.next() } throws: { "\($0)".contains("3 of 10 body bytes") }

        var headless = HTTPResponseParser()
        headless.append(Array("HTTP/1.1 200 OK\r\nContent-".utf8))
        headless.finish()
        #expect { _ = try headless.next() } throws: { "\($0)".contains("inside the header section") }

        var huge = HTTPResponseParser()
        huge.append(Array("HTTP/1.1 200 OK\r\n".utf8) + Array(repeating: UInt8(ascii: "a"), count: HTTPResponseParser.maxHeadBytes))
        #expect { _ = try huge.next() } throws: { "\($0)".contains("header section larger") }
    }
}
