import ArgumentParser
import LambdaEmulator

extension SampleEvent: ExpressibleByArgument {}

/// Options shaping a generated sample event (`invoke --event`, `generate-event`).
struct EventOptions: ParsableArguments {
    @Option(name: .long, help: "HTTP method of API Gateway, ALB and Function URL events.")
    var method: String = "GET"

    @Option(name: .long, help: "Request path of HTTP events.")
    var path: String = "/"

    @Option(name: .long, help: "Request body of HTTP events; message of SQS/SNS; detail (JSON) of EventBridge.")
    var body: String?

    @Option(name: .long, help: ArgumentHelp("A request header of HTTP events.", valueName: "NAME:VALUE"))
    var header: [String] = []

    @Option(name: .long, help: ArgumentHelp("A query string parameter of HTTP events.", valueName: "NAME=VALUE"))
    var query: [String] = []

    @Option(name: .long, help: "Bucket of S3 events.")
    var bucket: String = "example-bucket"

    @Option(name: .long, help: "Object key of S3 events.")
    var key: String = "example/key.txt"

    func validate() throws {
        for h in header where !h.contains(":") { throw ValidationError("--header takes NAME:VALUE, got '\(h)'") }
        try KeyValues.validate(query, option: "--query", name: "NAME")
    }

    func options(region: String) -> SampleEvent.Options {
        var o = SampleEvent.Options()
        o.method = method.uppercased()
        o.path = path.hasPrefix("/") ? path : "/" + path
        o.body = body
        o.bucket = bucket
        o.key = key
        o.region = region
        for h in header {
            let kv = h.split(separator: ":", maxSplits: 1)
            o.headers[String(kv[0]).trimmingCharacters(in: .whitespaces)] = kv.count > 1 ? String(kv[1]).trimmingCharacters(in: .whitespaces) : ""
        }
        o.query.merge(KeyValues.parse(query)) { $1 }
        return o
    }
}

struct GenerateEvent: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-event",
        abstract: "Print a sample event of a service that invokes functions.",
        discussion: "Events: \(SampleEvent.allCases.map(\.rawValue).joined(separator: ", ")).\n"
            + "Example: perl-lambda generate-event apigateway-v2 --method POST --path /users --body '{\"name\":\"x\"}'")

    @Argument(help: ArgumentHelp("The kind of event.", valueName: "NAME"))
    var event: SampleEvent

    @OptionGroup var eventOptions: EventOptions

    @Option(name: .long, help: "AWS region the event names.")
    var region: String = "us-east-1"

    func run() throws {
        print(event.json(eventOptions.options(region: region), pretty: true))
    }
}

import Foundation
