/// A Perl function's handler string (`_HANDLER`, the bootstrap's first argument, an image's CMD, a SAM
/// `Handler`), parsed once. The grammar, which every command (`serve`, `invoke`, `package`, `image build`)
/// and the bootstrap use through this type:
///
///     FILE.FUNCTION    FILE.pl is loaded from the task root (FILE may contain `/`: `lib/api.handle` loads
///                      lib/api.pl); the handler splits at its first `.`, so FILE has no dot of its own.
///                      FUNCTION is looked up in package main, or is package-qualified
///                      (`handler.My::App::handle`, the sub handle of package My::App, which FILE defines).
///     PATH.psgi        a PSGI application file (anything ending in `.psgi`: `app.psgi`, `web/app.psgi`,
///                      or an absolute path), served through AWS::Lambda::PSGI. `.psgi` wins over
///                      FILE.FUNCTION: `app.psgi` is never the function `psgi` of app.pl.
///
/// FILE, FUNCTION and PATH must not be empty; FILE must not start with `/`. The same text is in README.md ("The handler").
public struct HandlerName: Equatable, Sendable, CustomStringConvertible {
    /// The handler as given (`handler.handle`, `app.psgi`).
    public let text: String
    /// The file the runtime loads, relative to the task root (`handler.pl`, `app.psgi`), or absolute for an
    /// absolute `.psgi` path.
    public let file: String
    /// The Perl function (`handle`, `My::App::handle`); nil for a `.psgi` handler.
    public let function: String?

    public var isPSGI: Bool { function == nil }
    /// True when FUNCTION names its package (`My::App::handle`) instead of a sub of main.
    public var isPackageQualified: Bool { function?.contains("::") ?? false }
    public var description: String { text }

    /// What an invalid handler's error says the grammar is.
    public static let expected = "expected FILE.FUNCTION (e.g. handler.handle) or a .psgi file (e.g. app.psgi)"

    public init(parsing text: String) throws {
        let invalid = WireError(.invalidHandler, "invalid handler '\(text)': \(Self.expected)")
        if text.hasSuffix(".psgi") {
            guard text.count > ".psgi".count, !text.hasSuffix("/.psgi") else { throw invalid }
            self.text = text
            self.file = text
            self.function = nil
            return
        }
        guard let dot = text.firstIndex(of: "."), dot != text.startIndex, text.index(after: dot) != text.endIndex
        else { throw invalid }
        guard !text.hasPrefix("/") else {
            throw WireError(.invalidHandler, "invalid handler '\(text)': FILE is relative to the task root (e.g. lib/api.handle)")
        }
        self.text = text
        self.file = String(text[..<dot]) + ".pl"
        self.function = String(text[text.index(after: dot)...])
    }

    /// The file's path under `taskRoot` (an absolute `.psgi` path is itself).
    public func path(inTaskRoot taskRoot: String) -> String {
        if file.hasPrefix("/") { return file }
        return taskRoot.hasSuffix("/") ? taskRoot + file : taskRoot + "/" + file
    }

    /// Whether some handler loads the file at `relativePath` (relative to the task root): a `.psgi` file, or
    /// FILE.pl where FILE has no dot (the handler splits at its first dot, so `a.b.pl` is never loaded).
    public static func loads(_ relativePath: String) -> Bool {
        if relativePath.hasSuffix(".psgi") { return (try? HandlerName(parsing: relativePath)) != nil }
        guard relativePath.hasSuffix(".pl") else { return false }
        let stem = relativePath.dropLast(".pl".count)
        return (try? HandlerName(parsing: stem + ".f"))?.file == relativePath
    }

    /// The file's path relative to the task root, when it lies inside it (nil for an absolute `.psgi` path).
    public var relativeFile: String? { file.hasPrefix("/") ? nil : file }
}
