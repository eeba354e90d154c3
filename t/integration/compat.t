# Compatibility measured: the corpus under AWS::Lambda's own bootstrap (p5-aws-lambda, from the mirror) and under
# ours, both behind the real RIE. Results must be equal as data; errors must have the same errorType and the same
# errorMessage once the " at FILE line N." naming either runtime's own files is removed. Intentional differences
# are asserted explicitly. A summary table is printed at the end.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use PerlLambdaTest;

my @missing = PerlLambdaTest::aws_lambda_missing();
plan skip_all => "AWS::Lambda cannot run here (missing: @missing; see scripts/setup.sh)" if @missing;

my $json = PerlLambdaTest::json();
my @table;    # [case, verdict, note]

# Runs $handler under both runtimes with the same events; returns { ours => [...], theirs => [...] } of responses
# (each { status, content, data }) plus the RIE objects' logs and runtime exit statuses.
sub run_both {
    my ($handler, $events, %opt) = @_;
    my %out;
    for my $rt (qw(ours aws-lambda)) {
        my $fn = PerlLambdaTest->start(handler => $handler, runtime => $rt, env => $opt{env});
        my @res = map { ref $_ eq 'SCALAR' ? $fn->invoke_raw($$_) : $fn->invoke($_) } @$events;
        my $last = ($fn->request_ids)[-1] // 'none';
        # let the output of the last request arrive (an END line, or the RIE noting the runtime's failure)
        $fn->wait_log(qr/^END RequestId: \Q$last\E|DONE failed/m, 2) if @res;
        $out{$rt eq 'ours' ? 'ours' : 'theirs'} = { res => \@res, log => $fn->log, exits => [ $fn->runtime_exit_statuses ],
                                                    ids => [ $fn->request_ids ] };
        $fn->stop;
    }
    return \%out;
}

sub record { push @table, [@_] }

# Messages compared after removing runtime-file locations and perl's reference addresses.
sub norm {
    my $m = PerlLambdaTest::normalize_message(shift);
    $m =~ s/\(0x[0-9a-f]+\)/(0xADDR)/g if defined $m;
    return $m;
}

# same result data
sub same_results {
    my ($case, $handler, $events, %opt) = @_;
    subtest $case => sub {
        my $o = run_both($handler, $events, %opt);
        my $all = 1;
        for my $i (0 .. $#$events) {
            my ($a, $b) = ($o->{ours}{res}[$i], $o->{theirs}{res}[$i]);
            my $view = $opt{view} // sub { $_[0] };
            my $same = is_deeply $view->($a->{data}), $view->($b->{data}), "event $i: same result"
                or diag "ours:   $a->{content}\ntheirs: $b->{content}";
            is $a->{status}, $b->{status}, "event $i: same status";
            $all &&= $same;
        }
        $opt{extra}->($o) if $opt{extra};
        record($case, $all ? 'same' : 'DIFFERENT');
    };
}

