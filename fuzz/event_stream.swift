// libFuzzer target: event-stream framing (InvokeWithResponseStream). Decoding arbitrary bytes must never crash;
// whatever decodes must encode back to exactly the bytes it was read from; and a message built from the input's
// bytes must decode to itself. Built by scripts/fuzz.sh.


@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventStream(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var rest = bytes[...]
    while let decoded = try? EventStreamMessage.decode(rest) {
        let encoded = decoded.message.encoded()
        precondition(encoded[...] == rest.prefix(decoded.consumed), "a decoded message encodes to other bytes")
        rest = rest.dropFirst(decoded.consumed)
    }
    // build one: a header from the first bytes, the rest as payload
    let split = min(size, Int(bytes.first ?? 0))
    let value = String(decoding: bytes.prefix(split), as: UTF8.self)
    let message = EventStreamMessage.event("PayloadChunk", contentType: value, payload: Array(bytes.dropFirst(split)))
    let encoded = message.encoded()
    guard let back = try? EventStreamMessage.decode(encoded[...]) else { preconditionFailure("an encoded message does not decode") }
    precondition(back.consumed == encoded.count && back.message == message, "an encoded message decodes to another")
    return 0
}
