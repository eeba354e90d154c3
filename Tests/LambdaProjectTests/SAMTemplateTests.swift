import Testing
@testable import LambdaProject

private let twoFunctions = """
    AWSTemplateFormatVersion: "2010-09-09"
    Transform: AWS::Serverless-2016-10-31
    Parameters:
      Stage:
        Type: String
        Default: dev
      Layer:
        Type: String
    Globals:
      Function:
        Runtime: provided.al2023
        Timeout: 7
        MemorySize: 512
        Environment:
          Variables:
            SHARED: from-globals
            STAGE: !Ref Stage
    Resources:
      Bucket:
        Type: AWS::S3::Bucket
      Hello:
        Type: AWS::Serverless::Function
        Properties:
          Handler: handler.handle
          CodeUri: functions/hello/
          Architectures: [arm64]
          Environment:
            Variables:
              SHARED: from-hello
              GREETING: Hi
              COUNT: 3
              TABLE: !Sub "${Stage}-table-${AWS::Region}"
              LONG_FORM: { "Ref": "Stage" }
              JOINED: !Join ["-", [a, !Ref Stage, c]]
              BUCKET: !GetAtt Bucket.Arn
      Api:
        Type: AWS::Serverless::Function
        Properties:
          Handler: app.handle
          CodeUri: ../api
          Timeout: 30
          FunctionName: my-api
    """

@Test func functionsInOrderWithGlobals() throws {
    let t = try SAMTemplate.parse(yaml: twoFunctions, directory: "/project/sam", region: "eu-west-1")
    #expect(t.functions.map(\.logicalID) == ["Hello", "Api"])
    let hello = try #require(t.function(named: "Hello"))
    #expect(hello.handler == "handler.handle")
    #expect(hello.codeDirectory == "/project/sam/functions/hello")
    #expect(hello.runtime == "provided.al2023")
    #expect(hello.timeout == 7)
    #expect(hello.memorySize == 512)
    #expect(hello.architectures == ["arm64"])
    #expect(hello.packageType == .zip)
    #expect(hello.environment == [
        "SHARED": "from-hello", "STAGE": "dev", "GREETING": "Hi", "COUNT": "3",
        "TABLE": "dev-table-eu-west-1", "LONG_FORM": "dev", "JOINED": "a-dev-c",
    ])
    let api = try #require(t.function(named: "Api"))
    #expect(api.codeDirectory == "/project/api")
    #expect(api.timeout == 30)
    #expect(api.memorySize == 512)
    #expect(api.functionName == "my-api")
    #expect(api.environment == ["SHARED": "from-globals", "STAGE": "dev"])
    #expect(t.warnings.count == 1)
    #expect(t.warnings.first?.contains("BUCKET") == true)
    #expect(t.warnings.first?.contains("GetAtt") == true)
}

@Test func parameterOverridesBeatDefaults() throws {
    let t = try SAMTemplate.parse(yaml: twoFunctions, directory: "/p", parameters: ["Stage": "prod"])
    #expect(t.function(named: "Hello")?.environment["TABLE"] == "prod-table-us-east-1")
    #expect(t.function(named: "Api")?.environment["STAGE"] == "prod")
}

@Test func imageFunctionsUseTheDockerContext() throws {
    let yaml = """
        Resources:
          Img:
            Type: AWS::Serverless::Function
            Properties:
              PackageType: Image
              ImageConfig:
                Command: ["app.handler"]
            Metadata:
              DockerContext: ./image
              Dockerfile: Dockerfile
          Plain:
            Type: AWS::Serverless::Function
            Properties:
              PackageType: Image
            Metadata:
              DockerTag: latest
        """
    let t = try SAMTemplate.parse(yaml: yaml, directory: "/t")
    let img = try #require(t.function(named: "Img"))
    #expect(img.packageType == .image)
    #expect(img.codeDirectory == "/t/image")
    #expect(img.handler == "app.handler")
    let plain = try #require(t.function(named: "Plain"))
    #expect(plain.codeDirectory == "/t")
    #expect(plain.handler == nil)
}

@Test func nonLocalCodeIsSkippedWithAWarning() throws {
    let yaml = """
        Resources:
          S3Map:
            Type: AWS::Serverless::Function
            Properties: {Handler: h.handle, CodeUri: {Bucket: b, Key: k.zip}}
          S3Uri:
            Type: AWS::Serverless::Function
            Properties: {Handler: h.handle, CodeUri: s3://b/k.zip}
          Inline:
            Type: AWS::Serverless::Function
            Properties: {Handler: index.handler, InlineCode: "exports.handler = 1"}
          NoCodeUri:
            Type: AWS::Serverless::Function
            Properties: {Handler: h.handle, Timeout: !Ref Missing}
        """
    let t = try SAMTemplate.parse(yaml: yaml, directory: "/here")
    #expect(t.functions.map(\.logicalID) == ["NoCodeUri"])
    #expect(t.functions[0].codeDirectory == "/here")
    #expect(t.functions[0].timeout == nil)
    #expect(t.warnings.count == 4)
}