# same error: errorType equal, normalised errorMessage equal; ours adds stackTrace
sub same_errors {
    my ($case, $handler, $events, %opt) = @_;
    subtest $case => sub {
        my $o = run_both($handler, $events, %opt);
        my $all = 1;
        for my $i (0 .. $#$events) {
            my ($a, $b) = map { $_->{data} // {} } $o->{ours}{res}[$i], $o->{theirs}{res}[$i];
            my $ok = is $a->{errorType}, $b->{errorType}, "event $i: same errorType ($b->{errorType})";
            $ok &&= is norm($a->{errorMessage}), norm($b->{errorMessage}), "event $i: same errorMessage (normalised)";
            diag "ours:   $o->{ours}{res}[$i]{content}\ntheirs: $o->{theirs}{res}[$i]{content}" unless $ok;
            $all &&= $ok;
            # documented difference: stackTrace
            is ref $a->{stackTrace}, 'ARRAY', "event $i: ours adds a stackTrace";
            ok !exists $b->{stackTrace}, "event $i: AWS::Lambda sends none";
        }
        $opt{extra}->($o) if $opt{extra};
        record($case, $all ? 'same (+stackTrace)' : 'DIFFERENT', $opt{note});
    };
}

# ---- results ----

same_results('hello', 'hello.handle', [ {} ]);
same_results('echo: nested, numbers, booleans, null, strings', 'echo.handle', [
    { nested => { list => [ 1, [ 2, [ 3, { deep => 'x' } ] ] ], empty => {}, none => [] } },
    { ints => [ 0, -1, 42, 2147483648, 9007199254740993 ], floats => [ 1.5, -0.25, 1e-7, 6.02e23 ] },
    { t => JSON::PP::true(), f => JSON::PP::false(), n => undef, s => [ '', '0', '1.0', "tab\t", 'q"b\\' ] },
    [ 'top', 'level' ], 'bare string', 12345, undef,
]);
same_results('Perl\'s own booleans in results ("1" and "", as JSON::XS)', 'native_bool.handle', [ 'x', 'y', 0 ],
    extra => sub {
        my $o = shift;
        is $o->{ours}{res}[$_]{content}, $o->{theirs}{res}[$_]{content}, "event $_: byte-identical response" for 0 .. 2;
        is $o->{ours}{res}[0]{content}, '["","1","1","","","1","",true,false]', 'ref of a non-reference is "", the rest "1"/""';
    });
same_results('a handler ending in print', 'native_bool.last_print', [ {} ], extra => sub {
    my $o = shift;
    is $o->{ours}{res}[0]{content}, $o->{theirs}{res}[0]{content}, 'byte-identical response';
    is $o->{ours}{res}[0]{content}, '"1"', 'print\'s return value is the string "1"';
});
same_results('echo: Perl-side decoding of the event', 'echo.describe', [
    { a => [ 1, 2.5, '3', JSON::PP::true(), JSON::PP::false(), undef ], s => 'str', n => -7, big => 1e300 },
]);
same_results('unicode in and out', 'unicode.handle', [ { s => "h\x{e9}\x{65e5}\x{672c}\x{1F42A}" }, \'{"s":"\ud83d\udc2a\u00e9"}' ],
    extra => sub {
        my $o = shift;
        is $o->{ours}{res}[$_]{content}, $o->{theirs}{res}[$_]{content}, "event $_: byte-identical response" for 0, 1;
    });
same_results('1 MB payload echoed', 'big.handle', [ { data => 'z' x (1024 * 1024) } ]);
same_results('state across invocations', 'state.handle', [ {}, {}, {} ],
    view => sub { my $d = shift; +{ count => $d->{count}, one_process => $d->{pid} == $d->{loaded_at_pid} ? 1 : 0 } },
    extra => sub {
        my $o = shift;
        is_deeply [ map { $_->{data}{count} } @{ $o->{ours}{res} } ], [ 1, 2, 3 ], 'counter 1, 2, 3';
    });
same_results('streaming handler (buffered by the RIE)', 'streaming.handle', [ {} ], extra => sub {
    my $o = shift;
    is $o->{ours}{res}[0]{content}, $o->{theirs}{res}[0]{content}, 'identical streamed bytes';
});

subtest 'context methods' => sub {
    my $o = run_both('context.handle', [ {} ]);
    my ($a, $b) = map { $_->{res}[0]{data} } @$o{qw(ours theirs)};
    my @same = qw(class function_name function_version log_group_name log_stream_name invoked_function_arn identity
                  client_context tenant_id same_as_global memory_limit_in_mb);
    is_deeply { map { $_ => $a->{$_} } @same }, { map { $_ => $b->{$_} } @same }, 'same values (as data)';
    is $a->{aws_request_id}, $o->{ours}{ids}[0], 'ours: request id of the START line';
    is $b->{aws_request_id}, $o->{theirs}{ids}[0], 'theirs: request id of the START line';
    cmp_ok abs($a->{get_remaining_time_in_millis} - $b->{get_remaining_time_in_millis}), '<', 5000, 'similar remaining time';
    # documented differences
    like $b->{deadline_ms}{died}, qr/Can't locate object method "deadline_ms"/, 'AWS::Lambda has no deadline_ms method';
    like $a->{deadline_ms}, qr/^\d{13}$/, 'ours adds deadline_ms';
    like $o->{ours}{res}[0]{content}, qr/"memory_limit_in_mb":128[,}]/, 'ours: memory_limit_in_mb a JSON number';
    like $o->{theirs}{res}[0]{content}, qr/"memory_limit_in_mb":"128"/, 'AWS::Lambda: a string (its unary + is a no-op)';
    record('context methods', 'same values', 'ours adds deadline_ms; memory_limit_in_mb is a number, not "128"');
};

