@testable import LambdaEmulator
import LambdaWire
import Logging
import NIOCore
import XCTest

/// The whole emulator with a tiny shell + curl runtime: no Perl involved.
///
/// Still XCTest, on purpose: XCTest cases run before the Swift Testing ones, never alongside them. When one of
/// these runtimes exits, its waiter calls `Orphans.killAdopted`, which reaps every zombie child of this process
/// it did not start — including the child of a concurrent exit test (`#expect(processExitsWith:)` in
/// PerlBridgeTests), whose waiter then never learns it exited: converted to Swift Testing, the whole run hung
/// in 1 of 4 full `swift test` runs (InterpreterTests' exit tests past their time limit). Convert it once
/// `killAdopted` leaves alone the children it did not adopt.
final class EmulatorRuntimeTests: XCTestCase {
    private func shellRuntime(_ script: String, timeout: Double = 3, concurrency: Int = 1) -> Emulator {
        let config = FunctionConfiguration(handler: "none", taskRoot: "/tmp", command: ["/bin/sh", "-c", script],
                                           timeout: timeout, concurrency: concurrency,
                                           environment: ["PATH": "/usr/bin:/bin"])
        return Emulator(functions: [config], logger: Logger(label: "test"), logSink: { _ in })
    }

    /// A runtime loop that answers each event with `respond` (a shell snippet with $ID, $BODY set).
    private func loop(_ respond: String) -> String {
        """
        api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
        while true; do
          hdr=$(mktemp); BODY=$(curl -sS -D "$hdr" "$api/invocation/next") || exit 1
          ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$hdr" | cut -d' ' -f2 | tr -d '\\r'); rm -f "$hdr"
          \(respond)
        done
        """
    }

    func testEchoResponse() throws {
        try XCTSkipIf(!FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs curl")
        let emulator = shellRuntime(loop(#"echo "handled $ID"; curl -sS -o /dev/null -d "$BODY" "$api/invocation/$ID/response""#))
        defer { try? emulator.syncShutdown() }
        let outcome = try emulator.invoke(function: "function", payload: Array(#"{"a":1}"#.utf8), wantsLogTail: true).wait()
        guard case .success(let body, _) = outcome.result else { return XCTFail("\(outcome.result)") }
        XCTAssertEqual(String(buffer: body), #"{"a":1}"#)
        let log = String(decoding: outcome.logTail ?? [], as: UTF8.self)
        XCTAssertTrue(log.contains("handled "), log)
        XCTAssertTrue(log.contains("REPORT RequestId: "), log)
        XCTAssertTrue(log.contains("Init Duration: "), log)
    }

    func testErrorWithTypeHeader() throws {
        try XCTSkipIf(!FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs curl")
        let emulator = shellRuntime(loop(#"curl -sS -o /dev/null -H "Lambda-Runtime-Function-Error-Type: Shell.Error" -d '{"errorMessage":"no","errorType":"Shell.Error"}' "$api/invocation/$ID/error""#))
        defer { try? emulator.syncShutdown() }
        let outcome = try emulator.invoke(function: "function", payload: Array("{}".utf8)).wait()
        guard case .functionError(let type, let body) = outcome.result else { return XCTFail("\(outcome.result)") }
        XCTAssertEqual(type, "Shell.Error")
        XCTAssertEqual(ErrorBody.message(body), "no")
    }

    func testInitErrorAndExit() throws {
        try XCTSkipIf(!FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs curl")
        let emulator = shellRuntime(#"curl -sS -o /dev/null -H "Lambda-Runtime-Function-Error-Type: Runtime.Bad" -d '{"errorMessage":"bad init","errorType":"Runtime.Bad"}' "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/init/error"; exit 1"#)
        defer { try? emulator.syncShutdown() }
        let outcome = try emulator.invoke(function: "function", payload: Array("{}".utf8)).wait()
        guard case .functionError(let type, let body) = outcome.result else { return XCTFail("\(outcome.result)") }
        XCTAssertEqual(type, "Runtime.Bad")
        XCTAssertEqual(ErrorBody.message(body), "bad init")
    }

    func testExitDuringInit() throws {
        let emulator = shellRuntime("exit 7")
        defer { try? emulator.syncShutdown() }
        let outcome = try emulator.invoke(function: "function", payload: Array("{}".utf8)).wait()
        guard case .functionError(let type, let body) = outcome.result else { return XCTFail("\(outcome.result)") }
        XCTAssertEqual(type, "Runtime.ExitError")
        XCTAssertTrue(ErrorBody.message(body).hasSuffix("Runtime exited with error: exit status 7"))
    }

    func testTimeout() throws {
        try XCTSkipIf(!FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs curl")
        let emulator = shellRuntime(loop("sleep 30"), timeout: 0.5)
        defer { try? emulator.syncShutdown() }
        let outcome = try emulator.invoke(function: "function", payload: Array("{}".utf8)).wait()
        guard case .functionError(let type, let body) = outcome.result else { return XCTFail("\(outcome.result)") }
        XCTAssertEqual(type, "Sandbox.Timedout")
        XCTAssertTrue(ErrorBody.message(body).hasSuffix("Task timed out after 0.50 seconds"))
    }

    func testInvalidPayloadAndUnknownFunction() throws {
        let emulator = shellRuntime("exit 0")
        defer { try? emulator.syncShutdown() }
        XCTAssertThrowsError(try emulator.invoke(function: "function", payload: Array("nope".utf8)).wait()) {
            XCTAssertEqual(($0 as? ServiceError)?.type, "InvalidRequestContentException")
        }
        XCTAssertThrowsError(try emulator.invoke(function: "other", payload: Array("{}".utf8)).wait()) {
            XCTAssertEqual(($0 as? ServiceError)?.status, 404)
        }
    }
}
