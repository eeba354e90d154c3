import Foundation
import PerlBridge
import Testing

@Suite("PerlInterpreter.invoke: streamed responses through a PerlStreamSink", .timeLimit(.minutes(1)))
struct StreamingTests {
    func stream(_ body: String, payload: String = "{}", configure: (RecordingSink) -> Void = { _ in })
        async throws -> (PerlOutcome, RecordingSink) {
        let sink = RecordingSink()
        configure(sink)
        let outcome = try await loadAndInvoke("sub handle { my ($p, $c) = @_; return sub { my $responder = shift; \(body) } } 1;",
                                              payload, stream: sink)
        return (outcome, sink)
    }

    func errorDocument(_ event: RecordingSink.Event?) -> [String: Any]? {
        guard case .finish(_, let doc?) = event else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(doc))) as? [String: Any]
    }

    @Test func chunksAreWrittenInOrderThenClosed() async throws {
        let (outcome, sink) = try await stream("my $w = $responder->('text/plain'); $w->write($_) for 'a', 'bb', 'ccc'; $w->close;")
        #expect(outcome == .streamed)
        #expect(sink.events == [.start("text/plain"), .write(Array("a".utf8)), .write(Array("bb".utf8)),
                                .write(Array("ccc".utf8)), .finish(type: nil, document: nil)])
    }

    @Test func defaultContentTypeAndEmptyWritesAreSkipped() async throws {
        let (outcome, sink) = try await stream("my $w = $responder->(); $w->write(''); $w->write(undef); $w->write('x'); $w->close;")
        #expect(outcome == .streamed)
        #expect(sink.events == [.start("application/octet-stream"), .write([UInt8(ascii: "x")]), .finish(type: nil, document: nil)])
    }

    @Test func unicodeIsWrittenAsUTF8BytesOrRejectedWhenWide() async throws {
        let (outcome, sink) = try await stream("""
        my $w = $responder->('text/plain; charset=utf-8');
        my $s = "caf\\x{e9}"; $w->write($s);
        my $bytes = "\\xe6\\x97\\xa5"; $w->write($bytes);
        $w->write("\\x{65e5}"); $w->close;
        """)
        #expect(outcome == .streamed)
        #expect(sink.events.prefix(3) == [.start("text/plain; charset=utf-8"), .write([0x63, 0x61, 0x66, 0xE9]), .write([0xE6, 0x97, 0xA5])])
        // A wide character cannot be written as bytes: the handler dies after the responder, so the stream
        // ends with error trailers.
        let finish = try #require(sink.finishes.last)
        guard case .finish(type: "Error", _) = finish else { Issue.record("\(sink.events)"); return }
        #expect(errorDocument(finish)?.errorMessage?.contains("Wide character in response stream write") == true)
    }

    @Test func handlerThatDoesNotCloseIsClosedForIt() async throws {
        let (outcome, sink) = try await stream("my $w = $responder->('text/plain'); $w->write('unclosed');")
        #expect(outcome == .streamed)
        #expect(sink.events == [.start("text/plain"), .write(Array("unclosed".utf8)), .finish(type: nil, document: nil)])
    }

    @Test func dieMidStreamFinishesWithTheErrorTypeAndDocument() async throws {
        let (outcome, sink) = try await stream("my $w = $responder->('text/plain'); $w->write('partial'); die \"mid-stream failure\\n\";")
        #expect(outcome == .streamed)
        #expect(sink.events.count == 3)
        #expect(sink.events.prefix(2) == [.start("text/plain"), .write(Array("partial".utf8))])
        guard case .finish(type: "Error", document: _?) = sink.events.last else { Issue.record("\(sink.events)"); return }
        let doc = try #require(errorDocument(sink.events.last))
        #expect(doc.errorType == "Error")
        #expect(doc.errorMessage == "mid-stream failure\n")
        #expect(doc.stackTrace != nil)
    }

    @Test func blessedExceptionMidStreamUsesItsClass() async throws {
        let (outcome, sink) = try await stream("my $w = $responder->('text/plain'); $w->write('x'); die bless({}, 'Stream::Oops');")
        #expect(outcome == .streamed)
        guard case .finish(type: "Stream::Oops", _) = sink.events.last else { Issue.record("\(sink.events)"); return }
        #expect(errorDocument(sink.events.last)?.errorType == "Stream::Oops")
    }

    @Test func dieBeforeTheResponderIsAnOrdinaryError() async throws {
        let (outcome, sink) = try await stream("die \"before responding\\n\";")
        #expect(sink.events.isEmpty)
        #expect(outcome.error?.type == "Error")
        #expect(outcome.error?.document.errorMessage == "before responding\n")
    }

    @Test func responderNeverCalledIsAFailure() async throws {
        let (outcome, sink) = try await stream("return 1;")
        #expect(sink.events.isEmpty)
        let error = try #require(outcome.error, "\(outcome)")
        #expect(error.type == "Error")
        #expect(error.document.errorMessage == "the streaming handler returned without calling its responder\n")
    }

    @Test func writeAfterCloseDiesInPerlButTheStreamIsAlreadyComplete() async throws {
        let (outcome, sink) = try await stream("""
        my $w = $responder->('text/plain'); $w->write('done'); $w->close;
        my $ok = eval { $w->write('late'); 1 }; my $err = $@;
        $w->close; # closing twice is a no-op
        die "late write was accepted\\n" if $ok;
        $err =~ /write failed: already closed/ or die "unexpected: $err";
        $w->write('uncaught late write');
        """)
        #expect(outcome == .streamed)
        // Exactly one clean finish; neither late write reached the sink, and the die after close is only logged.
        #expect(sink.events == [.start("text/plain"), .write(Array("done".utf8)), .finish(type: nil, document: nil)])
    }

    @Test func responderCalledTwiceEndsTheStreamWithAnError() async throws {
        let (outcome, sink) = try await stream("my $w = $responder->('text/plain'); $w->write('1'); $responder->('text/html');")
        #expect(outcome == .streamed)
        #expect(sink.events.filter { if case .start = $0 { return true } else { return false } }.count == 1)
        #expect(errorDocument(sink.events.last)?.errorMessage == "the streaming responder was called twice\n")
    }

    @Test func brokenStreamWriteIsADieTheHandlerCanSee() async throws {
        let (outcome, sink) = try await stream("""
        my $w = $responder->('text/plain'); $w->write('first');
        eval { $w->write('second'); 1 } and die "write into a broken stream succeeded\\n";
        die "seen: $@";
        """) { $0.failWrite = 2 }
        #expect(outcome == .streamed)
        let doc = try #require(errorDocument(sink.finishes.last), "\(sink.events)")
        #expect(doc.errorMessage?.hasPrefix("seen: response stream write failed: the connection is gone") == true, "\(doc)")
    }

    @Test func failingStartIsAnOrdinaryError() async throws {
        let (outcome, sink) = try await stream("$responder->('text/plain')->write('never');") { $0.failStart = true }
        #expect(sink.events == [.start("text/plain")])
        #expect(outcome.error?.document.errorMessage?.hasPrefix("response stream could not start") == true, "\(outcome)")
    }

    @Test func largeStreamArrivesIntact() async throws {
        let (outcome, sink) = try await stream("my $w = $responder->('application/octet-stream'); $w->write(chr(65 + $_ % 26) x 65536) for 0 .. 99; $w->close;")
        #expect(outcome == .streamed)
        #expect(sink.events.count == 102)
        let body = sink.body
        #expect(body.utf8.count == 100 * 65536)
        #expect(body.hasPrefix("AAAA") && body.hasSuffix("VVVV"))
    }

    @Test func streamingHandlerWithoutASinkIsAMarshalError() async throws {
        let outcome = try await loadAndInvoke("sub handle { sub { $_[0]->('text/plain')->close } } 1;", "{}", stream: nil)
        #expect(outcome.error?.type == "Runtime.MarshalError", "\(outcome)")
    }

    @Test func streamingAndBufferedInvocationsAlternate() async throws {
        let root = try TaskRoot.handler("sub handle { my ($p) = @_; return $p->{n} unless $p->{stream}; sub { my $w = $_[0]->('text/plain'); $w->write(\"n=$p->{n}\"); $w->close } } 1;")
        let sinks = [RecordingSink(), RecordingSink(), RecordingSink()]
        let boxed = UncheckedBox(sinks)
        let outcomes = try await PerlHost.shared.run { perl -> [PerlOutcome] in
            _ = perl.loadHandler(taskRoot: root.path, handler: "handler.handle")
            return [perl.invoke(event(#"{"n":1,"stream":1}"#), stream: boxed.value[0]),
                    perl.invoke(event(#"{"n":2}"#), stream: boxed.value[1]),
                    perl.invoke(event(#"{"n":3,"stream":1}"#), stream: boxed.value[2])]
        }
        #expect(outcomes == [.streamed, .success(Array("2".utf8)), .streamed])
        #expect(sinks.map(\.body) == ["n=1", "", "n=3"])
    }

    /// `exit` after the stream started: the outcome is `.exited`, and the sink is never finished, so a
    /// caller that posts the exit error must first end the open stream itself.
    @Test func exitMidStreamLeavesTheStreamOpen() async throws {
        let (outcome, sink) = try await stream("my $w = $responder->('text/plain'); $w->write('before exit'); exit 5;")
        guard case .exited(5, "Runtime.ExitError", _) = outcome else { Issue.record("\(outcome)"); return }
        #expect(sink.events == [.start("text/plain"), .write(Array("before exit".utf8))])
    }
}
