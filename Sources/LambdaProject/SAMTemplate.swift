import Foundation
import Yams

/// One `AWS::Serverless::Function` of a SAM template, with `Globals.Function` applied and the values a local
/// run needs resolved (parameters' defaults, `!Ref`, `!Sub`, `!Join`). Paths are absolute.
public struct SAMFunction: Equatable, Sendable {
    public enum PackageType: String, Sendable { case zip = "Zip", image = "Image" }

    /// The resource's logical ID: the name `serve` serves it under.
    public var logicalID: String
    public var packageType: PackageType
    /// `Handler` (zip) or the first item of `ImageConfig.Command` (image); nil when the template has none.
    public var handler: String?
    public var runtime: String?
    /// The code directory: `CodeUri` (zip) or `Metadata.DockerContext` (image), resolved against the template's folder.
    public var codeDirectory: String
    public var timeout: Double?
    public var memorySize: Int?
    /// `Environment.Variables`, globals merged under the function's own.
    public var environment: [String: String]
    /// The names of every variable `Environment.Variables` declares, including those whose value cannot be known
    /// locally (missing from `environment`): what `--env-vars` may set, as with the AWS SAM CLI.
    public var declaredVariables: Set<String> = []
    public var architectures: [String]
    /// The `FunctionName` property when it is a literal.
    public var functionName: String?
    /// `FunctionUrlConfig.InvokeMode` (`BUFFERED` when not given) if the function has a Function URL.
    public var functionURLInvokeMode: String?
    /// `Layers` that are `!Ref`s to the template's own `AWS::Serverless::LayerVersion` resources with a local
    /// `ContentUri`: their directories, in order (others are skipped with a warning).
    public var layers: [String] = []
    /// `TenancyConfig.TenantIsolationMode` (`PER_TENANT`, the only mode Lambda has) when the function has one.
    public var tenantIsolationMode: String?

    public init(logicalID: String, packageType: PackageType = .zip, handler: String? = nil, runtime: String? = nil,
                codeDirectory: String, timeout: Double? = nil, memorySize: Int? = nil, environment: [String: String] = [:],
                architectures: [String] = [], functionName: String? = nil, functionURLInvokeMode: String? = nil) {
        self.logicalID = logicalID
        self.packageType = packageType
        self.handler = handler
        self.runtime = runtime
        self.codeDirectory = codeDirectory
        self.timeout = timeout
        self.memorySize = memorySize
        self.environment = environment
        self.architectures = architectures
        self.functionName = functionName
        self.functionURLInvokeMode = functionURLInvokeMode
    }
}


/// The functions of a SAM (or CloudFormation + SAM transform) template, read for running them locally.
public struct SAMTemplate: Sendable {
    public static let functionType = "AWS::Serverless::Function"
    public static let layerType = "AWS::Serverless::LayerVersion"

    /// In the template's order.
    public var functions: [SAMFunction]
    /// What was skipped or could not be resolved (an S3 CodeUri, a `!GetAtt` in an environment variable, ...).
    public var warnings: [String]

    public func function(named logicalID: String) -> SAMFunction? { functions.first { $0.logicalID == logicalID } }

    /// Reads `path`; CodeUri and DockerContext are relative to its folder.
    public static func load(path: String, parameters: [String: String] = [:], region: String = "us-east-1") throws -> SAMTemplate {
        let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ProjectError(.template, "cannot read the template '\(path)'")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ProjectError(.template, "\(path) is not UTF-8 text") }
        return try parse(yaml: text, directory: url.deletingLastPathComponent().path, parameters: parameters, region: region)
    }

    /// Parses template text. `parameters` override the template's `Parameters` defaults (`!Ref` resolution).
    public static func parse(yaml: String, directory: String, parameters: [String: String] = [:],
                             region: String = "us-east-1") throws -> SAMTemplate {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ProjectError(.template, "the template is not valid YAML: \(error)")
        }
        guard let root, root.mapping != nil else { throw ProjectError(.template, "the template is not a YAML mapping") }
        guard let resources = root["Resources"]?.mapping else { throw ProjectError(.template, "the template has no Resources") }

        var scope = Resolver(region: region)
        for (key, value) in root["Parameters"]?.mapping ?? [:] {
            guard let name = key.string else { continue }
            if let given = parameters[name] {
                scope.values[name] = given
            } else if let def = value["Default"], let text = scope.scalarText(def) {
                scope.values[name] = text
            }
        }
        for (key, resource) in resources {
            guard let id = key.string, resource["Type"]?.string == layerType else { continue }
            scope.layer(id: id, resource: resource, directory: directory)
        }
        let globals = root["Globals"]?["Function"]
        var functions: [SAMFunction] = []
        for (key, resource) in resources {
            guard let id = key.string, resource["Type"]?.string == functionType else { continue }
            if let f = try scope.function(id: id, resource: resource, globals: globals, directory: directory) {
                functions.append(f)
            }
        }
        var seen = Set<String>()
        return SAMTemplate(functions: functions, warnings: scope.warnings.filter { seen.insert($0).inserted })
    }
}