# ---- errors ----

same_errors('die with a string', 'errors.handle', [ { kind => 'die_string' }, { kind => 'die_located' }, { kind => 'die_nested' } ]);
same_errors('die with unicode', 'errors.handle', [ { kind => 'die_unicode' } ]);
same_errors('die with an object', 'errors.handle', [ { kind => 'die_object' }, { kind => 'die_plain_obj' } ]);

subtest 'die with unblessed references' => sub {
    my $o = run_both('errors.handle', [ { kind => 'die_hashref' }, { kind => 'die_arrayref' } ]);
    for my $i (0, 1) {
        my ($a, $b) = map { $_->{res}[$i]{data} } @$o{qw(ours theirs)};
        is $a->{errorType}, $b->{errorType}, "event $i: same errorType";
        like $b->{errorMessage}, qr/^(HASH|ARRAY)\(0x[0-9a-f]+\)$/, "event $i: AWS::Lambda stringifies the reference";
        ok eval { $json->decode($a->{errorMessage}); 1 }, "event $i: ours sends it as JSON (intentional)";
    }
    record('die with a hash/array ref', 'errorType same', 'message: ours JSON, AWS::Lambda "HASH(0x...)"');
};

subtest 'exit in the handler' => sub {
    my $o = run_both('errors.handle', [ { kind => 'exit_three' }, { kind => 'ok' } ]);
    my ($a, $b) = map { $_->{res}[0] } @$o{qw(ours theirs)};
    is $a->{data}{errorType}, 'Runtime.ExitError', 'ours: Runtime.ExitError';
    is $b->{data}{errorType}, 'Runtime.ExitError', 'AWS::Lambda: Runtime.ExitError too (made by the RIE: the process died)';
    is $b->{status}, 502, 'AWS::Lambda: the RIE answers 502';
    is_deeply $o->{theirs}{exits}, [3], 'AWS::Lambda\'s process exited with 3';
    is_deeply $o->{ours}{exits}, [], 'ours kept running (intentional)';
    is $o->{ours}{res}[1]{data}{ok}, 1, 'and served the next invoke';
    is $o->{theirs}{res}[1]{data}{ok}, 1, 'AWS::Lambda served the next one after the RIE restarted it';
    isnt $o->{theirs}{res}[1]{data}{pid}, $o->{theirs}{res}[0]{data}{pid} // 0, '(in a new process)';
    record('exit in the handler', 'errorType same', 'AWS::Lambda dies (502, restart); ours reports it and keeps serving');
};

subtest 'unencodable results' => sub {
    my @kinds = qw(blessed_no_json glob cycle scalar_ref);
    my $o = run_both('errors.handle', [ map { { kind => $_ } } @kinds ]);
    for my $i (0 .. $#kinds) {
        my ($a, $b) = map { $_->{res}[$i] } @$o{qw(ours theirs)};
        is $a->{data}{errorType}, 'Runtime.MarshalError', "$kinds[$i]: ours Runtime.MarshalError";
        is $b->{status}, 502, "$kinds[$i]: AWS::Lambda crashes (the RIE answers 502)";
        is $b->{data}{errorType}, 'Runtime.ExitError', "$kinds[$i]: ... as Runtime.ExitError";
    }
    is scalar(@{ $o->{theirs}{exits} }), scalar(@kinds), 'AWS::Lambda exited once per unencodable result';
    is_deeply $o->{ours}{exits}, [], 'ours never exited';
    like $o->{theirs}{log}, qr/encountered object 'My::NoJSON=HASH/, 'AWS::Lambda\'s crash is JSON::XS refusing the object';
    record('unencodable result', 'documented difference', 'AWS::Lambda crashes (Runtime.ExitError); ours Runtime.MarshalError');
};

