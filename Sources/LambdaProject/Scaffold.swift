import Foundation

/// The starting points `perl-lambda init` offers.
public enum ScaffoldTemplate: String, CaseIterable, Sendable {
    /// A JSON-in, JSON-out handler.
    case hello
    /// A PSGI app behind AWS::Lambda::PSGI, with a Function URL.
    case psgi
    /// A streaming handler, with a RESPONSE_STREAM Function URL.
    case streaming

    public var summary: String {
        switch self {
        case .hello: return "a JSON handler"
        case .psgi: return "a PSGI web app (AWS::Lambda::PSGI) behind a Function URL"
        case .streaming: return "a response-streaming handler behind a RESPONSE_STREAM Function URL"
        }
    }
}

/// One file of a scaffold, path relative to the function's directory.
public struct ScaffoldFile: Equatable, Sendable {
    public var path: String
    public var contents: String
    public init(path: String, contents: String) {
        self.path = path
        self.contents = contents
    }
}

/// A new function project: what `perl-lambda init` writes.
public struct Scaffold: Sendable {
    public let template: ScaffoldTemplate
    /// The function's name (folder name by default): README title, Docker tag.
    public let name: String
    /// The SAM logical ID derived from `name`: what `serve --template` serves it under.
    public let logicalID: String
    /// `x86_64` or `arm64`.
    public let architecture: String

    public init(template: ScaffoldTemplate, name: String, architecture: String = Scaffold.hostArchitecture) {
        self.template = template
        self.name = name
        self.logicalID = Scaffold.logicalID(for: name)
        self.architecture = architecture
    }

    /// Lambda's architectures (`Architectures` in a SAM template).
    public static let architectures = ["x86_64", "arm64"]

    /// Lambda's name of this machine's architecture.
    public static var hostArchitecture: String {
        #if arch(arm64)
        return "arm64"
        #else
        return "x86_64"
        #endif
    }

    /// `my-func_2` → `MyFunc2`: alphanumeric, starting with a letter (CloudFormation logical IDs).
    public static func logicalID(for name: String) -> String {
        let words = name.split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }
        var id = words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        if id.isEmpty { id = "Function" }
        if let first = id.first, !first.isLetter { id = "Fn" + id }
        return id
    }

    /// A function name Lambda accepts (letters, digits, `-`, `_`; at most 64) made from a folder name.
    public static func functionName(from folder: String) -> String {
        let cleaned = String(folder.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "-" })
            .trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return cleaned.isEmpty ? "function" : String(cleaned.prefix(64))
    }

    /// Every file, in the order they are written.
    public var files: [ScaffoldFile] {
        var files = [ScaffoldFile(path: "handler.pl", contents: handlerSource)]
        if template == .psgi { files.append(ScaffoldFile(path: "app.psgi", contents: psgiApp)) }
        files += [
            ScaffoldFile(path: "t/handler.t", contents: handlerTest),
            ScaffoldFile(path: "cpanfile", contents: cpanfile),
            ScaffoldFile(path: "Makefile", contents: makefile),
            ScaffoldFile(path: "Dockerfile", contents: dockerfile),
            ScaffoldFile(path: ".dockerignore", contents: dockerignore),
            ScaffoldFile(path: "template.yaml", contents: samTemplate(image: false)),
            ScaffoldFile(path: "template-image.yaml", contents: samTemplate(image: true)),
            ScaffoldFile(path: "README.md", contents: readme),
        ]
        return files
    }

    public enum WriteAction: String, Sendable {
        case created = "create"
        case overwritten = "overwrite"
        /// The file existed and `force` was not given: left as it was.
        case kept = "exists"
    }

    /// Files of the scaffold already present in `directory`.
    public func existing(in directory: String) -> [String] {
        files.map(\.path).filter { FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent($0)) }
    }

    /// Writes the files under `directory` (created if missing). An existing file is kept unless `force`.
    /// Returns what was done to each path, in order.
    @discardableResult
    public func write(to directory: String, force: Bool = false) throws -> [(path: String, action: WriteAction)] {
        let fm = FileManager.default
        var done: [(path: String, action: WriteAction)] = []
        for file in files {
            let url = URL(fileURLWithPath: directory).appendingPathComponent(file.path)
            let existed = fm.fileExists(atPath: url.path)
            if existed && !force {
                done.append((file.path, .kept))
                continue
            }
            do {
                try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(file.contents.utf8).write(to: url)
            } catch {
                throw ProjectError(.scaffold, "cannot write \(url.path): \(error.localizedDescription)")
            }
            done.append((file.path, existed ? .overwritten : .created))
        }
        return done
    }

    // MARK: - Small files

    var cpanfile: String {
        var s = """
            # CPAN dependencies of \(name). Install them into ./local, which the runtime puts on @INC:
            #   cpanm --notest --local-lib-contained local --installdeps .      (or: carton install)
            # AWS::Lambda, AWS::Lambda::Context, AWS::Lambda::ResponseWriter and AWS::Lambda::PSGI come with the
            # perl-lambda runtime; list only what the handler itself uses.
            requires 'perl', '5.026';

            """
        if template == .psgi { s += "# requires 'Plack';   # for Plack::Request, middlewares, ...\n" }
        s += """

            on test => sub {
                requires 'Test::More', '0.98';
            };

            """
        return s
    }

    var dockerfile: String {
        """
        # Container image of \(name) on the perl-lambda runtime (PackageType: Image, see template-image.yaml).
        #   docker build -t \(name.lowercased()) .
        #   docker run --rm -p 9000:8080 \(name.lowercased())
        #   curl -XPOST localhost:9000/2015-03-31/functions/function/invocations -d '{}'
        #
        # CPAN dependencies (cpanfile) go to /var/task/local, which the runtime puts on @INC. To install them,
        # build them in a first stage and copy them over:
        #   FROM perl-lambda:build AS deps
        #   COPY cpanfile /var/task/
        #   RUN cpanm --notest --installdeps -L local .
        # then, after the FROM below:  COPY --from=deps /var/task/local /var/task/local
        FROM perl-lambda:base
        COPY . /var/task/
        CMD ["handler.handle"]

        """
    }

    var dockerignore: String {
        """
        .aws-sam
        .git
        Makefile
        t

        """
    }
}
