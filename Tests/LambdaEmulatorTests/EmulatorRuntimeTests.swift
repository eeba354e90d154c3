@testable import LambdaEmulator
import Foundation
import LambdaWire
import Logging
import NIOCore
import Testing

private let hasCurl = FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")

/// The whole emulator with a tiny shell + curl runtime: no Perl involved.
/// Serialized: each test starts its own emulator, and their runtimes' output is easier to follow one at a time.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct EmulatorRuntimeTests {
    private func shellRuntime(_ script: String, timeout: Double = 3, concurrency: Int = 1,
                              configure: (inout FunctionConfiguration) -> Void = { _ in }) -> Emulator {
        var config = FunctionConfiguration(handler: "none", taskRoot: "/tmp", command: ["/bin/sh", "-c", script],
                                           timeout: timeout, concurrency: concurrency,
                                           environment: ["PATH": "/usr/bin:/bin"])
        configure(&config)
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

    @Test(.enabled(if: hasCurl, "needs curl"))
    func echoResponse() throws {
        let emulator = shellRuntime(loop(#"echo "handled $ID"; curl -sS -o /dev/null -d "$BODY" "$api/invocation/$ID/response""#))
        defer { try? emulator.syncShutdown() }
        let outcome = try emulator.invoke(function: "function", payload: Array(#"{"a":1}"#.utf8), wantsLogTail: true).wait()
        guard case .success(let body, _) = outcome.result else { Issue.record("\(outcome.result)"); return }
        #expect(String(buffer: body) == #"{"a":1}"#)
        let log = String(decoding: outcome.logTail ?? [], as: UTF8.self)
        #expect(log.contains("handled "), "\(log)")
        #expect(log.contains("REPORT RequestId: "), "\(log)")
        #expect(log.contains("Init Duration: "), "\(log)")
    }

    @Test(.enabled(if: hasCurl, "needs curl"))
    func errorWithTypeHeader() throws {
        let emulator = shellRuntime(loop(#"curl -sS -o /dev/null -H "Lambda-Runtime-Function-Error-Type: Shell.Error" -d '{"errorMessage":"no","errorType":"Shell.Error"}' "$api/invocation/$ID/error""#))
        defer { try? emulator.syncShutdown() }
        let outcome = try emulator.invoke(function: "function", payload: Array("{}".utf8)).wait()
        guard case .functionError(let type, let body) = outcome.result else { Issue.record("\(outcome.result)"); return }
        #expect(type == "Shell.Error")
        #expect(ErrorBody.message(body) == "no")
    }

    @Test(.enabled(if: hasCurl, "needs curl"))
    func initErrorAndExit() throws {
        let emulator = shellRuntime(#"curl -sS -o /dev/null -H "Lambda-Runtime-Function-Error-Type: Runtime.Bad" -d '{"errorMessage":"bad init","errorType":"Runtime.Bad"}' "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/init/error"; exit 1"#)
        defer { try? emulator.syncShutdown() }
        let outcome = try emulator.invoke(function: "function", payload: Array("{}".utf8)).wait()
        guard case .functionError(let type, let body) = outcome.result else { Issue.record("\(outcome.result)"); return }
        #expect(type == "Runtime.Bad")
        #expect(ErrorBody.message(body) == "bad init")
    }

    @Test func exitDuringInit() throws {
        let emulator = shellRuntime("exit 7")
        defer { try? emulator.syncShutdown() }
        let outcome = try emulator.invoke(function: "function", payload: Array("{}".utf8)).wait()
        guard case .functionError(let type, let body) = outcome.result else { Issue.record("\(outcome.result)"); return }
        #expect(type == "Runtime.ExitError")
        #expect(ErrorBody.message(body).hasSuffix("Runtime exited with error: exit status 7"))
    }

    @Test(.enabled(if: hasCurl, "needs curl"))
    func timeout() throws {
        let emulator = shellRuntime(loop("sleep 30"), timeout: 0.5)
        defer { try? emulator.syncShutdown() }
        let outcome = try emulator.invoke(function: "function", payload: Array("{}".utf8)).wait()
        guard case .functionError(let type, let body) = outcome.result else { Issue.record("\(outcome.result)"); return }
        #expect(type == "Sandbox.Timedout")
        #expect(ErrorBody.message(body).hasSuffix("Task timed out after 0.50 seconds"))
    }

    @Test func invalidPayloadAndUnknownFunction() throws {
        let emulator = shellRuntime("exit 0")
        defer { try? emulator.syncShutdown() }
        let invalid = #expect(throws: (any Error).self) {
            try emulator.invoke(function: "function", payload: Array("nope".utf8)).wait()
        }
        #expect((invalid as? ServiceError)?.type == "InvalidRequestContentException")
        let unknown = #expect(throws: (any Error).self) {
            try emulator.invoke(function: "other", payload: Array("{}".utf8)).wait()
        }
        #expect((unknown as? ServiceError)?.status == 404)
    }

    /// A layer whose one extension registers, then takes `initSeconds` before its first /event/next.
    private func slowExtensionLayer(initSeconds: Int) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("perl-lambda-layer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("extensions"), withIntermediateDirectories: true)
        let api = "http://$AWS_LAMBDA_RUNTIME_API/2020-01-01/extension"
        let script = """
            #!/bin/sh
            hdr=$(mktemp)
            curl -sS -o /dev/null -D "$hdr" -X POST -H 'Lambda-Extension-Name: slow' -d '{"events":["INVOKE"]}' "\(api)/register"
            ID=$(grep -i '^Lambda-Extension-Identifier:' "$hdr" | cut -d' ' -f2 | tr -d '\\r')
            sleep \(initSeconds)
            while true; do curl -sS -o /dev/null -H "Lambda-Extension-Identifier: $ID" "\(api)/event/next" || exit 1; done
            """
        let path = dir.appendingPathComponent("extensions/slow").path
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return dir.path
    }

    @Test(.enabled(if: hasCurl, "needs curl"))
    func initTimeoutCountsExtensionTime() throws {
        let layer = try slowExtensionLayer(initSeconds: 30)
        defer { try? FileManager.default.removeItem(atPath: layer) }
        var config = FunctionConfiguration(handler: "none", taskRoot: "/tmp",
                                           command: ["/bin/sh", "-c", loop(#"curl -sS -o /dev/null -d "$BODY" "$api/invocation/$ID/response""#)],
                                           environment: ["PATH": "/usr/bin:/bin"], initTimeout: 1)
        config.layers = [layer]
        let emulator = Emulator(functions: [config], logger: Logger(label: "test"), logSink: { _ in })
        defer { try? emulator.syncShutdown() }
        let started = Date()
        let outcome = try emulator.invoke(function: "function", payload: Array("{}".utf8)).wait()
        let took = Date().timeIntervalSince(started)
        guard case .functionError(let type, let body) = outcome.result else { Issue.record("\(outcome.result)"); return }
        // the init phase (1 s) runs out on the extension's init; the retry, in the invoke phase, on the 3 s timeout
        #expect(type == ErrorDocument.timedOut(requestID: "", seconds: 3).errorType)
        #expect(ErrorBody.message(body).contains("Task timed out after 3.00 seconds"))
        #expect(took >= 4 && took < 8, "the runtime was ready at once; the extension's init ran the clock out (\(took) s)")
    }

    @Test(.enabled(if: hasCurl, "needs curl"))
    func anInternalExtensionHoldsTheNextInvocation() throws {
        // the runtime registers an internal extension that comes back to /event/next 1 s after each INVOKE
        let ext = """
            ext="http://$AWS_LAMBDA_RUNTIME_API/2020-01-01/extension"; hdr=$(mktemp)
            curl -sS -o /dev/null -D "$hdr" -X POST -H 'Lambda-Extension-Name: inner' -d '{"events":["INVOKE"]}' "$ext/register"
            EID=$(grep -i '^Lambda-Extension-Identifier:' "$hdr" | cut -d' ' -f2 | tr -d '\\r')
            ( curl -sS -o /dev/null -H "Lambda-Extension-Identifier: $EID" "$ext/event/next"
              while true; do sleep 1; curl -sS -o /dev/null -H "Lambda-Extension-Identifier: $EID" "$ext/event/next"; done ) &
            """
        let emulator = shellRuntime(ext + loop(#"curl -sS -o /dev/null -d "$BODY" "$api/invocation/$ID/response""#))
        defer { try? emulator.syncShutdown() }
        _ = try emulator.invoke(function: "function", payload: Array("{}".utf8)).wait()
        let started = Date()
        let first = try emulator.invoke(function: "function", payload: Array("{}".utf8)).wait()
        let answered = Date().timeIntervalSince(started)
        _ = try emulator.invoke(function: "function", payload: Array("{}".utf8)).wait()
        let both = Date().timeIntervalSince(started)
        guard case .success = first.result else { Issue.record("\(first.result)"); return }
        #expect(both >= 0.9, "the second invocation waited for the extension (\(both) s)")
        #expect(answered < both)
    }

    /// Tenant isolation: the runtime answers "<its pid> <the tenant header it got>"; one slot, three tenants in turn.
    @Test(.enabled(if: hasCurl, "needs curl"))
    func tenantsNeverShareAnEnvironment() throws {
        let emulator = shellRuntime(#"""
            api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
            while true; do
              hdr=$(mktemp); curl -sS -o /dev/null -D "$hdr" "$api/invocation/next" || exit 1
              ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$hdr" | cut -d' ' -f2 | tr -d '\r')
              T=$(grep -i '^Lambda-Runtime-Aws-Tenant-Id:' "$hdr" | cut -d' ' -f2- | tr -d '\r'); rm -f "$hdr"
              curl -sS -o /dev/null -d "\"$$ $T\"" "$api/invocation/$ID/response"
            done
            """#) { $0.tenantIsolation = true }
        defer { try? emulator.syncShutdown() }
        var seen: [String: Set<String>] = [:]
        for tenant in ["a", "b", "a", "c", "c"] {
            let outcome = try emulator.invoke(function: "function", payload: Array("{}".utf8), tenantID: tenant).wait()
            guard case .success(let body, _) = outcome.result else { Issue.record("\(outcome.result)"); return }
            let words = String(buffer: body).trimmingCharacters(in: CharacterSet(charactersIn: "\"")).split(separator: " ")
            #expect(words.count == 2 && words[1] == tenant, "\(words)")
            let pid = String(words[0])
            #expect(!seen.contains { $0.key != tenant && $0.value.contains(pid) }, "environment \(pid) served two tenants")
            seen[tenant, default: []].insert(pid)
        }
        #expect(seen["c"]?.count == 1, "a warm environment serves its tenant again")
        let missing = #expect(throws: ServiceError.self) {
            try emulator.invoke(function: "function", payload: Array("{}".utf8)).wait()
        }
        #expect(missing?.status == 400)
    }
}
