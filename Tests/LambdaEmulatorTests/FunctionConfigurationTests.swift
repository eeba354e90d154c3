import LambdaEmulator
import Testing

@Suite struct FunctionConfigurationTests {
    /// The one order settings combine in: a template function's values over the command line's defaults, the
    /// command line's --env over the function's Environment, the rest of the command line's environment kept.
    @Test func templateSettingsOverTheCommandLine() {
        let base = FunctionConfiguration(handler: "handler.handle", taskRoot: "/cli", command: ["bootstrap"], isOurBootstrap: true,
                                         timeout: 3, memoryMB: 128, environment: ["PATH": "/bin", "A": "cli", "B": "cli"])
        let c = base.applying(FunctionOverrides(name: "Fn", handler: "app.run", taskRoot: "/code", timeout: 10, memoryMB: nil,
                                                environment: ["A": "template", "C": "template"]),
                              commandLineEnvironment: ["B": "flag"])
        #expect(c.name == "Fn" && c.handler == "app.run" && c.taskRoot == "/code")
        #expect(c.timeout == 10 && c.memoryMB == 128, "a missing template value keeps the command line's")
        #expect(c.environment == ["PATH": "/bin", "A": "template", "B": "flag", "C": "template"])
        #expect(c.command == ["bootstrap"] && c.isOurBootstrap)
        let defaults = base.applying(FunctionOverrides(name: "G", handler: nil, taskRoot: "/g", timeout: nil, memoryMB: 512, environment: [:]),
                                     commandLineEnvironment: [:])
        #expect(defaults.handler == "handler.handle" && defaults.timeout == 3 && defaults.memoryMB == 512)
    }
}
