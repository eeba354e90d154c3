import ArgumentParser
import LambdaEmulator

/// `serve` options that put a Function URL or an API Gateway in front of the function.
struct FrontDoorOptions: ParsableArguments {
    @Flag(name: .long, help: "Also serve plain HTTP requests (other than Invoke API paths) as Function URL events.")
    var functionURL = false

    @Option(name: .long, help: ArgumentHelp("Also serve plain HTTP requests as API Gateway events: v1 (REST API) or v2 (HTTP API).",
                                            valueName: "v1|v2"))
    var apiGateway: String?

    @Option(name: .long, help: "Function URL invoke mode: BUFFERED or RESPONSE_STREAM (streamed responses reach the client as written).")
    var invokeMode: String = "BUFFERED"

    @Option(name: .long, help: "REST API (--api-gateway v1) stage that request paths start with, e.g. prod (→ SCRIPT_NAME /prod).")
    var stage: String?

    func validate() throws {
        if functionURL, apiGateway != nil { throw ValidationError("--function-url and --api-gateway exclude each other") }
        if let a = apiGateway, !["v1", "v2"].contains(a.lowercased()) { throw ValidationError("--api-gateway takes v1 or v2") }
        guard ["BUFFERED", "RESPONSE_STREAM"].contains(invokeMode.uppercased()) else {
            throw ValidationError("--invoke-mode takes BUFFERED or RESPONSE_STREAM")
        }
    }

    /// The front door to install, if any.
    var frontDoor: HTTPFrontDoor? {
        let streaming = invokeMode.uppercased() == "RESPONSE_STREAM"
        if functionURL { return HTTPFrontDoor(format: .functionURL, streaming: streaming) }
        switch apiGateway?.lowercased() {
        case "v1": return HTTPFrontDoor(format: .apiGatewayV1, stage: stage)
        case "v2": return HTTPFrontDoor(format: .apiGatewayV2)
        default: return nil
        }
    }
}
