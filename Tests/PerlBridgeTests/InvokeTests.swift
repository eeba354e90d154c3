import Foundation
import PerlBridge
import Testing

/// Parses JSON text with Foundation, for comparing documents independent of key order and spacing.
func jsonValue(_ text: String) -> NSObject? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) as? NSObject
}

@Suite("PerlInterpreter.invoke: payloads and results", .timeLimit(.minutes(1)))
struct InvokeTests {
    static let echo = "sub handle { my ($p) = @_; return { got => $p, ref => ref($p) || 'none' } } 1;"

    @Test(arguments: [
        (#"{"a":1,"b":[1,2,{"c":null}],"d":{"e":"f"}}"#, "HASH"),
        (#"[1,"two",3.5,null,[],{}]"#, "ARRAY"),
        (#""just a string""#, "none"),
        ("42", "none"),
        ("-17.25", "none"),
        ("null", "none"),
        ("  {\"ws\" : [ 1 , 2 ] }\n", "HASH"),
    ])
    func topLevelPayloadsRoundTrip(_ payload: String, _ ref: String) async throws {
        let outcome = try await loadAndInvoke(Self.echo, payload)
        let result = try #require(outcome.json as? [String: Any], "\(outcome)")
        #expect(result["ref"] as? String == ref)
        #expect((result["got"] as? NSObject) == jsonValue(payload))
    }

    @Test func unicodeIsDecodedToCharacters() async throws {
        let source = "sub handle { my ($p) = @_; return { len => length($p->{s}), esc_len => length($p->{e}), s => $p->{s}, e => $p->{e}, up => uc $p->{s} } } 1;"
        let outcome = try await loadAndInvoke(source, #"{"s":"日本語 ü 😀","e":"\u00e9\ud83d\ude00"}"#)
        let r = try #require(outcome.json as? [String: Any], "\(outcome)")
        #expect(r["len"] as? Int == 7) // characters, not bytes
        #expect(r["esc_len"] as? Int == 2)
        #expect(r["s"] as? String == "日本語 ü 😀")
        #expect(r["e"] as? String == "é😀")
        #expect(r["up"] as? String == "日本語 Ü 😀")
    }

    @Test func booleansAreJSONPPBooleans() async throws {
        let source = """
        sub handle { my ($p) = @_;
          return { ref_t => ref($p->{t}), ref_f => ref($p->{f}), t => ($p->{t} ? 'yes' : 'no'), f => ($p->{f} ? 'yes' : 'no'),
                   num => $p->{t} + 0, isa => (JSON::PP::Boolean->can('new') || $p->{t}->isa('JSON::PP::Boolean') ? 1 : 0),
                   echo => [$p->{t}, $p->{f}], native => [!!1, !!0] } }
        1;
        """
        let outcome = try await loadAndInvoke(source, #"{"t":true,"f":false}"#)
        let r = try #require(outcome.json as? [String: Any], "\(outcome)")
        #expect(r["ref_t"] as? String == "JSON::PP::Boolean")
        #expect(r["ref_f"] as? String == "JSON::PP::Boolean")
        #expect(r["t"] as? String == "yes")
        #expect(r["f"] as? String == "no")
        #expect(r["num"] as? Int == 1)
        #expect(r["isa"] as? Int == 1)
        // Decoded booleans encode back as JSON booleans.
        let text = try #require(outcome.successText)
        #expect(text.contains(#""echo":[true,false]"#), "\(text)")
        // Perl's own booleans are "1" and "" as JSON::XS (AWS::Lambda) encodes them.
        #expect(text.contains(#""native":["1",""]"#), "\(text)")
    }

    @Test func numbers() async throws {
        let source = """
        sub handle { my ($p) = @_;
          return { i_plus_1 => "" . ($p->{i} + 1), neg => "" . $p->{neg}, f => $p->{f} * 2, exp => "" . ($p->{exp} + 0),
                   zero => $p->{zero} + 0, int_out => 42, str_out => "42", float_out => 0.5, big => "$p->{big}" } }
        1;
        """
        let payload = #"{"i":9007199254740993,"neg":-9223372036854775808,"f":1.25,"exp":1.5e3,"zero":-0,"big":123456789012345678901234567890}"#
        let outcome = try await loadAndInvoke(source, payload)
        let text = try #require(outcome.successText, "\(outcome)")
        let r = try #require(outcome.json as? [String: Any], "\(outcome)")
        #expect(r["i_plus_1"] as? String == "9007199254740994") // 64-bit integers stay exact
        #expect(r["neg"] as? String == "-9223372036854775808")
        #expect(r["f"] as? Double == 2.5)
        #expect(r["exp"] as? String == "1500")
        #expect(r["zero"] as? Int == 0)
        #expect(text.contains(#""int_out":42"#), "numbers encode as JSON numbers: \(text)")
        #expect(text.contains(#""str_out":"42""#), "strings stay strings: \(text)")
        #expect(text.contains(#""float_out":0.5"#), "\(text)")
        let big = try #require(r["big"] as? String)
        #expect(big.hasPrefix("1.23456789012346e+29") || big == "123456789012345678901234567890", "\(big)")
    }

    @Test(arguments: [
        ("return 'plain'", #""plain""#),
        ("return undef", "null"),
        ("return 7", "7"),
        ("return []", "[]"),
        ("return {}", "{}"),
        ("return \"quote\\\" back\\\\ nl\\n\"", #""quote\" back\\ nl\n""#),
        ("return (1, 2, 3)", "3"), // scalar context
    ])
    func results(_ body: String, _ expected: String) async throws {
        let outcome = try await loadAndInvoke("sub handle { \(body) } 1;", "{}")
        let text = try #require(outcome.successText, "\(outcome)")
        #expect(jsonValue(text) == jsonValue(expected), "\(text)")
    }

    @Test func stateAcrossInvocations() async throws {
        let root = try TaskRoot.handler("my $count = 0; our @seen; sub handle { push @seen, $_[0]{n}; return { count => ++$count, seen => [@seen] } } 1;")
        let outcomes = try await loadAndInvoke(root, (1...3).map { event(#"{"n":\#($0)}"#, id: "r\($0)") })
        #expect(outcomes.map(\.successText) == [#"{"count":1,"seen":[1]}"#, #"{"count":2,"seen":[1,2]}"#, #"{"count":3,"seen":[1,2,3]}"#]
                || outcomes.map { ($0.json as? [String: Any])?["count"] as? Int } == [1, 2, 3])
        let last = try #require(outcomes[2].json as? [String: Any])
        #expect(last["seen"] as? [Int] == [1, 2, 3])
    }

    @Test func dieInTheHandlerIsAnErrorDocumentWithAStackTrace() async throws {
        let source = "sub inner { die \"deep failure\\n\" }\nsub middle { inner() }\nsub handle { middle() }\n1;\n"
        let outcome = try await loadAndInvoke(source, "{}")
        let error = try #require(outcome.error, "\(outcome)")
        #expect(error.type == "Error")
        #expect(error.document.errorMessage == "deep failure\n")
        let trace = try #require(error.document.stackTrace)
        #expect(trace.first?.hasPrefix("main::inner at ") == true, "\(trace)")
        #expect(trace.contains { $0.hasPrefix("main::middle at ") }, "\(trace)")
    }

    @Test func blessedExceptionsUseTheirClassAndUnblessedRefsAreJSON() async throws {
        let root = try TaskRoot.handler("""
        package My::Error; use overload '""' => sub { "my error: $_[0]{code}" }, fallback => 1;
        package main;
        sub handle { my ($p) = @_; die bless({ code => 7 }, 'My::Error') if $p->{blessed}; die { code => 8 } }
        1;
        """)
        let outcomes = try await loadAndInvoke(root, [event(#"{"blessed":1}"#), event(#"{"blessed":0}"#)])
        #expect(outcomes[0].error?.type == "My::Error")
        #expect(outcomes[0].error?.document.errorType == "My::Error")
        #expect(outcomes[0].error?.document.errorMessage == "my error: 7")
        #expect(outcomes[1].error?.type == "Error")
        #expect(outcomes[1].error?.document.errorMessage == #"{"code":8}"#)
    }

    @Test func exitInTheHandlerIsAnExitErrorAndTheHandlerStaysLoaded() async throws {
        let root = try TaskRoot.handler("my $n = 0; sub handle { $n++; exit 3 if $_[0]{quit}; return $n } 1;")
        let outcomes = try await loadAndInvoke(root, [event(#"{"quit":1}"#), event(#"{"quit":0}"#)])
        guard case .exited(3, "Runtime.ExitError", _) = outcomes[0] else {
            Issue.record("expected exit 3, got \(outcomes[0])")
            return
        }
        #expect(outcomes[0].error?.document.errorMessage == "the handler called exit(3); the runtime kept the execution environment alive")
        #expect(outcomes[1].successText == "2")
    }

    @Test(arguments: [
        "sub handle { return sub { 1 } } 1;",                    // a code ref without a stream
        "sub handle { return { fh => \\*STDOUT } } 1;",         // a glob ref
        "sub handle { return bless {}, 'No::ToJSON' } 1;",      // an object without TO_JSON
        "sub handle { my $h = {}; $h->{self} = $h; return $h } 1;", // a cycle
    ])
    func unencodableResultsAreMarshalErrors(_ source: String) async throws {
        let outcome = try await loadAndInvoke(source, "{}")
        let error = try #require(outcome.error, "\(outcome)")
        #expect(error.type == "Runtime.MarshalError")
        #expect(error.document.errorType == "Runtime.MarshalError")
        #expect(error.document.errorMessage?.hasPrefix("Unable to marshal the handler's result as JSON: ") == true,
                "\(error.document)")
    }

    @Test func objectsWithTOJSONEncode() async throws {
        let outcome = try await loadAndInvoke("package P; sub TO_JSON { { p => $_[0]{v} } } package main; sub handle { bless { v => 5 }, 'P' } 1;", "{}")
        #expect(outcome.successText == #"{"p":5}"#)
    }

    @Test(arguments: [#"{"a":"#, "{", #"{"a":}"#, "[1,]", "tru", #""unterminated"#, #"{"a":1} trailing"#, "{'a':1}", "\u{1}"])
    func invalidPayloadsAreUnmarshalErrors(_ payload: String) async throws {
        let outcome = try await loadAndInvoke("sub handle { 'must not run' } 1;", payload)
        let error = try #require(outcome.error, "\(outcome)")
        #expect(error.type == "Runtime.UnmarshalError")
        #expect(error.document.errorType == "Runtime.UnmarshalError")
        #expect(error.document.errorMessage?.hasPrefix("Could not decode the event as JSON: ") == true, "\(error.document)")
    }

    @Test func invalidUTF8PayloadIsAnUnmarshalError() async throws {
        let root = try TaskRoot.handler("sub handle { 'must not run' } 1;")
        var bad = event("")
        bad.payload = Array(#"{"s":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)
        let outcome = try await loadAndInvoke(root, [bad])[0]
        #expect(outcome.error?.type == "Runtime.UnmarshalError", "\(outcome)")
    }

    @Test func emptyPayloadIsAnUnmarshalError() async throws {
        let outcome = try await loadAndInvoke("sub handle { 'must not run' } 1;", "")
        #expect(outcome.error?.type == "Runtime.UnmarshalError", "\(outcome)")
    }
}
