import LambdaWire
import Testing

@Suite("RuntimeAPI paths, header names and limits")
struct RuntimeAPITests {
    @Test func pathsAreUnderTheVersionedPrefix() {
        #expect(RuntimeAPI.version == "2018-06-01")
        #expect(RuntimeAPI.prefix == "/2018-06-01/runtime")
        #expect(RuntimeAPI.nextPath == "/2018-06-01/runtime/invocation/next")
        #expect(RuntimeAPI.initErrorPath == "/2018-06-01/runtime/init/error")
    }

    @Test(arguments: ["8476a536-e9f4-11e8-9739-2dfe598c3fcd", "req-1", "x"])
    func perInvocationPathsEmbedTheRequestID(_ id: String) {
        #expect(RuntimeAPI.responsePath(id) == "/2018-06-01/runtime/invocation/\(id)/response")
        #expect(RuntimeAPI.errorPath(id) == "/2018-06-01/runtime/invocation/\(id)/error")
    }

    @Test func pathsParseBackToTheirRoutes() {
        let id = "8f5e1a2b-0000-4a1b-9c2d-000000000001"
        #expect(RuntimeAPI.parse(path: RuntimeAPI.nextPath) == .next)
        #expect(RuntimeAPI.parse(path: RuntimeAPI.initErrorPath) == .initError)
        #expect(RuntimeAPI.parse(path: RuntimeAPI.responsePath(id)) == .response(requestID: id))
        #expect(RuntimeAPI.parse(path: RuntimeAPI.errorPath(id)) == .error(requestID: id))
        for path in ["/", "/2018-06-01/runtime/invocation//response", "/2018-06-01/runtime/invocation/x/y/response",
                     "/2018-06-01/runtime/invocation/x/other", "/2018-06-01/runtime/invocation/next/", "/2020-01-01/runtime/invocation/next"] {
            #expect(RuntimeAPI.parse(path: path) == nil, "\(path)")
        }
    }

    @Test func limits() {
        // 6 MB as Lambda counts it for responses (the Invoke API's request limit: InvokeAPITests)
        #expect(RuntimeAPI.maxResponseBytes == 6_291_556)
    }

    @Test func headerNames() {
        #expect(RuntimeAPI.Header.requestID == "Lambda-Runtime-Aws-Request-Id")
        #expect(RuntimeAPI.Header.deadlineMs == "Lambda-Runtime-Deadline-Ms")
        #expect(RuntimeAPI.Header.invokedFunctionARN == "Lambda-Runtime-Invoked-Function-Arn")
        #expect(RuntimeAPI.Header.traceID == "Lambda-Runtime-Trace-Id")
        #expect(RuntimeAPI.Header.clientContext == "Lambda-Runtime-Client-Context")
        #expect(RuntimeAPI.Header.cognitoIdentity == "Lambda-Runtime-Cognito-Identity")
        #expect(RuntimeAPI.Header.tenantID == "Lambda-Runtime-Aws-Tenant-Id")
        #expect(RuntimeAPI.Header.functionErrorType == "Lambda-Runtime-Function-Error-Type")
        #expect(RuntimeAPI.Header.functionErrorBody == "Lambda-Runtime-Function-Error-Body")
        #expect(RuntimeAPI.Header.responseMode == "Lambda-Runtime-Function-Response-Mode")
    }

    @Test func streaming() {
        #expect(RuntimeAPI.streamingMode == "streaming")
        #expect(RuntimeAPI.streamingTrailer
                == "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body")
    }

    @Test func environmentNames() {
        #expect(RuntimeEnvironment.runtimeAPI == "AWS_LAMBDA_RUNTIME_API")
        #expect(RuntimeEnvironment.handler == "_HANDLER")
        #expect(RuntimeEnvironment.taskRoot == "LAMBDA_TASK_ROOT")
        #expect(RuntimeEnvironment.traceID == "_X_AMZN_TRACE_ID")
        #expect(RuntimeEnvironment.maxConcurrency == "AWS_LAMBDA_MAX_CONCURRENCY")
        #expect(RuntimeEnvironment.logFormat == "AWS_LAMBDA_LOG_FORMAT")
        #expect(RuntimeEnvironment.logLevel == "AWS_LAMBDA_LOG_LEVEL")
        #expect(RuntimeEnvironment.functionName == "AWS_LAMBDA_FUNCTION_NAME")
        #expect(RuntimeEnvironment.functionVersion == "AWS_LAMBDA_FUNCTION_VERSION")
        #expect(RuntimeEnvironment.memorySize == "AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        #expect(RuntimeEnvironment.logGroup == "AWS_LAMBDA_LOG_GROUP_NAME")
        #expect(RuntimeEnvironment.logStream == "AWS_LAMBDA_LOG_STREAM_NAME")
    }
}
