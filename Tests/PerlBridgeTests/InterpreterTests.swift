import Foundation
import PerlBridge
import Testing

@Suite("PerlInterpreter: eval, die, exit, stack", .timeLimit(.minutes(1)))
struct InterpreterTests {
    let host = PerlHost.shared

    @Test(arguments: [
        ("1 + 2", "3"),
        ("join ',', map { $_ * 2 } 1 .. 4", "2,4,6,8"),
        ("my %h = (a => 1); scalar keys %h", "1"),
        ("undef", ""),
        ("'unicode: é日😀'", "unicode: é日😀"),
        ("$] >= 5.026 ? 'modern' : 'old'", "modern"),
        ("defined &PerlLambda::JSON::encode_json ? 'json' : 'none'", "json"),
        ("PerlLambda::JSON::encode_json([1, 'a', undef])", #"[1,"a",null]"#),
    ])
    func evalReturnsTheLastValueAsAString(_ code: String, _ expected: String) async throws {
        let outcome = try await host.run { $0.eval(code) }
        #expect(outcome == .success(Array(expected.utf8)))
    }

    @Test func evalSeesTheRuntimeModules() async throws {
        let outcome = try await host.run {
            $0.eval("join ',', map { $INC{$_} ? 1 : 0 } qw(AWS/Lambda.pm AWS/Lambda/Context.pm PerlLambda/Host.pm)")
        }
        #expect(outcome.successText == "1,1,1")
    }

    @Test func dieIsAFailureWithAnErrorDocument() async throws {
        let outcome = try await host.run { $0.eval("die \"boom\\n\"") }
        let error = try #require(outcome.error, "\(outcome)")
        #expect(error.type == "Error")
        #expect(error.document.errorType == "Error")
        #expect(error.document.errorMessage == "boom\n")
        #expect(error.document.stackTrace == [])
    }

    @Test func dieWithoutNewlineCarriesTheLocation() async throws {
        let outcome = try await host.run { $0.eval("die 'located'") }
        let message = try #require(outcome.error?.document.errorMessage)
        #expect(message.hasPrefix("located at "))
        #expect(message.contains(" line "))
    }

    @Test func compileErrorIsAFailure() async throws {
        let outcome = try await host.run { $0.eval("my $x = ;") }
        let error = try #require(outcome.error, "\(outcome)")
        #expect(error.type == "Error")
        #expect(error.document.errorMessage?.contains("syntax error") == true)
    }

    @Test func interpreterWorksAfterDie() async throws {
        let outcomes = try await host.run { perl in [perl.eval("die 'x'"), perl.eval("6 * 7")] }
        #expect(!outcomes[0].isSuccess)
        #expect(outcomes[1].successText == "42")
    }

    @Test(arguments: [Int32(0), 3, 255])
    func exitIsTrappedAndTheInterpreterStillWorks(_ code: Int32) async throws {
        let outcomes = try await host.run { perl in
            [perl.eval("our $survivor = 'alive'; 1"), perl.eval("exit \(code)"), perl.eval("\"$survivor \" . (40 + 2)")]
        }
        guard case .exited(let exitCode, let type, _) = outcomes[1] else {
            Issue.record("expected .exited, got \(outcomes[1])")
            return
        }
        #expect(exitCode == code)
        #expect(type == "Runtime.ExitError")
        let doc = try #require(outcomes[1].error?.document)
        #expect(doc.errorType == "Runtime.ExitError")
        #expect(doc.errorMessage == "evaluated code called exit(\(code)); the runtime kept the execution environment alive")
        #expect(outcomes[2].successText == "alive 42")
    }

    @Test func exitFromDeepInsideUnwindsLocalsAndEvals() async throws {
        let outcomes = try await host.run { perl in
            [
                perl.eval("our $v = 'outer'; 1"),
                perl.eval("sub deep { my $n = shift; local $v = \"inner$n\"; return $n ? deep($n - 1) : eval { exit 7 } } deep(20)"),
                perl.eval("$v"),
                perl.eval("exit 1 for 1 .. 3"),
                perl.eval("my @a = sort { $a <=> $b } (3, 1, 2); \"@a\""),
            ]
        }
        guard case .exited(7, _, _) = outcomes[1] else { Issue.record("\(outcomes[1])"); return }
        #expect(outcomes[2].successText == "outer")
        guard case .exited(1, _, _) = outcomes[3] else { Issue.record("\(outcomes[3])"); return }
        #expect(outcomes[4].successText == "1 2 3")
    }

    @Test func manyExitsInARowKeepTheInterpreterUsable() async throws {
        let outcomes = try await host.run { perl in (0..<200).map { perl.eval("exit \($0 % 5)") } + [perl.eval("'ok'")] }
        #expect(outcomes.dropLast().allSatisfy { if case .exited = $0 { return true } else { return false } })
        #expect(outcomes.last?.successText == "ok")
    }

    @Test func deepPurePerlRecursion() async throws {
        let outcome = try await host.run {
            $0.eval("no warnings 'recursion'; sub depth { my $n = shift; $n ? 1 + depth($n - 1) : 0 } depth(50_000)")
        }
        #expect(outcome.successText == "50000")
    }

    /// Recursion through overloaded stringification nests C frames (~1.2 KB each): 8,000 levels need about
    /// 10 MB of C stack — more than a default 8 MB main thread or a 512 KB secondary thread has, well
    /// within the PerlThread's 16 MiB.
    @Test func deepRecursionThroughCFramesFitsThePerlThreadStack() async throws {
        #expect(PerlThread.defaultStackSize >= 16 << 20)
        let outcome = try await host.run {
            $0.eval("""
            package Deep; use overload '""' => sub { my $n = $_[0]{n}; $n ? 'x' . bless({ n => $n - 1 }, 'Deep') : '' };
            package main; length('' . bless({ n => 8_000 }, 'Deep'))
            """)
        }
        #expect(outcome.successText == "8000")
    }

    @Test func flushDoesNotDisturbTheInterpreter() async throws {
        let outcome = try await host.run { perl in
            _ = perl.eval("print STDERR ''; 1")
            perl.flush()
            return perl.eval("'after flush'")
        }
        #expect(outcome.successText == "after flush")
    }

    @Test func perlThreadRunsOnADistinctThreadAndWaits() {
        var ranOn: pthread_t?
        var finished = false
        PerlThread.run {
            ranOn = pthread_self()
            usleep(20_000)
            finished = true
        }
        #expect(finished)
        #expect(ranOn.map { pthread_equal($0, pthread_self()) == 0 } == true)
    }

    /// In a child process: one interpreter created, used and destroyed, then a second one on a new thread.
    @Test func secondInterpreterCreatedSequentiallyWorks() async {
        await #expect(processExitsWith: .success) {
            for round in 1...2 {
                var result: PerlOutcome?
                PerlThread.run {
                    guard let perl = try? PerlInterpreter() else { return }
                    _ = perl.eval("our $round = \(round)")
                    result = perl.eval("\"round $round: \" . (2 ** 10)")
                }
                guard result?.successText == "round \(round): 1024" else { exit(10 + Int32(round)) }
            }
            exit(0)
        }
    }

    @Test func libDirsGoFirstOnINC() async {
        await #expect(processExitsWith: .success) {
            let dir = NSTemporaryDirectory() + "perl-lambda-lib-" + UUID().uuidString
            try? FileManager.default.createDirectory(atPath: dir + "/My", withIntermediateDirectories: true)
            try? "package My::Mod; sub hi { 'hi from lib' } 1;".write(toFile: dir + "/My/Mod.pm", atomically: true, encoding: .utf8)
            var result: PerlOutcome?
            PerlThread.run {
                guard let perl = try? PerlInterpreter(libDirs: [dir, "/nonexistent"]) else { return }
                result = perl.eval("require My::Mod; My::Mod::hi() . ' ' . ($INC[1] eq '\(dir)' ? 'first' : \"at $INC[1]\")")
            }
            try? FileManager.default.removeItem(atPath: dir)
            exit(result?.successText == "hi from lib first" ? 0 : 1)
        }
    }
}
