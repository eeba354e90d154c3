#if canImport(Glibc)
import Glibc
#endif
import LambdaWire
import Synchronization

/// The runtime's own log lines, as text or as Lambda's structured JSON (`AWS_LAMBDA_LOG_FORMAT=JSON`),
/// filtered by `AWS_LAMBDA_LOG_LEVEL`. Written straight to the process's stderr file descriptor.
public final class RuntimeLog {
    public enum Format: Equatable { case text, json }
    public enum Level: Int, Comparable, CaseIterable {
        case trace, debug, info, warn, error, fatal
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        public var name: String { String(describing: self).uppercased() }
        public init?(name: String) {
            guard let l = Level.allCases.first(where: { $0.name == name.uppercased() }) else { return nil }
            self = l
        }
    }

    public let format: Format
    public let minimum: Level
    /// Where lines go: stderr, or the original stderr saved by `OutputCapture` once fd 2 is redirected.
    var fd: Int32
    private let currentRequest = Mutex<String?>(nil)

    public init(format: Format, minimum: Level = .info, fd: Int32 = 2) {
        self.format = format
        self.minimum = minimum
        self.fd = fd
    }

    public convenience init(environment: [String: String]) {
        let json = environment[RuntimeEnvironment.logFormat]?.uppercased() == "JSON"
        let level = environment[RuntimeEnvironment.logLevel].flatMap(Level.init(name:)) ?? .info
        self.init(format: json ? .json : .text, minimum: level)
    }

    /// The request being served, stamped on JSON lines.
    public var requestID: String? {
        get { currentRequest.withLock { $0 } }
        set { currentRequest.withLock { $0 = newValue } }
    }

    public func log(_ level: Level, _ message: String) {
        guard level >= minimum else { return }
        write(line(level, message, requestID: requestID), to: fd)
    }

    public func info(_ m: String) { log(.info, m) }
    public func warn(_ m: String) { log(.warn, m) }
    public func error(_ m: String) { log(.error, m) }

    /// One formatted line (with trailing newline) for `message`.
    public func line(_ level: Level, _ message: String, requestID: String?) -> String {
        switch format {
        case .text:
            return "[perl-lambda] \(level.name) \(message)\n"
        case .json:
            var s = "{\"timestamp\":\"\(Timestamp.now())\",\"level\":\"\(level.name)\""
            if let requestID { s += ",\"requestId\":" + JSONText.quoted(requestID) }
            s += ",\"message\":" + JSONText.quoted(message) + "}\n"
            return s
        }
    }
}

/// Writes all of `text` to a file descriptor, retrying on EINTR and short writes.
func write(_ text: String, to fd: Int32) {
    var text = text
    text.withUTF8 { buf in writeAll(fd, UnsafeRawBufferPointer(buf)) }
}

func writeAll(_ fd: Int32, _ buf: UnsafeRawBufferPointer) {
    var offset = 0
    while offset < buf.count {
        let n = Glibc.write(fd, buf.baseAddress! + offset, buf.count - offset)
        if n < 0 { if errno == EINTR { continue } else { return } }
        offset += n
    }
}