/// Resolves the intrinsic functions a local run can know the value of.
private struct Resolver {
    var values: [String: String] = [:]
    var warnings: [String] = []
    /// The template's layers with a local ContentUri: logical ID → directory.
    var layerDirectories: [String: String] = [:]
    let pseudo: [String: String]

    init(region: String) {
        pseudo = ["AWS::Region": region, "AWS::AccountId": "012345678912", "AWS::Partition": "aws",
                  "AWS::StackName": "local", "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": ""]
    }

    /// A plain scalar's text (no intrinsic).
    func scalarText(_ node: Node) -> String? {
        guard let s = node.scalar, !node.tag.rawValue.hasPrefix("!") else { return nil }
        return s.string
    }

    func ref(_ name: String) -> String? { values[name] ?? pseudo[name] }

    /// The node's value as text, or nil (with a warning naming `what`) when it cannot be known locally.
    mutating func text(_ node: Node, _ what: String) -> String? {
        let tag = node.tag.rawValue
        if tag.hasPrefix("!") { return intrinsic(String(tag.dropFirst()), node, what) }
        if let s = node.scalar { return s.string }
        if let m = node.mapping, m.count == 1, let entry = m.first, let k = entry.key.string {
            let v = entry.value
            if k == "Ref" { return intrinsic("Ref", v, what) }
            if k.hasPrefix("Fn::") { return intrinsic(String(k.dropFirst(4)), v, what) }
        }
        warnings.append("\(what): not a single value; ignored")
        return nil
    }

    private mutating func intrinsic(_ name: String, _ arg: Node, _ what: String) -> String? {
        switch name {
        case "Ref":
            if let n = arg.scalar?.string, let v = ref(n) { return v }
        case "Sub":
            if let s = arg.scalar?.string, let v = substitute(s, [:]) { return v }
            if let seq = arg.sequence, seq.count == 2, let s = seq[0].scalar?.string {
                var vars: [String: String] = [:]
                for (k, v) in seq[1].mapping ?? [:] {
                    if let key = k.string, let value = text(v, what) { vars[key] = value }
                }
                if let v = substitute(s, vars) { return v }
            }
        case "Join":
            if let seq = arg.sequence, seq.count == 2, let sep = seq[0].scalar?.string, let items = seq[1].sequence {
                var parts: [String] = []
                for item in items {
                    guard let t = text(item, what) else { return nil }
                    parts.append(t)
                }
                return parts.joined(separator: sep)
            }
        default:
            break
        }
        warnings.append("\(what): !\(name) cannot be resolved locally; ignored")
        return nil
    }

