/// The error body Lambda exchanges for function and init errors:
/// `{"errorMessage": "...", "errorType": "...", "stackTrace": [...]}`.
public struct ErrorDocument: Equatable, Sendable {
    public var errorType: String
    public var errorMessage: String
    public var stackTrace: [String]

    public init(type: String, message: String, stackTrace: [String] = []) {
        self.errorType = type
        self.errorMessage = message
        self.stackTrace = stackTrace
    }

    public var json: String {
        var out = "{\"errorMessage\":"
        JSONText.appendString(errorMessage, to: &out)
        out += ",\"errorType\":"
        JSONText.appendString(errorType, to: &out)
        out += ",\"stackTrace\":["
        for (i, line) in stackTrace.enumerated() {
            if i > 0 { out += "," }
            JSONText.appendString(line, to: &out)
        }
        out += "]}"
        return out
    }

    public var bytes: [UInt8] { Array(json.utf8) }

    /// `{"errorMessage","errorType"}` without a stack trace: the shape of the Runtime and Extensions APIs' own
    /// 4xx answers.
    public var jsonWithoutTrace: String {
        "{\"errorMessage\":\(JSONText.quoted(errorMessage)),\"errorType\":\(JSONText.quoted(errorType))}"
    }

    /// The runtime's error for a result larger than the Runtime API takes.
    public static func responseTooLarge(_ size: Int) -> ErrorDocument {
        ErrorDocument(type: "Function.ResponseSizeTooLarge",
                      message: "Response payload size (\(size) bytes) exceeded maximum allowed payload size (\(RuntimeAPI.maxResponseBytes) bytes).")
    }
}

/// The function errors Lambda itself reports (the runtime could not).
extension ErrorDocument {
    /// A timed-out invocation, as the real service words it.
    public static func timedOut(requestID: String, seconds: Double) -> ErrorDocument {
        ErrorDocument(type: "Sandbox.Timedout",
                      message: "RequestId: \(requestID) Error: Task timed out after \(twoDecimals(seconds)) seconds")
    }

    /// The runtime process ended during init or an invocation (`reason`: "exit status 1", "signal: killed").
    public static func runtimeExited(requestID: String, reason: String) -> ErrorDocument {
        ErrorDocument(type: "Runtime.ExitError",
                      message: "RequestId: \(requestID) Error: Runtime exited with error: \(reason)")
    }

    /// The runtime was killed for using more memory than the function has: Lambda keeps the exit's wording and
    /// names the cause in the type.
    public static func outOfMemory(requestID: String) -> ErrorDocument {
        ErrorDocument(type: "Runtime.OutOfMemory",
                      message: "RequestId: \(requestID) Error: Runtime exited with error: signal: killed")
    }

    /// The runtime could not be started at all.
    public static func invalidEntrypoint(requestID: String, detail: String) -> ErrorDocument {
        ErrorDocument(type: "Runtime.InvalidEntrypoint",
                      message: "RequestId: \(requestID) Error: \(detail)")
    }

    /// `12.5` → `"12.50"` without Foundation.
    public static func twoDecimals(_ v: Double) -> String {
        let hundredths = Int((v * 100).rounded())
        let frac = hundredths % 100
        return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac)"
    }
}

/// Minimal JSON text helpers (the wire format needs only string escaping; no Foundation).
public enum JSONText {
    public static func appendString(_ s: String, to out: inout String) {
        out.append("\"")
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append("\"")
    }

    public static func quoted(_ s: String) -> String {
        var out = ""
        appendString(s, to: &out)
        return out
    }
}
