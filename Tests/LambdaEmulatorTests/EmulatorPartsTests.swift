import Foundation
@testable import LambdaEmulator
import LambdaWire
import NIOCore
import XCTest

final class EmulatorPartsTests: XCTestCase {
    func testReportLine() {
        XCTAssertEqual(LambdaLogLines.report(requestID: "id", durationMs: 12.341, memoryMB: 128, maxMemoryMB: 30,
                                             initDurationMs: 150.5, status: .success),
                       "REPORT RequestId: id\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t"
                       + "Max Memory Used: 30 MB\tInit Duration: 150.50 ms\t")
        XCTAssertTrue(LambdaLogLines.report(requestID: "id", durationMs: 1000, memoryMB: 256, maxMemoryMB: nil,
                                            initDurationMs: nil, status: .timeout).hasSuffix("\tStatus: timeout"))
        XCTAssertTrue(LambdaLogLines.report(requestID: "id", durationMs: 0.2, memoryMB: 128, maxMemoryMB: 1,
                                            initDurationMs: nil, status: .error(type: "Runtime.ExitError"))
            .hasSuffix("Billed Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB\tStatus: error\tError Type: Runtime.ExitError"))
        XCTAssertEqual(LambdaLogLines.start("x"), "START RequestId: x Version: $LATEST")
        XCTAssertEqual(LambdaLogLines.end("x"), "END RequestId: x")
    }

    func testMaxMemoryOfThisProcess() {
        let fd = open("/proc/\(getpid())/status", O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        let mb = LambdaLogLines.maxMemoryMB(statusFD: fd)
        XCTAssertNotNil(mb)
        XCTAssertGreaterThan(mb ?? 0, 0)
    }

    /// One open /proc/PID/status, read again at offset 0, shows a newer peak (the REPORT line's source).
    func testMaxMemoryFromAKeptStatusFileFollowsThePeak() throws {
        let fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let before = try XCTUnwrap(LambdaLogLines.maxMemoryMB(statusFD: fd))
        let size = 200 << 20
        let block = try XCTUnwrap(malloc(size))
        memset(block, 1, size)   // touched: resident
        let after = try XCTUnwrap(LambdaLogLines.maxMemoryMB(statusFD: fd))
        free(block)
        XCTAssertGreaterThanOrEqual(after, before + 150, "VmHWM \(before) MB → \(after) MB")
    }

    func testRequestIDsAreVersion4UUIDsAndDistinct() {
        let ids = (0..<10_000).map { _ in Identifiers.requestID() }
        XCTAssertEqual(Set(ids).count, ids.count)
        let shape = try! NSRegularExpression(pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        for id in ids.prefix(500) {
            XCTAssertEqual(shape.numberOfMatches(in: id, range: NSRange(id.startIndex..., in: id)), 1, id)
        }
        XCTAssertEqual(Identifiers.hex(12).count, 24)
        XCTAssertNotEqual(Identifiers.traceID(), Identifiers.traceID())
    }

    func testLogTailKeepsTheLastBytes() {
        var tail = LogTail(limit: 10)
        tail.append("0123456789")
        tail.append("abc")
        XCTAssertEqual(String(decoding: tail.bytes, as: UTF8.self), "56789\nabc\n")
        for i in 0..<100 { tail.append("line \(i)") }
        XCTAssertEqual(tail.bytes.count, 10)
        XCTAssertEqual(String(decoding: tail.bytes, as: UTF8.self), "8\nline 99\n")
    }

    func testErrorBodyNormalization() {
        let (t1, b1) = ErrorBody.normalize(headerType: nil, body: ByteBuffer(string: #"{"errorType":"Oops","errorMessage":"m"}"#))
        XCTAssertEqual(t1, "Oops")
        XCTAssertEqual(String(buffer: b1), #"{"errorType":"Oops","errorMessage":"m"}"#)
        let (t2, _) = ErrorBody.normalize(headerType: "Header.Type", body: ByteBuffer(string: #"{"errorType":"Oops"}"#))
        XCTAssertEqual(t2, "Header.Type")
        let (t3, b3) = ErrorBody.normalize(headerType: nil, body: ByteBuffer(string: "plain text"))
        XCTAssertEqual(t3, "Runtime.Unknown")
        XCTAssertEqual(ErrorBody.message(b3), "plain text")
    }

    func testEnvironmentOfAProcess() {
        let config = FunctionConfiguration(name: "fn", handler: "h.run", taskRoot: "/code", command: ["bootstrap"],
                                           memoryMB: 256, region: "eu-central-1", environment: ["AWS_ACCESS_KEY_ID": "k", "TZ": "x"])
        let env = config.processEnvironment(runtimeAPI: "127.0.0.1:1234", logStream: "s")
        XCTAssertEqual(env["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:1234")
        XCTAssertEqual(env["_HANDLER"], "h.run")
        XCTAssertEqual(env["LAMBDA_TASK_ROOT"], "/code")
        XCTAssertEqual(env["AWS_LAMBDA_FUNCTION_NAME"], "fn")
        XCTAssertEqual(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST")
        XCTAssertEqual(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256")
        XCTAssertEqual(env["AWS_LAMBDA_LOG_GROUP_NAME"], "/aws/lambda/fn")
        XCTAssertEqual(env["AWS_LAMBDA_LOG_STREAM_NAME"], "s")
        XCTAssertEqual(env["AWS_REGION"], "eu-central-1")
        XCTAssertEqual(env["AWS_DEFAULT_REGION"], "eu-central-1")
        XCTAssertEqual(env["TZ"], ":UTC")
        XCTAssertEqual(env["AWS_ACCESS_KEY_ID"], "k")
        XCTAssertEqual(config.arn, "arn:aws:lambda:eu-central-1:012345678912:function:fn")
    }
}
