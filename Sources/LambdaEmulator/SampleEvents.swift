import Foundation

/// Sample events of the services that commonly invoke functions, like `sam local generate-event` makes.
public enum SampleEvent: String, CaseIterable, Sendable {
    case apigatewayV1 = "apigateway-v1"
    case apigatewayV2 = "apigateway-v2"
    case alb
    case functionURL = "function-url"
    case s3
    case sqs
    case sns
    case eventbridge
    case schedule

    public struct Options: Sendable {
        public var method = "GET"
        public var path = "/"
        public var body: String?
        public var headers: [String: String] = [:]
        public var query: [String: String] = [:]
        public var bucket = "example-bucket"
        public var key = "example/key.txt"
        public var region = "us-east-1"
        public var account = "123456789012"
        public init() {}
    }

    /// The event as JSON text.
    public func json(_ o: Options, pretty: Bool = false) -> String {
        let data = try! JSONSerialization.data(withJSONObject: object(o),
                                               options: pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                                                   : [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    func object(_ o: Options) -> [String: Any] {
        let now = Date()
        let requestID = UUID().uuidString.lowercased()
        let iso = ISO8601DateFormatter().string(from: now)
        let epochMs = Int(now.timeIntervalSince1970 * 1000)
        var headers = ["accept": "*/*", "host": "localhost", "user-agent": "perl-lambda"]
        if o.body != nil { headers["content-type"] = "application/json" }
        for (k, v) in o.headers { headers[k.lowercased()] = v }
        let rawQuery = o.query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        let queryOrNull: Any = o.query.isEmpty ? NSNull() : o.query
        let body: Any = o.body ?? NSNull()
        switch self {
        case .apigatewayV1:
            return ["resource": "/{proxy+}", "path": o.path, "httpMethod": o.method, "headers": headers,
                    "multiValueHeaders": headers.mapValues { [$0] }, "queryStringParameters": queryOrNull,
                    "multiValueQueryStringParameters": o.query.isEmpty ? NSNull() : o.query.mapValues { [$0] } as Any,
                    "pathParameters": ["proxy": String(o.path.drop { $0 == "/" })], "stageVariables": NSNull(),
                    "requestContext": ["accountId": o.account, "apiId": "1234567890", "resourcePath": "/{proxy+}",
                                       "httpMethod": o.method, "path": "/prod\(o.path)", "stage": "prod",
                                       "requestId": requestID, "requestTimeEpoch": epochMs, "protocol": "HTTP/1.1",
                                       "identity": ["sourceIp": "127.0.0.1", "userAgent": "perl-lambda"]],
                    "body": body, "isBase64Encoded": false]
        case .apigatewayV2, .functionURL:
            let isURL = self == .functionURL
            let domain = isURL ? "abcdefghij.lambda-url.\(o.region).on.aws" : "1234567890.execute-api.\(o.region).amazonaws.com"
            let http: [String: Any] = ["method": o.method, "path": o.path, "protocol": "HTTP/1.1",
                                       "sourceIp": "127.0.0.1", "userAgent": "perl-lambda"]
            let context: [String: Any] = ["accountId": isURL ? "anonymous" : o.account, "apiId": isURL ? "abcdefghij" : "1234567890",
                                          "domainName": domain, "domainPrefix": String(domain.prefix { $0 != "." }),
                                          "http": http, "requestId": requestID, "routeKey": "$default",
                                          "stage": "$default", "time": iso, "timeEpoch": epochMs]
            var event: [String: Any] = ["version": "2.0", "routeKey": "$default", "rawPath": o.path,
                                        "rawQueryString": rawQuery, "headers": headers, "requestContext": context,
                                        "isBase64Encoded": false]
            if !o.query.isEmpty { event["queryStringParameters"] = o.query }
            if let b = o.body { event["body"] = b }
            return event
        case .alb:
            return ["requestContext": ["elb": ["targetGroupArn": "arn:aws:elasticloadbalancing:\(o.region):\(o.account):targetgroup/lambda/0123456789abcdef"]],
                    "httpMethod": o.method, "path": o.path, "queryStringParameters": o.query, "headers": headers,
                    "body": o.body ?? "", "isBase64Encoded": false]
        case .s3:
            return ["Records": [["eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": o.region, "eventTime": iso,
                                 "eventName": "ObjectCreated:Put", "userIdentity": ["principalId": "EXAMPLE"],
                                 "requestParameters": ["sourceIPAddress": "127.0.0.1"],
                                 "responseElements": ["x-amz-request-id": "EXAMPLE123456789", "x-amz-id-2": "EXAMPLE123/abcdefghijklmno"],
                                 "s3": ["s3SchemaVersion": "1.0", "configurationId": "testConfigRule",
                                        "bucket": ["name": o.bucket, "ownerIdentity": ["principalId": "EXAMPLE"],
                                                   "arn": "arn:aws:s3:::\(o.bucket)"],
                                        "object": ["key": o.key, "size": o.body?.utf8.count ?? 1024,
                                                   "eTag": "0123456789abcdef0123456789abcdef", "sequencer": "0A1B2C3D4E5F678901"]]]]]
        case .sqs:
            return ["Records": [["messageId": requestID, "receiptHandle": "MessageReceiptHandle", "body": o.body ?? "Hello from SQS!",
                                 "attributes": ["ApproximateReceiveCount": "1", "SentTimestamp": String(epochMs),
                                                "SenderId": o.account, "ApproximateFirstReceiveTimestamp": String(epochMs)],
                                 "messageAttributes": [String: Any](), "md5OfBody": "7b270e59b47ff90a553787216d55d91d",
                                 "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:\(o.region):\(o.account):MyQueue",
                                 "awsRegion": o.region]]]
        case .sns:
            return ["Records": [["EventVersion": "1.0", "EventSource": "aws:sns",
                                 "EventSubscriptionArn": "arn:aws:sns:\(o.region):\(o.account):MyTopic:\(requestID)",
                                 "Sns": ["Type": "Notification", "MessageId": requestID,
                                         "TopicArn": "arn:aws:sns:\(o.region):\(o.account):MyTopic", "Subject": "example subject",
                                         "Message": o.body ?? "Hello from SNS!", "Timestamp": iso, "SignatureVersion": "1",
                                         "Signature": "EXAMPLE", "SigningCertUrl": "EXAMPLE", "UnsubscribeUrl": "EXAMPLE",
                                         "MessageAttributes": [String: Any]()]]]]
        case .eventbridge, .schedule:
            let detail: Any = o.body.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } ?? [String: Any]()
            return ["version": "0", "id": requestID, "account": o.account, "region": o.region, "time": iso,
                    "source": self == .schedule ? "aws.events" : "com.example.app",
                    "detail-type": self == .schedule ? "Scheduled Event" : "ExampleEvent",
                    "resources": self == .schedule ? ["arn:aws:events:\(o.region):\(o.account):rule/ExampleRule"] : [],
                    "detail": self == .schedule ? [String: Any]() : detail]
        }
    }
}
