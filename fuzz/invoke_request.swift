// libFuzzer target: reading an Invoke API request (what serve does with a caller's request line, headers and body)
// — InvokeRequest.parse and the payload check (JSONCheck). The input is split at newlines
// into method, URI, header lines and the body. Nothing may crash; a payload JSONCheck accepts must be JSON to
// Foundation too where Foundation is not stricter than JSON itself. Built by scripts/fuzz.sh.
import Foundation
import LambdaWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInvokeRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let lines = bytes.split(separator: 0x0a, maxSplits: 8, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    let method = lines.first ?? "POST"
    let uri = lines.count > 1 ? lines[1] : "/"
    var headers: [(String, String)] = []
    for line in lines.dropFirst(2).dropLast() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
    }
    _ = InvokeRequest.parse(method: method, uri: uri, headers: headers, region: "us-east-1", knownFunction: { $0 == "function" })
    let body = Array(lines.last.map { $0.utf8 } ?? "".utf8)
    for payload in [bytes, body] {
        if case .success = InvokeRequest.validatePayload(payload), JSONCheck.check(payload) == nil {
            let shallow = payload.reduce(into: (depth: 0, max: 0)) { s, b in
                if b == UInt8(ascii: "[") || b == UInt8(ascii: "{") { s.depth += 1; s.max = max(s.max, s.depth) }
                if b == UInt8(ascii: "]") || b == UInt8(ascii: "}") { s.depth -= 1 }
            }.max < 400
            // Foundation also refuses numbers that overflow a Double and lone surrogate escapes, which JSON allows
            // (and the service accepts): compare only texts with neither an exponent nor a \u escape
            let plain = !payload.contains(UInt8(ascii: "e")) && !payload.contains(UInt8(ascii: "E"))
                && !payload.contains(UInt8(ascii: "\\"))
            if shallow && plain {
                precondition((try? JSONSerialization.jsonObject(with: Data(payload), options: [.fragmentsAllowed])) != nil
                             || payload.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }),
                             "JSONCheck accepted what Foundation refuses")
            }
        }
    }
    return 0
}
