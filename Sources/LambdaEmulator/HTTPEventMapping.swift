import Foundation
import LambdaWire

/// The front door in front of a function: which event an HTTP request becomes and which response format
/// the function's result is read in.
public enum HTTPEventFormat: String, Sendable, CaseIterable {
    case functionURL = "function-url"
    case apiGatewayV1 = "apigateway-v1"
    case apiGatewayV2 = "apigateway-v2"
}

/// An HTTP request as the front door received it.
public struct HTTPRequestInfo: Sendable {
    public var method: String
    /// The request target as sent: path and query, percent-encoded.
    public var target: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var sourceIP: String
    public var requestID: String
    public var region: String
    public var date: Date

    public init(method: String, target: String, headers: [(String, String)], body: [UInt8] = [], sourceIP: String = "127.0.0.1",
                requestID: String = UUID().uuidString.lowercased(), region: String = "us-east-1", date: Date = Date()) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.sourceIP = sourceIP
        self.requestID = requestID
        self.region = region
        self.date = date
    }
}

/// An HTTP response to send: status, header lines (repeats kept), body.
public struct HTTPResponseParts: Sendable, Equatable {
    public var status: Int
    public var headers: [HeaderField]
    public var body: [UInt8]

    public struct HeaderField: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) { self.name = name; self.value = value }
    }

    public init(status: Int, headers: [HeaderField], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Why these headers cannot be sent (a name that is not an HTTP token, a value with CR, LF or NUL: response
    /// splitting), nil when they can. Function URLs answer 502 for such a function response.
    public var invalidHeader: String? {
        for field in headers {
            if field.name.isEmpty || !field.name.utf8.allSatisfy(Self.isTokenByte) {
                return "header name \(JSONText.quoted(field.name)) is not an HTTP token"
            }
            if field.value.utf8.contains(where: { $0 == 0x0d || $0 == 0x0a || $0 == 0 }) {
                return "header \(field.name) has a value with CR, LF or NUL: \(JSONText.quoted(String(field.value.prefix(80))))"
            }
        }
        return nil
    }

    private static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }

    public func values(_ name: String) -> [String] { headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value) }
}

/// Pure translations between HTTP and the events/results of Function URLs and API Gateway (REST v1, HTTP API v2).
public enum HTTPEventMapping {
    /// Content type of a streamed response in the HTTP integration format: JSON prelude, 8 NUL bytes, body.
    public static let integrationContentType = "application/vnd.awslambda.http-integration-response"
    public static let preludeDelimiter = [UInt8](repeating: 0, count: 8)

    // MARK: - Request → event

    /// The event JSON for `request`. `stage` (REST API only) is a stage name the request path starts with.
    public static func event(_ request: HTTPRequestInfo, format: HTTPEventFormat, stage: String? = nil) -> [UInt8] {
        let object = eventObject(request, format: format, stage: stage)
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return [UInt8](data)
    }

