import CPerl
import LambdaWire
import Synchronization

/// What loading a handler, an invocation or an eval produced.
public enum PerlOutcome: Equatable {
    /// The JSON-encoded result (or, for eval, the stringified value).
    case success([UInt8])
    /// An error document `{"errorMessage","errorType","stackTrace"}` and its type.
    case failure(type: String, document: [UInt8])
    /// Perl called `exit`; the document is a `Runtime.ExitError`. The interpreter stays usable.
    case exited(code: Int32, type: String, document: [UInt8])
    /// The handler streamed its response through the `PerlStreamSink`.
    case streamed

    public var isSuccess: Bool { if case .success = self { return true } else { return false } }
}

/// One invocation's data as the runtime received it: the event payload and what GET /next said about it.
public struct PerlEvent {
    public var payload: [UInt8]
    public var invocation: InvocationHeaders

    public init(payload: [UInt8], invocation: InvocationHeaders) {
        self.payload = payload
        self.invocation = invocation
    }
}

/// Where a streaming handler's output goes. Called on the interpreter's thread; throwing tells the
/// handler the stream is broken (it sees a `die`).
public protocol PerlStreamSink: AnyObject {
    func start(contentType: String) throws
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// `error` is nil for a clean close, else the error type and its JSON error document.
    func finish(error: (type: String, document: [UInt8])?) throws
}

/// Receives what Perl prints on STDOUT (fd 1) and STDERR (fd 2) once `captureOutput` tied them.
public protocol PerlOutputSink: AnyObject {
    func output(fd: Int32, bytes: UnsafeRawBufferPointer)
}

/// The Perl bridge's one error type. (What Perl code does wrong — die, exit, a bad handler — is a `PerlOutcome`,
/// not an error: only the bridge itself failing is.)
public struct PerlError: Error, CustomStringConvertible, Equatable {
    public enum Code: Equatable, Sendable {
        /// perl_alloc/perl_parse failed, or the runtime's modules did not load.
        case interpreterCreation
        /// A `PerlWorker` job found no interpreter (its creation failed).
        case workerUnavailable
    }
    public let code: Code
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}

/// An embedded Perl interpreter. Create and use it on one thread only (see `PerlThread`).
public final class PerlInterpreter {
    private let raw: OpaquePointer
    private var outputSink: PerlOutputSink?

    /// Creates the interpreter with the runtime's own modules (AWS::Lambda, ...) available.
    /// `libDirs` go first on `@INC`.
    public init(libDirs: [String] = []) throws {
        // perl's process-wide set-up and interpreter construction are not safe to run concurrently
        raw = try creationLock.withLock { _ in
            DocumentWriter.installed
            cperl_process_init()
            var err = cperl_buf()
            defer { cperl_buf_free(&err) }
            guard let raw = cperl_create(libDirs.isEmpty ? nil : libDirs.joined(separator: ":"), &err) else {
                throw PerlError(.interpreterCreation, err.data.map { String(cString: $0) } ?? "could not create a Perl interpreter")
            }
            return raw
        }
    }

    deinit { cperl_destroy(raw) }

    /// `require`s the handler file and looks up its function (`HandlerName`'s grammar: `FILE.FUNCTION` or a
    /// `.psgi` file). An invalid handler string is an init error like a missing file.
    public func loadHandler(taskRoot: String, handler: String) -> PerlOutcome {
        var out = cperl_outcome()
        let status: cperl_status
        do {
            let name = try HandlerName(parsing: handler)
            status = cperl_load_handler(raw, taskRoot, name.file, name.function, &out)
        } catch {
            status = cperl_load_handler(raw, taskRoot, nil, "\(error)", &out)
        }
        return Self.outcome(status, &out)
    }

