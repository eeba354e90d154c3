import Foundation
import LambdaWire

/// A validated Invoke API request head: which function, how to invoke it, what to pass on.
/// Pure: no I/O, so every rule the service applies to a request can be unit-tested.
public struct InvokeRequest: Equatable, Sendable {
    public var route: InvokeAPI.Route
    public var invocationType: InvokeAPI.InvocationType
    public var wantsLogTail: Bool
    /// The decoded `X-Amz-Client-Context` (a JSON object), passed to the runtime as Lambda-Runtime-Client-Context.
    public var clientContext: String?
    /// Content-Length, when the caller sent one.
    public var contentLength: Int?
    /// The caller's `X-Amzn-Trace-Id`, passed to the runtime as Lambda-Runtime-Trace-Id.
    public var traceID: String?
    /// The caller's `X-Amz-Tenant-Id` (tenant isolation mode), passed to the runtime as Lambda-Runtime-Aws-Tenant-Id.
    public var tenantID: String?

    /// The most payload bytes this request may carry.
    public var maxPayloadBytes: Int { invocationType.maxRequestBytes }

    public var operation: InvokeAPI.Operation { route.operation }

    /// Validates everything known from the request line and headers. `knownFunctions` answers whether a name is served.
    public static func parse(method: String, uri: String, headers: [(String, String)], region: String,
                             knownFunction: (String) -> Bool) -> Result<InvokeRequest, ServiceError> {
        func header(_ name: String) -> String? {
            let lower = name.lowercased()
            return headers.first { $0.0.lowercased() == lower }?.1
        }
        guard let route = InvokeAPI.Route(uri: uri) else {
            return .failure(.unknownOperation(method: method, path: uri))
        }
        guard method == "POST" else { return .failure(.unknownOperation(method: method, path: uri)) }
        guard knownFunction(route.functionName),
              route.qualifier == nil || route.qualifier == InvokeAPI.latestVersion else {
            let arn = InvokeAPI.functionARN(region: region, name: route.functionName)
            return .failure(.functionNotFound(arn: route.qualifier.map { "\(arn):\($0)" } ?? arn))
        }
        var type = InvokeAPI.InvocationType.requestResponse
        if let raw = header(InvokeAPI.Header.invocationType), !raw.isEmpty {
            guard let t = InvokeAPI.InvocationType(rawValue: raw) else {
                return .failure(.invalidParameter("1 validation error detected: Value '\(raw)' at 'invocationType' failed to satisfy "
                    + "constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"))
            }
            type = t
        }
        if route.operation == .invokeWithResponseStream, type == .event {
            return .failure(.invalidParameter("1 validation error detected: Value 'Event' at 'invocationType' failed to satisfy "
                + "constraint: Member must satisfy enum value set: [RequestResponse, DryRun]"))
        }
        var tail = false
        if let raw = header(InvokeAPI.Header.logType), !raw.isEmpty {
            guard raw == "None" || raw == "Tail" else {
                return .failure(.invalidParameter("1 validation error detected: Value '\(raw)' at 'logType' failed to satisfy "
                    + "constraint: Member must satisfy enum value set: [None, Tail]"))
            }
            tail = raw == "Tail" && type == .requestResponse
        }
        var context: String?
        if let raw = header(InvokeAPI.Header.clientContext), !raw.isEmpty {
            guard let bytes = Base64.decode(raw), isJSONObject(bytes) else { return .failure(.invalidClientContext()) }
            context = String(decoding: bytes, as: UTF8.self)
        }
        var length: Int?
        if let raw = header("Content-Length") { length = Int(raw) }
        let trace = header(InvokeAPI.Header.traceID).flatMap { $0.hasPrefix("Root=") ? $0 : nil }
        var tenant: String?
        if let raw = header(InvokeAPI.Header.tenantID) {
            guard InvokeAPI.isValidTenantID(raw) else {
                return .failure(.invalidParameter("1 validation error detected: Value '\(raw)' at 'tenantId' failed to satisfy "
                    + "constraint: Member must have length between 1 and 256 and match pattern \(InvokeAPI.tenantIDPattern)"))
            }
            tenant = raw
        }
        var request = InvokeRequest(route: route, invocationType: type, wantsLogTail: tail, clientContext: context,
                                    contentLength: length, traceID: trace)
        request.tenantID = tenant
        if let length, length > request.maxPayloadBytes {
            return .failure(.requestTooLarge(limit: request.maxPayloadBytes, operation: route.operation))
        }
        return .success(request)
    }

    /// The payload the function gets: an empty body becomes `{}`; anything else must be JSON.
    public static func validatePayload(_ bytes: [UInt8]) -> Result<[UInt8], ServiceError> {
        let trimmed = bytes.drop { $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }
        if trimmed.isEmpty { return .success(Array("{}".utf8)) }
        guard let failure = JSONCheck.check(bytes) else { return .success(bytes) }
        if failure.kind == .tooDeep {
            return .failure(.invalidJSON("Document nesting depth (\(JSONCheck.maxDepth + 1)) exceeds the maximum allowed "
                + "(\(JSONCheck.maxDepth)) at \(failure.location)"))
        }
        let token = String(decoding: trimmed.prefix(40).prefix { $0 != 0x0a && $0 != 0x20 }, as: UTF8.self)
        return .failure(.invalidJSON("Unrecognized token '\(token)': was expecting (JSON String, Number, Array, Object "
            + "or token 'null', 'true' or 'false'); the first error is at \(failure.location)"))
    }

    static func isJSONObject(_ bytes: [UInt8]) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(bytes), options: [])) is [String: Any]
    }
}
