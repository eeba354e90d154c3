import Foundation

/// A validated subscription request of the Telemetry API or the Logs API: what to send, where, and how to batch.
struct TelemetrySubscription: Equatable {
    enum Category: String, CaseIterable, Equatable {
        case platform, function, `extension`
    }

    struct Buffering: Equatable {
        var maxItems: Int
        var maxBytes: Int
        var timeoutMs: Int
    }

    /// Why a subscription request was refused: the 400 answer's `errorType` and `errorMessage`.
    struct Refusal: Error, Equatable {
        var status: Int
        var errorType: String
        var message: String
    }

    var api: TelemetryAPIKind
    var schemaVersion: String
    var types: [Category]
    var buffering: Buffering
    /// Where batches go: loopback host, port and path (`sandbox.localdomain` is the execution environment itself).
    var host: String
    var port: Int
    var path: String

    /// Hosts that name the execution environment itself. Lambda sends telemetry only to destinations inside it;
    /// `sandbox.localdomain` is its documented name, resolved here to the loopback.
    static let localHosts: Set<String> = ["sandbox.localdomain", "localhost", "127.0.0.1"]

    /// Parses and checks a subscription body. Every problem found is reported in one message, `; `-separated, as
    /// AWS's example error does ("URI port is not provided; types should not be empty").
    static func parse(_ body: [UInt8], api: TelemetryAPIKind) -> Result<TelemetrySubscription, Refusal> {
        func refuse(_ problems: [String]) -> Result<TelemetrySubscription, Refusal> {
            .failure(Refusal(status: 400, errorType: api.validationErrorType, message: problems.joined(separator: "; ")))
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return refuse(["the request body is not a JSON object"])
        }
        var problems: [String] = []

        var schema = api.defaultSchemaVersion ?? ""
        switch object["schemaVersion"] {
        case nil where api.defaultSchemaVersion != nil: break
        case nil: problems.append("schemaVersion is required")
        case let s as String where api.schemaVersions.contains(s): schema = s
        default: problems.append("schemaVersion must be one of \(api.schemaVersions.joined(separator: ", "))")
        }

        var host = "", port = 0, path = "/"
        if let destination = object["destination"] as? [String: Any] {
            switch destination["protocol"] as? String {
            case "HTTP":
                if let uri = destination["URI"] as? String {
                    switch parseURI(uri) {
                    case .success(let d): (host, port, path) = d
                    case .failure(let problem): problems.append(problem.message)
                    }
                } else {
                    problems.append("destination.URI is required")
                }
            case "TCP":
                problems.append("destination.protocol TCP is not supported by perl-lambda serve; use HTTP")
            default:
                problems.append("destination.protocol must be HTTP or TCP")
            }
        } else {
            problems.append("destination is required")
        }

        var types: [Category] = []
        if let list = object["types"] as? [Any] {
            for t in list {
                if let s = t as? String, let c = Category(rawValue: s) {
                    if !types.contains(c) { types.append(c) }
                } else {
                    problems.append("types: \(t) is not one of platform, function, extension")
                }
            }
            if list.isEmpty { problems.append("types should not be empty") }
        } else {
            problems.append(object["types"] == nil ? "types is required" : "types must be an array of strings")
        }

        var buffering = Buffering(maxItems: api.maxItems.default, maxBytes: api.maxBytes.default,
                                  timeoutMs: api.timeoutMs.default)
        if let b = object["buffering"] {
            if let b = b as? [String: Any] {
                func bound(_ key: String, _ limits: (min: Int, max: Int, default: Int), _ into: inout Int) {
                    guard let v = b[key] else { return }
                    guard !(v is Bool), let n = v as? NSNumber, n.doubleValue == n.doubleValue.rounded() else {
                        problems.append("buffering.\(key) must be an integer")
                        return
                    }
                    let i = n.intValue
                    if i < limits.min || i > limits.max {
                        problems.append("buffering.\(key) must be between \(limits.min) and \(limits.max), got \(i)")
                    } else {
                        into = i
                    }
                }
                bound("maxItems", api.maxItems, &buffering.maxItems)
                bound("maxBytes", api.maxBytes, &buffering.maxBytes)
                bound("timeoutMs", api.timeoutMs, &buffering.timeoutMs)
            } else {
                problems.append("buffering must be an object")
            }
        }

        if !problems.isEmpty { return refuse(problems) }
        return .success(TelemetrySubscription(api: api, schemaVersion: schema, types: types, buffering: buffering,
                                              host: host, port: port, path: path))
    }

    private struct URIProblem: Error { var message: String }

    /// `http://sandbox.localdomain:PORT[/PATH]`: HTTP only (not HTTPS), a port required, a host inside the
    /// execution environment.
    private static func parseURI(_ uri: String) -> Result<(String, Int, String), URIProblem> {
        guard let c = URLComponents(string: uri), let scheme = c.scheme?.lowercased() else {
            return .failure(URIProblem(message: "destination.URI \(uri) is not a URI"))
        }
        guard scheme == "http" else {
            return .failure(URIProblem(message: "destination.URI must use http (Lambda delivers over HTTP, not HTTPS)"))
        }
        guard let host = c.host?.lowercased(), localHosts.contains(host) else {
            return .failure(URIProblem(message: "destination.URI host must be sandbox.localdomain (telemetry is delivered only inside the execution environment)"))
        }
        guard let port = c.port else { return .failure(URIProblem(message: "URI port is not provided")) }
        guard (1...65535).contains(port) else {
            return .failure(URIProblem(message: "destination.URI port \(port) is out of range"))
        }
        var path = c.percentEncodedPath.isEmpty ? "/" : c.percentEncodedPath
        if let q = c.percentEncodedQuery { path += "?" + q }
        return .success((host, port, path))
    }
}
