import Foundation

/// The two files users keep function variables in: `--env-file` (KEY=VALUE lines, as for `docker run --env-file`
/// and dotenv) and `--env-vars` (the AWS SAM CLI's JSON). Pure parsing; errors name the file and the line.
public enum EnvironmentFiles {

    /// `--env-file`: one `KEY=VALUE` per line. Blank lines and lines starting with `#` are skipped; a leading
    /// `export ` is allowed. KEY is a letter or `_` then letters, digits, `_`. VALUE is taken as written, surrounding
    /// blanks trimmed and an unquoted ` #` starting a comment, or quoted: `'…'` literally, `"…"` with `\n`, `\t`,
    /// `\"`, `\\` and `\$` escapes. Quotes are closed on the same line. A later KEY wins.
    public static func parseEnvFile(_ text: String, path: String) throws -> [String: String] {
        var out: [String: String] = [:]
        // "\r\n" is one Character in Swift: CRLF files are split on it too
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let lineNumber = index + 1
            var line = Substring(raw)
            if line.hasSuffix("\r") { line = line.dropLast() }
            line = line.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst(7).drop { $0 == " " || $0 == "\t" } }
            func fail(_ why: String) -> ProjectError {
                ProjectError(.environment, "\(path):\(lineNumber): \(why)")
            }
            guard let eq = line.firstIndex(of: "=") else {
                throw fail("expected KEY=VALUE, got '\(line.prefix(60))'")
            }
            let key = String(line[..<eq]).trimmingCharacters(in: .whitespaces)
            guard isVariableName(key) else {
                throw fail("'\(key)' is not a variable name (a letter or _, then letters, digits or _)")
            }
            out[key] = try value(line[line.index(after: eq)...], fail: fail)
        }
        return out
    }

    private static func value(_ raw: Substring, fail: (String) -> ProjectError) throws -> String {
        let v = raw.drop { $0 == " " || $0 == "\t" }
        guard let quote = v.first, quote == "\"" || quote == "'" else {
            // unquoted: a ` #` (or a leading #) starts a comment, as in dotenv
            var text = String(v)
            if text.hasPrefix("#") { return "" }
            if let hash = text.range(of: " #") ?? text.range(of: "\t#") { text = String(text[..<hash.lowerBound]) }
            return text.trimmingCharacters(in: .whitespaces)
        }
        var out = ""
        var i = v.index(after: v.startIndex)
        while i < v.endIndex {
            let c = v[i]
            if c == quote {
                let rest = v[v.index(after: i)...].trimmingCharacters(in: .whitespaces)
                guard rest.isEmpty || rest.hasPrefix("#") else {
                    throw fail("unexpected text after the closing \(quote): '\(rest.prefix(40))'")
                }
                return out
            }
            if quote == "\"", c == "\\", v.index(after: i) < v.endIndex {
                i = v.index(after: i)
                switch v[i] {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "\"", "\\", "$": out.append(v[i])
                default: out.append("\\"); out.append(v[i])
                }
            } else {
                out.append(c)
            }
            i = v.index(after: i)
        }
        throw fail("the value's \(quote) is not closed on its line")
    }

    static func isVariableName(_ s: String) -> Bool {
        guard let first = s.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
        return s.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func isLetter(_ c: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
    }
}

/// `--env-vars FILE`: the AWS SAM CLI's overrides, `{"Parameters": {…every function…}, "LogicalId": {…one function…}}`.
/// Read as `sam local invoke --env-vars` reads it (samcli/commands/local/lib/local_lambda.py, 1.170): a function's
/// own object (found by logical ID, else by its `FunctionName`) over `Parameters`; values become strings (`true`/
/// `false` for booleans, `""` for null, lists and objects); a file that is not JSON is read as KEY=VALUE lines
/// (global), as SAM does with .env files.
public struct SAMEnvironmentOverrides: Equatable, Sendable {
    public var parameters: [String: String]
    public var functions: [String: [String: String]]

    public init(parameters: [String: String] = [:], functions: [String: [String: String]] = [:]) {
        self.parameters = parameters
        self.functions = functions
    }

    /// The variables for one function: its own entry (by the first of `names` present) over `Parameters`.
    public func variables(for names: [String]) -> [String: String] {
        let own = names.lazy.compactMap { functions[$0] }.first ?? [:]
        return parameters.merging(own) { $1 }
    }

    public static func parse(_ data: Data, path: String) throws -> SAMEnvironmentOverrides {
        let text = String(decoding: data, as: UTF8.self)
        guard text.first(where: { !$0.isWhitespace }) == "{" else {
            return SAMEnvironmentOverrides(parameters: try EnvironmentFiles.parseEnvFile(text, path: path))
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw ProjectError(.environment, "\(path): not valid JSON (\(Self.reason(error)))")
        }
        guard let top = object as? [String: Any] else { throw ProjectError(.environment, "\(path): expected a JSON object") }
        var result = SAMEnvironmentOverrides()
        for (name, entry) in top {
            guard let vars = entry as? [String: Any] else {
                throw ProjectError(.environment, "\(path): \"\(name)\" must be an object of variables ({\"KEY\": \"value\"}), as in "
                    + "{\"Parameters\": {…}, \"FunctionLogicalId\": {…}}")
            }
            let strings = vars.mapValues(stringValue)
            if name == "Parameters" { result.parameters = strings } else { result.functions[name] = strings }
        }
        return result
    }

    /// SAM's `_stringify_value`: booleans lower-case, null/lists/objects blank, numbers as JSON wrote them.
    static func stringValue(_ v: Any) -> String {
        switch v {
        case let s as String: return s
        case let n as NSNumber:
            // JSON's true/false arrive as NSNumbers of type `c` (char); JSON numbers are `i`, `q` or `d`
            if String(cString: n.objCType) == "c" { return n.boolValue ? "true" : "false" }
            return n.stringValue
        default: return ""
        }
    }

    /// Foundation's JSON error with its position ("around line 3, column 7"), without the NSError wrapping.
    private static func reason(_ error: Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }
}
