import Foundation
import PerlBridge
import Testing

@Suite("PerlInterpreter.invoke: the context object", .timeLimit(.minutes(1)))
struct ContextTests {
    static let handler = """
    sub handle { my ($p, $c) = @_;
      return {
        class => ref($c), same_as_global => (defined $AWS::Lambda::context && $AWS::Lambda::context == $c ? 1 : 0),
        aws_request_id => $c->aws_request_id, deadline_ms => $c->deadline_ms, arn => $c->invoked_function_arn,
        trace_id => $c->trace_id, tenant_id => $c->tenant_id, identity => $c->identity, client_context => $c->client_context,
        identity_ref => ref($c->identity) || 'none', env_trace => $ENV{_X_AMZN_TRACE_ID} // 'unset',
        remaining => int($c->get_remaining_time_in_millis), hash_id => $c->{aws_request_id},
      } }
    1;
    """

    @Test func everyFieldAndMethod() async throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let ev = event("{}", id: "8476a536-e9f4-11e8", deadlineMs: now + 30_000,
                       arn: "arn:aws:lambda:us-east-1:123456789012:function:fn", trace: "Root=1-abc;Parent=def;Sampled=1",
                       clientContext: #"{"client":{"app_title":"t"},"custom":{"k":"v"},"env":{"platform":"linux"}}"#,
                       identity: #"{"cognito_identity_id":"us-east-1:id","cognito_identity_pool_id":"us-east-1:pool"}"#,
                       tenant: "tenant-7")
        let outcome = try await loadAndInvoke(try TaskRoot.handler(Self.handler), [ev])[0]
        let r = try #require(outcome.json as? [String: Any], "\(outcome)")
        #expect(r["class"] as? String == "AWS::Lambda::Context")
        #expect(r["same_as_global"] as? Int == 1)
        #expect(r["aws_request_id"] as? String == "8476a536-e9f4-11e8")
        #expect(r["hash_id"] as? String == "8476a536-e9f4-11e8")
        #expect((r["deadline_ms"] as? NSNumber)?.int64Value == now + 30_000)
        #expect(r["arn"] as? String == "arn:aws:lambda:us-east-1:123456789012:function:fn")
        #expect(r["trace_id"] as? String == "Root=1-abc;Parent=def;Sampled=1")
        #expect(r["env_trace"] as? String == "Root=1-abc;Parent=def;Sampled=1")
        #expect(r["tenant_id"] as? String == "tenant-7")
        #expect(r["identity_ref"] as? String == "HASH")
        let identity = try #require(r["identity"] as? [String: String])
        #expect(identity == ["cognito_identity_id": "us-east-1:id", "cognito_identity_pool_id": "us-east-1:pool"])
        let cc = try #require(r["client_context"] as? [String: Any])
        #expect((cc["custom"] as? [String: String]) == ["k": "v"])
        #expect((cc["client"] as? [String: String]) == ["app_title": "t"])
        let remaining = try #require(r["remaining"] as? Int)
        #expect(remaining > 20_000 && remaining <= 30_000, "\(remaining)")
    }

    @Test func absentOptionalsAreUndefAndTheARNIsEmpty() async throws {
        let outcome = try await loadAndInvoke(try TaskRoot.handler(Self.handler), [event("{}", id: "r0", deadlineMs: 1)])[0]
        let r = try #require(outcome.json as? [String: Any], "\(outcome)")
        #expect(r["aws_request_id"] as? String == "r0")
        #expect(r["arn"] as? String == "")
        for key in ["trace_id", "tenant_id", "identity", "client_context"] {
            #expect(r[key] is NSNull, "\(key): \(String(describing: r[key]))")
        }
        #expect(r["env_trace"] as? String == "unset")
    }

    @Test func clientContextThatIsNotJSONStaysAString() async throws {
        let outcome = try await loadAndInvoke(try TaskRoot.handler(Self.handler),
                                              [event("{}", clientContext: "not json {", identity: "")])[0]
        let r = try #require(outcome.json as? [String: Any], "\(outcome)")
        #expect(r["client_context"] as? String == "not json {")
        #expect(r["identity"] is NSNull)
    }

    @Test func traceIDIsInENVOnlyDuringTheCall() async throws {
        let root = try TaskRoot.handler(Self.handler)
        let results = try await PerlHost.shared.run { perl -> [PerlOutcome] in
            _ = perl.loadHandler(taskRoot: root.path, handler: "handler.handle")
            let check = "defined $ENV{_X_AMZN_TRACE_ID} ? $ENV{_X_AMZN_TRACE_ID} : 'unset'"
            let before = perl.eval("delete $ENV{_X_AMZN_TRACE_ID}; " + check)
            let during = perl.invoke(event("{}", trace: "Root=during"))
            let after = perl.eval(check)
            // Outside invocations the variable is absent, even if something set it before the call.
            _ = perl.eval("$ENV{_X_AMZN_TRACE_ID} = 'outer'")
            let untraced = perl.invoke(event("{}"))
            let afterUntraced = perl.eval(check)
            let failing = perl.invoke(event(#"{"die":1}"#, trace: "Root=x"))
            let afterDie = perl.eval(check)
            return [before, during, after, untraced, afterUntraced, failing, afterDie]
        }
        #expect(results[0].successText == "unset")
        #expect((results[1].json as? [String: Any])?["env_trace"] as? String == "Root=during")
        #expect(results[2].successText == "unset")
        #expect((results[3].json as? [String: Any])?["env_trace"] as? String == "unset")
        #expect(results[4].successText == "unset")
        #expect(results[6].successText == "unset")
    }

    @Test func streamingHandlerSeesTheTraceIDWhileStreaming() async throws {
        let sink = RecordingSink()
        let outcome = try await loadAndInvoke(try TaskRoot.handler(
            "sub handle { sub { my $w = $_[0]->('text/plain'); $w->write($ENV{_X_AMZN_TRACE_ID} // 'unset'); $w->close } } 1;"),
            [event("{}", trace: "Root=streaming")], stream: sink)[0]
        #expect(outcome == .streamed)
        #expect(sink.body == "Root=streaming")
    }

    @Test func traceIDAndContextAreRestoredAfterDieAndExit() async throws {
        let root = try TaskRoot.handler("sub handle { die 'x' if $_[0]{die}; exit 2 if $_[0]{exit}; 1 } 1;")
        let results = try await PerlHost.shared.run { perl -> [PerlOutcome] in
            _ = perl.loadHandler(taskRoot: root.path, handler: "handler.handle")
            let check = "(defined $ENV{_X_AMZN_TRACE_ID} ? 'trace' : 'no trace') . ',' . (defined $AWS::Lambda::context ? 'context' : 'no context')"
            return [perl.invoke(event(#"{"die":1}"#, trace: "Root=1")), perl.eval(check),
                    perl.invoke(event(#"{"exit":1}"#, trace: "Root=2")), perl.eval(check)]
        }
        #expect(results[0].error?.type == "Error")
        #expect(results[1].successText == "no trace,no context")
        guard case .exited = results[2] else { Issue.record("\(results[2])"); return }
        #expect(results[3].successText == "no trace,no context")
    }

    @Test func environmentBackedMethods() async throws {
        let root = try TaskRoot.handler("""
        sub handle { my ($p, $c) = @_;
          return { map { my $m = $_; ($m => (eval { $c->$m } // "died")) }
                   qw(function_name function_version memory_limit_in_mb log_group_name log_stream_name) } }
        1;
        """)
        let results = try await PerlHost.shared.run { perl -> [PerlOutcome] in
            _ = perl.loadHandler(taskRoot: root.path, handler: "handler.handle")
            let names = ["AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                         "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME"]
            let saved = "our %SAVED = map { ($_ => delete $ENV{$_}) } qw(\(names.joined(separator: " ")));"
            _ = perl.eval(saved)
            let unset = perl.invoke(event("{}"))
            _ = perl.eval("@ENV{qw(\(names.joined(separator: " ")))} = ('fn', '$LATEST', '512', '/aws/lambda/fn', '2026/01/01/[$LATEST]abc'); 1")
            let set = perl.invoke(event("{}"))
            _ = perl.eval("for (keys %SAVED) { if (defined $SAVED{$_}) { $ENV{$_} = $SAVED{$_} } else { delete $ENV{$_} } } 1")
            return [unset, set]
        }
        let unset = try #require(results[0].json as? [String: Any], "\(results[0])")
        #expect(unset.values.allSatisfy { $0 as? String == "died" }, "\(unset)")
        let set = try #require(results[1].json as? [String: Any], "\(results[1])")
        #expect(set["function_name"] as? String == "fn")
        #expect(set["function_version"] as? String == "$LATEST")
        #expect(set["memory_limit_in_mb"] as? Int == 512)
        #expect(set["log_group_name"] as? String == "/aws/lambda/fn")
        #expect(set["log_stream_name"] as? String == "2026/01/01/[$LATEST]abc")
    }

    @Test func contextIsAFreshObjectPerInvocation() async throws {
        let root = try TaskRoot.handler("our $prev; sub handle { my $same = defined $prev && $prev == $_[1] ? 1 : 0; $prev = $_[1]; return [$_[1]->aws_request_id, $same] } 1;")
        let outcomes = try await loadAndInvoke(root, [event("{}", id: "a"), event("{}", id: "b")])
        #expect(outcomes.map(\.successText) == [#"["a",0]"#, #"["b",0]"#])
    }
}