subtest 'object with TO_JSON' => sub {
    my $o = run_both('errors.handle', [ { kind => 'blessed_json' } ]);
    is_deeply $o->{ours}{res}[0]{data}, { to_json => 42 }, 'ours encodes it via TO_JSON';
    is $o->{theirs}{res}[0]{data}{errorType}, 'Runtime.ExitError', 'AWS::Lambda crashes (JSON::XS without convert_blessed)';
    record('TO_JSON object', 'documented difference', 'ours uses TO_JSON; AWS::Lambda crashes');
};

subtest 'invalid JSON event' => sub {
    my $o = run_both('echo.handle', [ \'{"kind":', {} ]);
    is $o->{ours}{res}[0]{data}{errorType}, 'Runtime.UnmarshalError', 'ours: Runtime.UnmarshalError';
    is $o->{theirs}{res}[0]{data}{errorType}, 'Runtime.ExitError', 'AWS::Lambda: decode_json dies outside its try, the process exits';
    like $o->{theirs}{log}, qr/malformed JSON string|unexpected end of string/, '(JSON::XS error in its log)';
    is_deeply $o->{ours}{res}[1]{data}, {}, 'ours serves the next event';
    is_deeply $o->{theirs}{res}[1]{data}, {}, 'AWS::Lambda too, after a restart';
    record('invalid JSON event', 'documented difference', 'AWS::Lambda crashes; ours Runtime.UnmarshalError');
};

subtest 'response over 6 MB' => sub {
    my $o = run_both('big.handle', [ { make => 6_291_555 }, { after => 1 } ]);
    my ($a, $b) = map { $_->{res}[0]{data} } @$o{qw(ours theirs)};
    is $a->{errorType}, 'Function.ResponseSizeTooLarge', 'ours: Function.ResponseSizeTooLarge';
    is $b->{errorType}, 'Function.ResponseSizeTooLarge', 'AWS::Lambda: the same (the RIE refuses its POST, it dies)';
    is_deeply $o->{ours}{res}[1]{data}, { after => 1 }, 'next invoke: ours';
    is_deeply $o->{theirs}{res}[1]{data}, { after => 1 }, 'next invoke: AWS::Lambda (restarted)';
    is_deeply $o->{ours}{exits}, [], 'ours did not exit';
    record('response over 6 MB', 'errorType same', 'message differs: ours names the size; AWS::Lambda restarts');
};

subtest 'code ref that never calls its responder' => sub {
    # AWS::Lambda sends nothing at all for it, so the RIE waits until the function timeout: not run under it
    my $fn = PerlLambdaTest->start(handler => 'errors.handle');
    my $r = $fn->invoke({ kind => 'code_not_stream' });
    is $r->{data}{errorType}, 'Error', 'ours answers with an error';
    record('streaming handler without responder', 'not compared', 'AWS::Lambda never answers (hangs until timeout)');
};

# ---- init errors ----

