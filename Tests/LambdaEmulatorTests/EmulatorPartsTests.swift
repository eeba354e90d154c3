import Foundation
@testable import LambdaEmulator
import LambdaWire
import NIOCore
import Testing

@Suite struct EmulatorPartsTests {
    @Test func reportLine() {
        #expect(LambdaLogLines.report(requestID: "id", durationMs: 12.341, memoryMB: 128, maxMemoryMB: 30,
                                      initDurationMs: 150.5, status: .success)
                == "REPORT RequestId: id\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t"
                + "Max Memory Used: 30 MB\tInit Duration: 150.50 ms\t")
        #expect(LambdaLogLines.report(requestID: "id", durationMs: 1000, memoryMB: 256, maxMemoryMB: nil,
                                      initDurationMs: nil, status: .timeout).hasSuffix("\tStatus: timeout"))
        #expect(LambdaLogLines.report(requestID: "id", durationMs: 0.2, memoryMB: 128, maxMemoryMB: 1,
                                      initDurationMs: nil, status: .error(type: "Runtime.ExitError"))
            .hasSuffix("Billed Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB\tStatus: error\tError Type: Runtime.ExitError"))
        #expect(LambdaLogLines.initReport(durationMs: 10000.456, status: .timeout)
                == "INIT_REPORT Init Duration: 10000.46 ms\tPhase: init\tStatus: timeout")
        #expect(LambdaLogLines.initReport(durationMs: 2, phase: .invokePhase, status: .error(type: "Runtime.ExitError"))
                == "INIT_REPORT Init Duration: 2.00 ms\tPhase: invoke\tStatus: error\tError Type: Runtime.ExitError")
        #expect(LambdaLogLines.start("x") == "START RequestId: x Version: $LATEST")
        #expect(LambdaLogLines.end("x") == "END RequestId: x")
    }

    @Test func maxMemoryOfThisProcess() {
        let fd = open("/proc/\(getpid())/status", O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        let mb = LambdaLogLines.maxMemoryMB(statusFD: fd)
        #expect(mb != nil)
        #expect((mb ?? 0) > 0)
    }

    /// One open /proc/PID/status, read again at offset 0, shows a newer peak (the REPORT line's source).
    @Test func maxMemoryFromAKeptStatusFileFollowsThePeak() throws {
        let fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
        #expect(fd >= 0)
        defer { close(fd) }
        let before = try #require(LambdaLogLines.maxMemoryMB(statusFD: fd))
        let size = 200 << 20
        let block = try #require(malloc(size))
        memset(block, 1, size)   // touched: resident
        let after = try #require(LambdaLogLines.maxMemoryMB(statusFD: fd))
        free(block)
        #expect(after >= before + 150, "VmHWM \(before) MB → \(after) MB")
    }

    @Test func requestIDsAreVersion4UUIDsAndDistinct() {
        let ids = (0..<10_000).map { _ in Identifiers.requestID() }
        #expect(Set(ids).count == ids.count)
        let shape = try! NSRegularExpression(pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        for id in ids.prefix(500) {
            #expect(shape.numberOfMatches(in: id, range: NSRange(id.startIndex..., in: id)) == 1, "\(id)")
        }
        #expect(Identifiers.hex(12).count == 24)
        #expect(Identifiers.traceID() != Identifiers.traceID())
    }

    @Test func logTailKeepsTheLastBytes() {
        var tail = LogTail(limit: 10)
        tail.append("0123456789")
        tail.append("abc")
        #expect(String(decoding: tail.bytes, as: UTF8.self) == "56789\nabc\n")
        for i in 0..<100 { tail.append("line \(i)") }
        #expect(tail.bytes.count == 10)
        #expect(String(decoding: tail.bytes, as: UTF8.self) == "8\nline 99\n")
    }

    @Test func errorBodyNormalization() {
        let (t1, b1) = ErrorBody.normalize(headerType: nil, body: ByteBuffer(string: #"{"errorType":"Oops","errorMessage":"m"}"#))
        #expect(t1 == "Oops")
        #expect(String(buffer: b1) == #"{"errorType":"Oops","errorMessage":"m"}"#)
        let (t2, _) = ErrorBody.normalize(headerType: "Header.Type", body: ByteBuffer(string: #"{"errorType":"Oops"}"#))
        #expect(t2 == "Header.Type")
        let (t3, b3) = ErrorBody.normalize(headerType: nil, body: ByteBuffer(string: "plain text"))
        #expect(t3 == "Runtime.Unknown")
        #expect(ErrorBody.message(b3) == "plain text")
    }

    @Test func environmentOfAProcess() {
        let config = FunctionConfiguration(name: "fn", handler: "h.run", taskRoot: "/code", command: ["bootstrap"],
                                           memoryMB: 256, region: "eu-central-1", environment: ["AWS_ACCESS_KEY_ID": "k", "TZ": "x"])
        let env = config.processEnvironment(runtimeAPI: "127.0.0.1:1234", logStream: "s")
        #expect(env["AWS_LAMBDA_RUNTIME_API"] == "127.0.0.1:1234")
        #expect(env["_HANDLER"] == "h.run")
        #expect(env["LAMBDA_TASK_ROOT"] == "/code")
        #expect(env["AWS_LAMBDA_FUNCTION_NAME"] == "fn")
        #expect(env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST")
        #expect(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256")
        #expect(env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/fn")
        #expect(env["AWS_LAMBDA_LOG_STREAM_NAME"] == "s")
        #expect(env["AWS_REGION"] == "eu-central-1")
        #expect(env["AWS_DEFAULT_REGION"] == "eu-central-1")
        #expect(env["TZ"] == ":UTC")
        #expect(env["AWS_ACCESS_KEY_ID"] == "k")
        #expect(config.arn == "arn:aws:lambda:eu-central-1:012345678912:function:fn")
    }
}