@Test func badTemplatesAreErrors() {
    #expect { try SAMTemplate.parse(yaml: "Resources: [unclosed", directory: "/") } throws: { ($0 as? ProjectError)?.code == .template }
    #expect { try SAMTemplate.parse(yaml: "just text", directory: "/") } throws: { ($0 as? ProjectError)?.code == .template }
    #expect { try SAMTemplate.parse(yaml: "AWSTemplateFormatVersion: x", directory: "/") } throws: { ($0 as? ProjectError)?.code == .template }
    #expect { try SAMTemplate.load(path: "/nonexistent/template.yaml") } throws: { ($0 as? ProjectError)?.code == .template }
}

@Test func globalWarningsAreReportedOnce() throws {
    let yaml = """
        Globals:
          Function:
            Environment:
              Variables:
                QUEUE: !GetAtt Queue.Arn
        Resources:
          A: {Type: AWS::Serverless::Function, Properties: {Handler: a.handle}}
          B: {Type: AWS::Serverless::Function, Properties: {Handler: b.handle}}
        """
    let t = try SAMTemplate.parse(yaml: yaml, directory: "/d")
    #expect(t.functions.count == 2)
    #expect(t.warnings.count == 1)
}

@Test func nonNumericTimeoutIsIgnored() throws {
    let yaml = """
        Resources:
          F:
            Type: AWS::Serverless::Function
            Properties: {Handler: h.handle, CodeUri: ., Timeout: soon, MemorySize: "1024"}
        """
    let t = try SAMTemplate.parse(yaml: yaml, directory: "/d")
    #expect(t.functions[0].timeout == nil)
    #expect(t.functions[0].memorySize == 1024)
    #expect(t.warnings.count == 1)
}

@Test func localLayerVersionsBecomeLayerDirectories() throws {
    let yaml = """
        Transform: AWS::Serverless-2016-10-31
        Globals:
          Function:
            Layers: [!Ref Tools]
        Resources:
          Tools:
            Type: AWS::Serverless::LayerVersion
            Properties:
              ContentUri: layers/tools/
          Telemetry:
            Type: AWS::Serverless::LayerVersion
            Properties:
              ContentUri: ../shared/telemetry
          Remote:
            Type: AWS::Serverless::LayerVersion
            Properties:
              ContentUri: s3://bucket/layer.zip
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: handler.handle
              CodeUri: src/
              Layers:
                - !Ref Telemetry
                - { "Ref": "Tools" }
                - !Ref Remote
                - arn:aws:lambda:us-east-1:123456789012:layer:x:1
          Other:
            Type: AWS::Serverless::Function
            Properties:
              Handler: handler.handle
        """
    let t = try SAMTemplate.parse(yaml: yaml, directory: "/p/sam")
    let fn = try #require(t.functions.first { $0.logicalID == "Fn" })
    #expect(fn.layers == ["/p/shared/telemetry", "/p/sam/layers/tools"], "in order; the function's own Layers over Globals'")
    let other = try #require(t.functions.first { $0.logicalID == "Other" })
    #expect(other.layers == ["/p/sam/layers/tools"], "Globals.Function.Layers")
    #expect(t.warnings.contains { $0.contains("Remote: ContentUri is not a local folder") })
    #expect(t.warnings.contains { $0.contains("layer arn:aws:lambda:us-east-1:123456789012:layer:x:1 is not a local") })
}

@Test func declaredVariablesIncludeUnresolvedOnes() throws {
    let t = try SAMTemplate.parse(yaml: twoFunctions, directory: "/project/sam", region: "eu-west-1")
    let hello = try #require(t.function(named: "Hello"))
    // BUCKET (!GetAtt) has no local value but is declared: `--env-vars` may set it, as with sam local invoke
    #expect(hello.environment["BUCKET"] == nil)
    #expect(hello.declaredVariables == ["SHARED", "STAGE", "GREETING", "COUNT", "TABLE", "LONG_FORM", "JOINED", "BUCKET"])
    #expect(try #require(t.function(named: "Api")).declaredVariables == ["SHARED", "STAGE"])
}

@Test func tenancyConfig() throws {
    let yaml = """
        Resources:
          Isolated:
            Type: AWS::Serverless::Function
            Properties: { Handler: h.handle, CodeUri: ., TenancyConfig: { TenantIsolationMode: PER_TENANT } }
          Odd:
            Type: AWS::Serverless::Function
            Properties: { Handler: h.handle, CodeUri: ., TenancyConfig: { TenantIsolationMode: SHARED } }
          Plain:
            Type: AWS::Serverless::Function
            Properties: { Handler: h.handle, CodeUri: . }
        """
    let t = try SAMTemplate.parse(yaml: yaml, directory: "/p", region: "us-east-1")
    #expect(t.function(named: "Isolated")?.tenantIsolationMode == "PER_TENANT")
    #expect(t.function(named: "Odd")?.tenantIsolationMode == nil)
    #expect(t.function(named: "Plain")?.tenantIsolationMode == nil)
    #expect(t.warnings.contains { $0.contains("Odd: TenancyConfig.TenantIsolationMode 'SHARED' is not PER_TENANT") })
}