    /// `${Name}` → a parameter, pseudo parameter or `vars` entry; `${!Literal}` → `${Literal}`.
    private func substitute(_ s: String, _ vars: [String: String]) -> String? {
        var out = ""
        var rest = Substring(s)
        while let open = rest.range(of: "${") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { return nil }
            let name = String(rest[open.upperBound..<close])
            if name.hasPrefix("!") {
                out += "${" + name.dropFirst() + "}"
            } else if let v = vars[name] ?? ref(name) {
                out += v
            } else {
                return nil
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    mutating func number(_ node: Node?, _ what: String) -> Double? {
        guard let node, let t = text(node, what) else { return nil }
        guard let d = Double(t.trimmingCharacters(in: .whitespaces)) else {
            warnings.append("\(what): '\(t)' is not a number; ignored")
            return nil
        }
        return d
    }

    mutating func variables(_ node: Node?, _ what: String) -> [String: String] {
        var vars: [String: String] = [:]
        for (k, v) in node?["Variables"]?.mapping ?? [:] {
            guard let key = k.string else { continue }
            if let value = text(v, "\(what) Environment.Variables.\(key)") { vars[key] = value }
        }
        return vars
    }

    mutating func function(id: String, resource: Node, globals: Node?, directory: String) throws -> SAMFunction? {
        let props = resource["Properties"]
        /// A property of the function, else of Globals.Function.
        func prop(_ name: String) -> Node? { props?[name] ?? globals?[name] }
        let what = id
        let packageType = prop("PackageType").flatMap { text($0, "\(what) PackageType") } ?? "Zip"
        var f = SAMFunction(logicalID: id, codeDirectory: directory)
        f.runtime = prop("Runtime").flatMap { text($0, "\(what) Runtime") }
        f.timeout = number(prop("Timeout"), "\(what) Timeout")
        f.memorySize = number(prop("MemorySize"), "\(what) MemorySize").map { Int($0) }
        f.environment = variables(globals?["Environment"], "Globals.Function")
            .merging(variables(props?["Environment"], what)) { $1 }
        f.declaredVariables = Set([globals?["Environment"], props?["Environment"]].flatMap { env in
            (env?["Variables"]?.mapping ?? [:]).compactMap { $0.key.string }
        })
        f.architectures = (prop("Architectures")?.sequence).map { seq in seq.compactMap { text($0, "\(what) Architectures") } } ?? []
        f.functionName = props?["FunctionName"].flatMap { scalarText($0) }
        if let url = prop("FunctionUrlConfig") {
            f.functionURLInvokeMode = url["InvokeMode"].flatMap { text($0, "\(what) FunctionUrlConfig.InvokeMode") } ?? "BUFFERED"
        }
        if let tenancy = prop("TenancyConfig") {
            let mode = tenancy["TenantIsolationMode"].flatMap { text($0, "\(what) TenancyConfig.TenantIsolationMode") }
            if mode == "PER_TENANT" {
                f.tenantIsolationMode = mode
            } else {
                warnings.append("\(what): TenancyConfig.TenantIsolationMode '\(mode ?? "")' is not PER_TENANT; ignored")
            }
        }

        for item in prop("Layers")?.sequence ?? [] {
            let name = item.tag.rawValue == "!Ref" ? item.scalar?.string
                : item.mapping.flatMap { $0.count == 1 ? $0["Ref"]?.scalar?.string : nil }
            if let name, let dir = layerDirectories[name] {
                f.layers.append(dir)
            } else {
                let shown = name ?? item.scalar?.string ?? "an entry"
                warnings.append("\(id): layer \(shown) is not a local \(SAMTemplate.layerType) of this template; not used")
            }
        }

        if packageType == "Image" {
            f.packageType = .image
            let context = resource["Metadata"]?["DockerContext"].flatMap { text($0, "\(what) Metadata.DockerContext") } ?? "."
            f.codeDirectory = Self.absolute(context, in: directory)
            f.handler = props?["ImageConfig"]?["Command"]?.sequence?.first.flatMap { text($0, "\(what) ImageConfig.Command") }
            return f
        }
        if props?["InlineCode"] != nil {
            warnings.append("\(id): InlineCode functions are not served locally; skipped")
            return nil
        }
        f.handler = prop("Handler").flatMap { text($0, "\(what) Handler") }
        if let code = prop("CodeUri") {
            guard code.mapping == nil, let uri = text(code, "\(what) CodeUri") else {
                warnings.append("\(id): CodeUri is not a local path (an S3 location?); skipped")
                return nil
            }
            if uri.hasPrefix("s3://") {
                warnings.append("\(id): CodeUri \(uri) is in S3; skipped")
                return nil
            }
            f.codeDirectory = Self.absolute(uri, in: directory)
        }
        return f
    }

    /// An `AWS::Serverless::LayerVersion`: its `ContentUri` when it is a local folder.
    mutating func layer(id: String, resource: Node, directory: String) {
        guard let content = resource["Properties"]?["ContentUri"], content.mapping == nil,
              let uri = text(content, "\(id) ContentUri"), !uri.hasPrefix("s3://") else {
            warnings.append("\(id): ContentUri is not a local folder; the layer is not used")
            return
        }
        layerDirectories[id] = Self.absolute(uri, in: directory)
    }

    static func absolute(_ path: String, in directory: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true)).standardizedFileURL.path
    }
}
