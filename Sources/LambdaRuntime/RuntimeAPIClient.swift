import LambdaWire

/// The runtime's view of the Runtime API. Blocking calls, made from the interpreter's thread.
/// The loop depends only on this protocol; tests can substitute their own implementation.
public protocol RuntimeAPIClient: AnyObject {
    /// Long-polls GET /next; returns the invocation's headers and event payload.
    func nextInvocation() throws -> (InvocationHeaders, [UInt8])
    func sendResponse(requestID: String, body: [UInt8]) throws
    func sendError(requestID: String, errorType: String, document: [UInt8]) throws
    func sendInitError(errorType: String, document: [UInt8]) throws
    /// Starts a streamed response (chunked POST with the streaming response mode).
    func startStream(requestID: String, contentType: String) throws -> RuntimeResponseStream
}

/// A response being streamed to the Runtime API.
public protocol RuntimeResponseStream: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Ends the body; with an error, sends the error trailers instead of a clean end.
    func finish(error: (type: String, document: [UInt8])?) throws
}