for my $case (
    [ 'init: missing file', 'no_such_file.handle' ],
    [ 'init: compile error', 'init_compile.handle' ],
    [ 'init: die at load', 'init_die.handle' ],
    [ 'init: die with an object at load', 'init_die_object.handle' ],
    [ 'init: file returns false', 'init_false.handle' ],
    [ 'init: missing sub', 'hello.no_such_sub' ],
) {
    my ($name, $handler) = @$case;
    subtest $name => sub {
        my $o = run_both($handler, [ {} ]);
        my ($a, $b) = map { $_->{res}[0]{data} // {} } @$o{qw(ours theirs)};
        my $ok = is $a->{errorType}, $b->{errorType}, "same errorType ($b->{errorType})";
        $ok &&= is norm($a->{errorMessage}), norm($b->{errorMessage}), 'same errorMessage (normalised)';
        is $o->{ours}{res}[0]{status}, $o->{theirs}{res}[0]{status}, 'same status';
        ok $o->{ours}{exits}[0], "ours exits non-zero ($o->{ours}{exits}[0])";
        is $o->{theirs}{exits}[0], 0, 'AWS::Lambda exits 0 after reporting (documented difference)';
        record($name, $ok ? 'same' : 'DIFFERENT', 'exit status: ours 1, AWS::Lambda 0');
    };
}

subtest 'init: exit at load' => sub {
    my $o = run_both('init_exit.handle', [ {} ]);
    my ($a, $b) = map { $_->{res}[0] } @$o{qw(ours theirs)};
    is $a->{data}{errorType}, 'Runtime.ExitError', 'ours reports Runtime.ExitError';
    like $a->{data}{errorMessage}, qr/exit\(4\)/, 'naming the exit code';
    is $b->{status}, 502, 'AWS::Lambda: the RIE answers 502';
    is $b->{content}, '', '... with no error document: AWS::Lambda exits without reporting';
    is_deeply $o->{theirs}{exits}, [4], 'AWS::Lambda\'s process exits with the file\'s status 4';
    ok $o->{ours}{exits}[0], 'ours exits non-zero after reporting';
    record('init: exit at load', 'documented difference', 'ours reports Runtime.ExitError; AWS::Lambda just exits 4');
};

# ---- logging, trace ----

subtest 'handler output' => sub {
    my $o = run_both('logging.handle', [ { lines => 4 } ]);
    my %lines;
    for my $rt (qw(ours theirs)) {
        my $id = $o->{$rt}{ids}[0];
        my ($section) = $o->{$rt}{log} =~ /^START RequestId: \Q$id\E[^\n]*\n(.*?)^END RequestId/ms;
        $lines{$rt} = [ grep { !/\(rapid\)/ } split /\n/, $section // '' ];
        s/\Q$id\E/ID/ for @{ $lines{$rt} };
    }
    is_deeply [ grep { /stderr|warned/ } @{ $lines{ours} } ], [ grep { /stderr|warned/ } @{ $lines{theirs} } ],
        'same stderr lines inside the request';
    is_deeply [ grep { /stdout/ } @{ $lines{ours} } ], [ 'line 1 stdout ID', 'line 3 stdout ID' ], 'ours: stdout lines inside the request';
    is_deeply [ grep { /stdout/ } @{ $lines{theirs} } ], [], 'AWS::Lambda: stdout is block-buffered, not inside the request';
    record('handler output', 'stderr same', 'ours flushes stdout per line; AWS::Lambda buffers it');
};

subtest '_X_AMZN_TRACE_ID' => sub {
    my $o = run_both('trace.handle', [ { set => 'Root=leak' }, {} ], env => { _X_AMZN_TRACE_ID => 'Root=env' });
    for my $i (0, 1) {
        my ($a, $b) = map { $_->{res}[$i]{data} } @$o{qw(ours theirs)};
        is $a->{value}, $b->{value}, "event $i: same value (undef: the RIE sends no trace id)";
        is $a->{child}, $b->{child}, "event $i: same for child processes";
        is $a->{at_load}, $b->{at_load}, "event $i: same at load";
        is $b->{exists}, 1, "event $i: AWS::Lambda leaves the key in %ENV (local \$ENV{...} = undef)";
        is $a->{exists}, 0, "event $i: ours removes it";
    }
    record('_X_AMZN_TRACE_ID', 'same values', 'no trace id: AWS::Lambda keeps an undef key, ours deletes it');
};

my $w = (sort { $b <=> $a } map { length $_->[0] } @table)[0];
diag sprintf "\n%-*s  %-22s  %s", $w, 'case', 'verdict', 'notes';
diag sprintf "%-*s  %-22s  %s", $w, @$_[0, 1], $_->[2] // '' for @table;
my $same = grep { $_->[1] =~ /^same/ } @table;
diag sprintf "%d cases: %d same, %d documented differences, %d different", scalar(@table), $same,
    scalar(grep { $_->[1] !~ /^same|DIFFERENT/ } @table), scalar(grep { $_->[1] eq 'DIFFERENT' } @table);

done_testing;
