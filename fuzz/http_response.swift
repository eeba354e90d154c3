// libFuzzer target: the bootstrap's HTTP/1.1 response parser (HTTPResponseParser), which reads whatever the
// Runtime API endpoint sends. The input is fed in pieces whose sizes come from its first byte, and again whole:
// both ways must give the same responses and the same error, and nothing may crash. Built by scripts/fuzz.sh.


private func parse(_ bytes: ArraySlice<UInt8>, step: Int, head: Bool) -> ([HTTPResponse], String?) {
    var parser = HTTPResponseParser()
    var out: [HTTPResponse] = []
    var i = bytes.startIndex
    do {
        while i < bytes.endIndex {
            let end = min(bytes.endIndex, i + step)
            parser.append(bytes[i..<end])
            i = end
            while let r = try parser.next(headRequest: head) { out.append(r) }
        }
        parser.finish()
        while let r = try parser.next(headRequest: head) { out.append(r) }
        return (out, nil)
    } catch {
        return (out, "\(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPResponse(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let step = Int(bytes[0] & 0x3f) + 1
    let head = bytes[0] & 0x40 != 0
    let whole = parse(bytes[1...], step: size, head: head)
    let pieces = parse(bytes[1...], step: step, head: head)
    // a piecewise read may stop earlier only where the error is found: the responses before it are the same
    precondition(whole.0 == pieces.0, "piecewise and whole parses differ: \(whole.0.count) vs \(pieces.0.count) responses")
    precondition((whole.1 == nil) == (pieces.1 == nil), "one parse failed, the other did not: \(whole.1 ?? "-") / \(pieces.1 ?? "-")")
    for r in whole.0 {
        precondition((100...999).contains(r.status), "status \(r.status)")
    }
    return 0
}
