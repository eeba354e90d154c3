/// Checks that an Invoke API payload is one JSON text (RFC 8259, UTF-8) without building it, and says what is wrong
/// and where. The service parses payloads with a nesting limit of 1,000 (Jackson's default); Foundation's parser
/// stops at 512 and only says it failed, so a 600-deep event was refused as an "Unrecognized token".
enum JSONCheck {
    static let maxDepth = 1000

    struct Failure: Equatable {   // a finding returned, not thrown
        enum Kind: Equatable {
            case tooDeep
            case syntax
        }
        var kind: Kind
        /// Byte offset of the problem, and its 1-based line and column (in bytes).
        var offset: Int
        var line: Int
        var column: Int

        /// "line 1, column 7" — where the problem is.
        var location: String { "line \(line), column \(column)" }
    }

    /// nil when `bytes` is valid JSON.
    static func check(_ bytes: [UInt8]) -> Failure? {
        var scanner = Scanner(bytes: bytes)
        return scanner.run()
    }

    private struct Scanner {
        let bytes: [UInt8]
        var i = 0
        /// What the enclosing containers expect next; the stack's depth is the nesting depth.
        var stack: [UInt8] = []   // '[' or '{'

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func run() -> Failure? {
            skipSpace()
            if let f = value() { return f }
            skipSpace()
            return i == bytes.count ? nil : fail(.syntax)
        }

        func fail(_ kind: Failure.Kind) -> Failure {
            var line = 1, lineStart = 0
            for (n, b) in bytes[..<min(i, bytes.count)].enumerated() where b == 0x0a {
                line += 1
                lineStart = n + 1
            }
            return Failure(kind: kind, offset: i, line: line, column: i - lineStart + 1)
        }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0a || bytes[i] == 0x0d || bytes[i] == 0x09 { i += 1 }
        }

        /// One value; containers iteratively (an explicit stack, so hostile nesting cannot exhaust the thread's).
        mutating func value() -> Failure? {
            while true {
                guard i < bytes.count else { return fail(.syntax) }
                switch bytes[i] {
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    guard stack.count < JSONCheck.maxDepth else { return fail(.tooDeep) }
                    let open = bytes[i]
                    stack.append(open)
                    i += 1
                    skipSpace()
                    let close: UInt8 = open == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: "}")
                    if i < bytes.count, bytes[i] == close {
                        i += 1
                        stack.removeLast()
                    } else {
                        if open == UInt8(ascii: "{"), let f = key() { return f }
                        continue   // the first element
                    }
                case UInt8(ascii: "\""):
                    if let f = string() { return f }
                case UInt8(ascii: "t"): if let f = literal("true") { return f }
                case UInt8(ascii: "f"): if let f = literal("false") { return f }
                case UInt8(ascii: "n"): if let f = literal("null") { return f }
                default:
                    if let f = number() { return f }
                }
                // after a value: close containers or go on to the next element
                while let top = stack.last {
                    skipSpace()
                    guard i < bytes.count else { return fail(.syntax) }
                    let close: UInt8 = top == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: "}")
                    if bytes[i] == close {
                        i += 1
                        stack.removeLast()
                        continue
                    }
                    guard bytes[i] == UInt8(ascii: ",") else { return fail(.syntax) }
                    i += 1
                    skipSpace()
                    if top == UInt8(ascii: "{"), let f = key() { return f }
                    break
                }
                if stack.isEmpty { return nil }
            }
        }

        /// `"key"` `:` with the spaces around them; leaves `i` at the member's value.
        mutating func key() -> Failure? {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return fail(.syntax) }
            if let f = string() { return f }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return fail(.syntax) }
            i += 1
            skipSpace()
            return nil
        }

        mutating func literal(_ word: StaticString) -> Failure? {
            let n = word.utf8CodeUnitCount
            guard i + n <= bytes.count else { return fail(.syntax) }
            for k in 0..<n where bytes[i + k] != word.utf8Start[k] { return fail(.syntax) }
            i += n
            return nil
        }

        mutating func digits() -> Int {
            let start = i
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
            return i - start
        }

        mutating func number() -> Failure? {
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < bytes.count else { return fail(.syntax) }
            if bytes[i] == UInt8(ascii: "0") { i += 1 } else if digits() == 0 { return fail(.syntax) }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                if digits() == 0 { return fail(.syntax) }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                if digits() == 0 { return fail(.syntax) }
            }
            return nil
        }

        /// A string from its opening quote: escapes, no raw control characters, well-formed UTF-8.
        mutating func string() -> Failure? {
            i += 1
            while i < bytes.count {
                let b = bytes[i]
                switch b {
                case UInt8(ascii: "\""):
                    i += 1
                    return nil
                case UInt8(ascii: "\\"):
                    i += 1
                    guard i < bytes.count else { return fail(.syntax) }
                    switch bytes[i] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                         UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        i += 1
                    case UInt8(ascii: "u"):
                        guard i + 4 < bytes.count, bytes[(i + 1)...(i + 4)].allSatisfy(\.isHexDigit) else { return fail(.syntax) }
                        i += 5
                    default:
                        return fail(.syntax)
                    }
                case 0..<0x20:
                    return fail(.syntax)
                case 0x20..<0x80:
                    i += 1
                default:
                    if let f = utf8Sequence() { return f }
                }
            }
            return fail(.syntax)
        }

        /// One multi-byte UTF-8 sequence (no overlongs, no surrogates, at most U+10FFFF).
        mutating func utf8Sequence() -> Failure? {
            let b0 = bytes[i]
            let (count, low, high): (Int, UInt8, UInt8)
            switch b0 {
            case 0xC2...0xDF: (count, low, high) = (2, 0x80, 0xBF)
            case 0xE0: (count, low, high) = (3, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (count, low, high) = (3, 0x80, 0xBF)
            case 0xED: (count, low, high) = (3, 0x80, 0x9F)
            case 0xF0: (count, low, high) = (4, 0x90, 0xBF)
            case 0xF1...0xF3: (count, low, high) = (4, 0x80, 0xBF)
            case 0xF4: (count, low, high) = (4, 0x80, 0x8F)
            default: return fail(.syntax)
            }
            guard i + count <= bytes.count, (low...high).contains(bytes[i + 1]) else { return fail(.syntax) }
            for k in 2..<max(2, count) where !(0x80...0xBF).contains(bytes[i + k]) { return fail(.syntax) }
            i += count
            return nil
        }
    }
}

private extension UInt8 {
    var isHexDigit: Bool { (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self) }
}