    static func eventObject(_ r: HTTPRequestInfo, format: HTTPEventFormat, stage: String?) -> [String: Any] {
        let (rawPath, rawQuery) = splitTarget(r.target)
        let decodedPath = percentDecode(rawPath, plusAsSpace: false)
        let query = queryPairs(rawQuery)
        var lower: [(String, String)] = r.headers.map { ($0.0.lowercased(), $0.1) }
        lower.removeAll { $0.0 == "connection" || $0.0 == "keep-alive" || $0.0 == "transfer-encoding" || $0.0 == "expect" }
        let host = lower.first { $0.0 == "host" }?.1 ?? "localhost"
        let contentType = lower.first { $0.0 == "content-type" }?.1
        for (name, value) in [("x-forwarded-for", r.sourceIP), ("x-forwarded-proto", "http"),
                              ("x-forwarded-port", host.split(separator: ":").last.map(String.init) ?? "80")]
            where !lower.contains(where: { $0.0 == name }) {
            lower.append((name, value))
        }
        lower.append(("x-amzn-trace-id", "Root=1-\(String(UInt32(r.date.timeIntervalSince1970), radix: 16))-\(r.requestID.replacingOccurrences(of: "-", with: "").prefix(24))"))
        let userAgent = lower.first { $0.0 == "user-agent" }?.1 ?? ""
        let binary = !(isText(contentType) && String(validatingUTF8Bytes: r.body) != nil)
        let body: Any = r.body.isEmpty ? NSNull() : binary ? Data(r.body).base64EncodedString() : String(decoding: r.body, as: UTF8.self)
        let epochMs = Int(r.date.timeIntervalSince1970 * 1000)
        let time = clfTime(r.date)

        switch format {
        case .functionURL, .apiGatewayV2:
            let isURL = format == .functionURL
            let cookies = lower.filter { $0.0 == "cookie" }.flatMap { $0.1.components(separatedBy: ";") }
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            var headers: [String: String] = [:]
            for (k, v) in lower where k != "cookie" { headers[k] = headers[k].map { "\($0),\(v)" } ?? v }
            let domain = isURL ? "abcdefghijklmnopqrstuvwxyz012345.lambda-url.\(r.region).on.aws" : "1234567890.execute-api.\(r.region).amazonaws.com"
            // Function URLs send the path decoded in rawPath; HTTP APIs keep it as sent
            let http: [String: Any] = ["method": r.method, "path": decodedPath, "protocol": "HTTP/1.1",
                                       "sourceIp": r.sourceIP, "userAgent": userAgent]
            let context: [String: Any] = ["accountId": isURL ? "anonymous" : "123456789012",
                                          "apiId": String(domain.prefix { $0 != "." }), "domainName": domain,
                                          "domainPrefix": String(domain.prefix { $0 != "." }), "http": http,
                                          "requestId": r.requestID, "routeKey": "$default", "stage": "$default",
                                          "time": time, "timeEpoch": epochMs]
            var event: [String: Any] = ["version": "2.0", "routeKey": "$default", "rawPath": isURL ? decodedPath : rawPath,
                                        "rawQueryString": rawQuery, "headers": headers, "requestContext": context,
                                        "isBase64Encoded": binary && !r.body.isEmpty]
            if !cookies.isEmpty { event["cookies"] = cookies }
            if !query.isEmpty {
                var q: [String: String] = [:]
                for (k, v) in query { q[k] = q[k].map { "\($0),\(v)" } ?? v }
                event["queryStringParameters"] = q
            }
            if !r.body.isEmpty { event["body"] = body }
            return event
        case .apiGatewayV1:
            var single: [String: String] = [:]
            var multi: [String: [String]] = [:]
            for (k, v) in lower {
                let name = k == "host" ? "Host" : k
                single[name] = v
                multi[name, default: []].append(v)
            }
            var path = rawPath
            var stageName = "$default"
            if let stage, !stage.isEmpty, rawPath == "/\(stage)" || rawPath.hasPrefix("/\(stage)/") {
                path = String(rawPath.dropFirst(stage.count + 1))
                if path.isEmpty { path = "/" }
                stageName = stage
            }
            var qSingle: [String: String] = [:]
            var qMulti: [String: [String]] = [:]
            for (k, v) in query { qSingle[k] = v; qMulti[k, default: []].append(v) }
            let context: [String: Any] = ["accountId": "123456789012", "apiId": "1234567890", "resourcePath": "/{proxy+}",
                                          "resourceId": "abc123", "httpMethod": r.method, "path": rawPath, "stage": stageName,
                                          "requestId": r.requestID, "requestTime": time, "requestTimeEpoch": epochMs,
                                          "protocol": "HTTP/1.1", "domainName": host,
                                          "identity": ["sourceIp": r.sourceIP, "userAgent": userAgent]]
            return ["resource": "/{proxy+}", "path": path, "httpMethod": r.method, "headers": single,
                    "multiValueHeaders": multi,
                    "queryStringParameters": qSingle.isEmpty ? NSNull() : qSingle as Any,
                    "multiValueQueryStringParameters": qMulti.isEmpty ? NSNull() : qMulti as Any,
                    "pathParameters": ["proxy": String(path.drop { $0 == "/" })], "stageVariables": NSNull(),
                    "requestContext": context, "body": body, "isBase64Encoded": binary && !r.body.isEmpty]
        }
    }

