import LambdaWire

/// Runtime API client over one keep-alive HTTP/1.1 connection (a blocking socket with TCP_NODELAY, see
/// `BlockingHTTPConnection`). Called from the interpreter's thread only.
public final class RuntimeHTTPClient: RuntimeAPIClient {
    let host: String
    let port: Int
    private var connection: BlockingHTTPConnection?
    /// Called on the calling thread when a signal interrupts a wait for the Runtime API (see
    /// `BlockingHTTPConnection.interrupted`).
    public var interrupted: (() -> Void)?

    /// `endpoint` is `AWS_LAMBDA_RUNTIME_API`: `host:port` (IPv6 hosts in brackets).
    public init(endpoint: String) throws {
        guard let colon = endpoint.lastIndex(of: ":"), colon != endpoint.startIndex,
              let port = Int(endpoint[endpoint.index(after: colon)...]), (1...65535).contains(port) else {
            throw RuntimeError(.invalidConfiguration, "AWS_LAMBDA_RUNTIME_API must be host:port, got '\(endpoint)'")
        }
        var host = String(endpoint[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host
        self.port = port
    }

    /// Opens the connection now (at start-up) so an unreachable Runtime API is reported at once.
    public func connect() throws { _ = try openConnection() }

    /// The live connection, or a new one after the previous one failed or was closed.
    private func openConnection() throws -> BlockingHTTPConnection {
        if let connection { return connection }
        let fresh = try BlockingHTTPConnection(host: host, port: port)
        fresh.interrupted = { [weak self] in self?.interrupted?() }
        connection = fresh
        return fresh
    }

    private struct Request {
        var method: String
        var uri: String
        var headers: [(String, String)] = []
        var body: [UInt8]? = nil
    }

    /// Request head bytes with the headers every request carries.
    private func headBytes(_ method: String, _ uri: String, _ extra: [(String, String)], length: Int?) -> [UInt8] {
        var headers = [("Host", "\(host):\(port)"), ("User-Agent", "perl-lambda")]
        if let length { headers.append(("Content-Length", String(length))) }
        headers += extra
        return HTTPRequestBytes.head(method: method, uri: uri, headers: headers)
    }

    /// Sends one request and reads its response. A GET whose connection was closed before any answer
    /// is retried once on a new connection (POSTs never are, so nothing is posted twice).
    private func roundTrip(_ request: Request) throws -> HTTPResponse {
        do {
            return try exchange(request)
        } catch let error as RuntimeError where error.code == .connectionClosed && request.method == "GET" {
            connection = nil
            return try exchange(request)
        }
    }

    private func exchange(_ request: Request) throws -> HTTPResponse {
        let connection = try openConnection()
        var bytes = headBytes(request.method, request.uri, request.headers, length: request.body?.count)
        if let body = request.body { bytes += body }
        do {
            try connection.send(bytes)
            let response = try connection.receive(for: "\(request.method) \(request.uri)")
            if !response.keepAlive { self.connection = nil }
            return response
        } catch {
            self.connection = nil
            throw error
        }
    }

    private func expectSuccess(_ response: HTTPResponse, _ what: String) throws {
        guard (200..<300).contains(response.status) else {
            let text = String(decoding: response.body.prefix(512), as: UTF8.self)
            throw RuntimeError(.rejected(status: response.status), "\(what) failed: HTTP \(response.status) \(text)")
        }
    }

    public func nextInvocation() throws -> (InvocationHeaders, [UInt8]) {
        let response = try roundTrip(Request(method: "GET", uri: RuntimeAPI.nextPath))
        try expectSuccess(response, "GET /next")
        return (try Self.invocation(response), response.body)
    }

    /// The invocation GET /next's answer describes (header names compared as `HTTPResponse.header` does).
    static func invocation(_ response: HTTPResponse) throws -> InvocationHeaders {
        try InvocationHeaders { response.header($0) }
    }

    public func sendResponse(requestID: String, body: [UInt8]) throws {
        let r = try roundTrip(Request(method: "POST", uri: RuntimeAPI.responsePath(requestID),
                                      headers: [("Content-Type", "application/json")], body: body))
        try expectSuccess(r, "POST response for \(requestID)")
    }

    public func sendError(requestID: String, errorType: String, document: [UInt8]) throws {
        try postError(RuntimeAPI.errorPath(requestID), errorType, document, "POST error for \(requestID)")
    }

    public func sendInitError(errorType: String, document: [UInt8]) throws {
        try postError(RuntimeAPI.initErrorPath, errorType, document, "POST init error")
    }

    private func postError(_ path: String, _ type: String, _ document: [UInt8], _ what: String) throws {
        let r = try roundTrip(Request(method: "POST", uri: path,
                                      headers: [("Content-Type", "application/json"),
                                                (RuntimeAPI.Header.functionErrorType, RuntimeAPI.headerSafe(type))],
                                      body: document))
        try expectSuccess(r, what)
    }

    public func startStream(requestID: String, contentType: String) throws -> RuntimeResponseStream {
        let connection = try openConnection()
        let uri = RuntimeAPI.responsePath(requestID)
        let bytes = headBytes("POST", uri, [
            ("Content-Type", RuntimeAPI.headerSafe(contentType)),
            ("Transfer-Encoding", "chunked"),
            ("Trailer", RuntimeAPI.streamingTrailer),
            (RuntimeAPI.Header.responseMode, RuntimeAPI.streamingMode),
        ], length: nil)
        do {
            try connection.send(bytes)
        } catch { self.connection = nil; throw error }
        return Stream(client: self, connection: connection, requestID: requestID)
    }

    private func dropConnection() { connection = nil }

    /// One streamed response body on the client's connection: each write is sent as one chunk at once.
    final class Stream: RuntimeResponseStream {
        private let client: RuntimeHTTPClient
        private let connection: BlockingHTTPConnection
        private let requestID: String

        init(client: RuntimeHTTPClient, connection: BlockingHTTPConnection, requestID: String) {
            self.client = client
            self.connection = connection
            self.requestID = requestID
        }

        private func guarded<T>(_ body: () throws -> T) throws -> T {
            do { return try body() } catch { client.dropConnection(); throw error }
        }

        func write(_ bytes: UnsafeRawBufferPointer) throws {
            let chunk = HTTPRequestBytes.chunk(bytes)
            if !chunk.isEmpty { try guarded { try connection.send(chunk) } }
        }

        func finish(error: (type: String, document: [UInt8])?) throws {
            var trailers: [(String, String)] = []
            if let error {
                trailers = [(RuntimeAPI.Header.functionErrorType, RuntimeAPI.headerSafe(error.type)),
                            (RuntimeAPI.Header.functionErrorBody, Base64.encode(error.document))]
            }
            let r = try guarded { () -> HTTPResponse in
                try connection.send(HTTPRequestBytes.lastChunk(trailers: trailers))
                return try connection.receive(for: "POST \(RuntimeAPI.responsePath(requestID))")
            }
            guard (200..<300).contains(r.status) else {
                throw RuntimeError(.rejected(status: r.status), "streamed response for \(requestID) failed: HTTP \(r.status)")
            }
        }
    }
}
