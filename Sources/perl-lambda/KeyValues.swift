import ArgumentParser

/// KEY=VALUE arguments (`--env`, `--parameter`, `--query`), checked and read one way: the first `=` splits, the
/// value may be empty or hold more `=`, a later KEY wins.
enum KeyValues {
    /// For a command's `validate()`: each item must have a `=`.
    static func validate(_ items: [String], option: String, name: String = "KEY") throws {
        for item in items where !item.contains("=") {
            throw ValidationError("\(option) takes \(name)=VALUE, got '\(item)'")
        }
    }

    static func parse(_ items: [String]) -> [String: String] {
        var out: [String: String] = [:]
        for item in items {
            guard let eq = item.firstIndex(of: "=") else { continue }
            out[String(item[..<eq])] = String(item[item.index(after: eq)...])
        }
        return out
    }
}