    // MARK: - Result → response

    /// The HTTP response for a function's buffered result (or a streamed one collected whole).
    public static func response(payload: [UInt8], contentType: String?, format: HTTPEventFormat) -> HTTPResponseParts {
        if contentType?.lowercased().hasPrefix(integrationContentType) == true {
            guard let end = preludeEnd(payload), var head = streamHead(prelude: Array(payload[..<end])) else { return badGateway(format) }
            head.body = Array(payload[(end + preludeDelimiter.count)...])
            return head
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(payload), options: [.fragmentsAllowed])) as? [String: Any]
        guard let object, let statusValue = object["statusCode"] else {
            // HTTP APIs and Function URLs take any other JSON as a 200 application/json body; REST APIs refuse it
            if format == .apiGatewayV1 { return badGateway(format) }
            return HTTPResponseParts(status: 200, headers: [.init("content-type", "application/json")], body: payload)
        }
        guard let status = intValue(statusValue), (100...599).contains(status) else { return badGateway(format) }
        var fields: [HTTPResponseParts.HeaderField] = []
        var seen = Set<String>()
        if format == .apiGatewayV1, let multi = object["multiValueHeaders"] as? [String: Any] {
            for (k, v) in multi.sorted(by: { $0.key < $1.key }) {
                for item in (v as? [Any]) ?? [v] { if let s = stringValue(item) { fields.append(.init(k, s)) } }
                seen.insert(k.lowercased())
            }
        }
        for (k, v) in ((object["headers"] as? [String: Any]) ?? [:]).sorted(by: { $0.key < $1.key }) where !seen.contains(k.lowercased()) {
            if let s = stringValue(v) { fields.append(.init(k, s)) }
        }
        if format != .apiGatewayV1, let cookies = object["cookies"] as? [Any] {
            for c in cookies { if let s = stringValue(c) { fields.append(.init("set-cookie", s)) } }
        }
        if !fields.contains(where: { $0.name.lowercased() == "content-type" }) {
            fields.append(.init("content-type", "application/json"))
        }
        var body: [UInt8] = []
        if let text = object["body"] as? String {
            if boolValue(object["isBase64Encoded"]) {
                guard let data = Data(base64Encoded: text, options: [.ignoreUnknownCharacters]) else { return badGateway(format) }
                body = [UInt8](data)
            } else {
                body = Array(text.utf8)
            }
        } else if let other = object["body"], !(other is NSNull) {
            body = (try? JSONSerialization.data(withJSONObject: other, options: [.fragmentsAllowed])).map { [UInt8]($0) } ?? []
        }
        return HTTPResponseParts(status: status, headers: fields, body: body)
    }

    /// What the front door answers when the function failed or returned something it cannot read.
    public static func badGateway(_ format: HTTPEventFormat) -> HTTPResponseParts {
        let message = format == .functionURL ? "Internal Server Error" : "Internal server error"
        return HTTPResponseParts(status: 502, headers: [.init("content-type", "application/json")],
                                 body: Array("{\"message\":\"\(message)\"}".utf8))
    }

    /// Index of the 8 NUL bytes that end a streamed prelude, if they have arrived.
    public static func preludeEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= preludeDelimiter.count else { return nil }
        var run = 0
        for (i, b) in bytes.enumerated() {
            run = b == 0 ? run + 1 : 0
            if run == preludeDelimiter.count { return i + 1 - preludeDelimiter.count }
        }
        return nil
    }

    /// Status and headers from a streamed prelude `{"statusCode","headers","cookies"}`; nil when not JSON.
    public static func streamHead(prelude: [UInt8]) -> HTTPResponseParts? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(prelude))) as? [String: Any] else { return nil }
        let status = object["statusCode"].flatMap(intValue) ?? 200
        var fields: [HTTPResponseParts.HeaderField] = []
        for (k, v) in ((object["headers"] as? [String: Any]) ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let s = stringValue(v) { fields.append(.init(k, s)) }
        }
        for c in (object["cookies"] as? [Any]) ?? [] { if let s = stringValue(c) { fields.append(.init("set-cookie", s)) } }
        if !fields.contains(where: { $0.name.lowercased() == "content-type" }) {
            fields.append(.init("content-type", "application/octet-stream"))
        }
        return HTTPResponseParts(status: (100...599).contains(status) ? status : 200, headers: fields)
    }

    // MARK: - Helpers

    static func splitTarget(_ target: String) -> (path: String, query: String) {
        var t = target
        if let hash = t.firstIndex(of: "#") { t = String(t[..<hash]) }
        if t.hasPrefix("http://") || t.hasPrefix("https://"), let slash = t.dropFirst(8).firstIndex(of: "/") { t = String(t[slash...]) }
        guard let q = t.firstIndex(of: "?") else { return (t.isEmpty ? "/" : t, "") }
        let path = String(t[..<q])
        return (path.isEmpty ? "/" : path, String(t[t.index(after: q)...]))
    }

    /// Decoded `key=value` pairs of a query string, in order.
    static func queryPairs(_ query: String) -> [(String, String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { part in
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (percentDecode(String(kv[0]), plusAsSpace: true), kv.count > 1 ? percentDecode(String(kv[1]), plusAsSpace: true) : "")
        }
    }

    public static func percentDecode(_ s: String, plusAsSpace: Bool) -> String {
        var out: [UInt8] = []
        let bytes = Array(s.utf8)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "%"), i + 2 < bytes.count, let h = hexValue(bytes[i + 1]), let l = hexValue(bytes[i + 2]) {
                out.append(h << 4 | l)
                i += 3
                continue
            }
            out.append(plusAsSpace && b == UInt8(ascii: "+") ? UInt8(ascii: " ") : b)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Text content types travel as text in events; the rest (and a missing type with a body) as base64.
    static func isText(_ contentType: String?) -> Bool {
        guard let t = contentType?.lowercased() else { return false }
        return t.hasPrefix("text/") || t.contains("json") || t.contains("xml") || t.contains("javascript")
            || t.hasPrefix("application/x-www-form-urlencoded")
    }

    /// `06/Apr/2020:02:55:49 +0000`, as API Gateway writes request times (a formatter is costly: one, locked).
    static func clfTime(_ date: Date) -> String {
        clfLock.lock()
        defer { clfLock.unlock() }
        return clfFormatter.string(from: date)
    }

    private static let clfLock = NSLock()
    nonisolated(unsafe) private static let clfFormatter: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "dd/MMM/yyyy:HH:mm:ss Z"
        return f
    }()

    static func intValue(_ v: Any) -> Int? {
        if let n = v as? NSNumber, let i = Int(exactly: n.doubleValue) { return i }
        if let s = v as? String { return Int(s) }
        return nil
    }

    static func stringValue(_ v: Any) -> String? {
        switch v {
        case let s as String: return s
        case is NSNull: return nil
        case let n as NSNumber: return n.stringValue
        default: return "\(v)"
        }
    }

    static func boolValue(_ v: Any?) -> Bool {
        if let b = v as? Bool { return b }
        if let n = v as? NSNumber { return n.boolValue }
        if let s = v as? String { return s.lowercased() == "true" }
        return false
    }
}

extension String {
    /// The bytes as a string if they are valid UTF-8.
    init?(validatingUTF8Bytes bytes: [UInt8]) {
        var it = bytes.makeIterator()
        var decoder = UTF8()
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue: continue
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        self = String(decoding: bytes, as: UTF8.self)
    }
}