    /// Calls the loaded handler with the event; `stream` receives a streamed response.
    public func invoke(_ event: PerlEvent, stream: PerlStreamSink? = nil) -> PerlOutcome {
        var out = cperl_outcome()
        let inv = event.invocation
        let status: cperl_status = event.payload.withUnsafeBufferPointer { payload in
            withOptionalCStrings([inv.requestID, inv.invokedFunctionARN, inv.traceID, inv.clientContext,
                                  inv.cognitoIdentity, inv.tenantID]) { s in
                var ev = cperl_event()
                ev.payload = UnsafeRawPointer(payload.baseAddress!).assumingMemoryBound(to: CChar.self)
                ev.payload_len = payload.count
                ev.request_id = s[0]
                ev.deadline_ms = inv.deadlineMs
                ev.invoked_function_arn = s[1]
                ev.trace_id = s[2]
                ev.client_context = s[3]
                ev.cognito_identity = s[4]
                ev.tenant_id = s[5]
                guard let stream else { return cperl_invoke(raw, &ev, &out) }
                return StreamBridge(stream).withCallbacks { callbacks in
                    ev.stream = callbacks
                    return cperl_invoke(raw, &ev, &out)
                }
            }
        }
        return Self.outcome(status, &out)
    }

    /// Evaluates Perl source; success carries the value of its last statement as a string.
    public func eval(_ code: String) -> PerlOutcome {
        var out = cperl_outcome()
        let status = cperl_eval(raw, code, &out)
        return Self.outcome(status, &out)
    }

    /// Ties Perl's STDOUT/STDERR so everything printed reaches `sink` in order, on this thread.
    /// The sink is retained for the interpreter's lifetime.
    @discardableResult
    public func captureOutput(_ sink: PerlOutputSink) -> Bool {
        outputSink = sink
        let context = Unmanaged.passUnretained(sink as AnyObject).toOpaque()
        return cperl_capture_output(raw, { ctx, fd, bytes, len in
            let sink = Unmanaged<AnyObject>.fromOpaque(ctx!).takeUnretainedValue() as! PerlOutputSink
            sink.output(fd: fd, bytes: UnsafeRawBufferPointer(start: bytes, count: len))
        }, context) == 0
    }

    /// Flushes Perl's buffered STDOUT/STDERR.
    public func flush() { cperl_flush(raw) }

    /// Runs `%SIG` handlers perl deferred (call when a blocking system call returned EINTR). nil: carry on; a
    /// status: a handler ended the program (END blocks ran, the interpreter is gone) and the process should exit.
    public func dispatchSignals() -> Int32? {
        let status = cperl_dispatch_signals(raw)
        return status < 0 ? nil : status
    }

    /// Runs a Perl script like `perl FILE ARGS...` in a fresh interpreter with the runtime's modules.
    public static func runScript(_ arguments: [String]) -> Int32 {
        DocumentWriter.installed
        cperl_process_init()
        var cArgs = arguments.map { strdup($0) }
        defer { cArgs.forEach { free($0) } }
        return cArgs.withUnsafeMutableBufferPointer { buf in
            Int32(cperl_run_main(Int32(buf.count), buf.baseAddress))
        }
    }

    private static func outcome(_ status: cperl_status, _ out: inout cperl_outcome) -> PerlOutcome {
        defer { cperl_outcome_free(&out) }
        let body = out.body.data.map { ptr in
            Array(UnsafeRawBufferPointer(start: ptr, count: out.body.len))
        } ?? []
        let type = withUnsafeBytes(of: &out.error_type) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        switch status {
        case CPERL_OK: return .success(body)
        case CPERL_EXITED: return .exited(code: out.exit_code, type: type, document: body)
        case CPERL_STREAMED: return .streamed
        default: return .failure(type: type, document: body)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Serialises interpreter creation within the process.
private let creationLock = Mutex(())

/// Calls `body` with C strings for each optional Swift string (NULL for nil), valid during the call.
func withOptionalCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let dup = strings.map { $0.map { UnsafePointer(strdup($0)!) } }
    defer { dup.forEach { $0.map { free(UnsafeMutablePointer(mutating: $0)) } } }
    return body(dup)
}
