# Every invocation error kind under the RIE, one runtime process serving them all in turn.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use PerlLambdaTest;

my $fn = PerlLambdaTest->start(handler => 'errors.handle');
my $handler_file = PerlLambdaTest::handlers_dir() . '/errors.pl';
my $pid = $fn->invoke({ kind => 'ok' })->{data}{pid};
ok $pid, "runtime process $pid serves";

sub error_for {
    my ($kind) = @_;
    my $r = $fn->invoke({ kind => $kind });
    is $r->{status}, 200, "$kind: the RIE answers 200 (it does not flag function errors)";
    my $d = $r->{data};
    ok ref $d eq 'HASH' && exists $d->{errorType} && exists $d->{errorMessage}, "$kind: an error document"
        or diag $r->{content};
    return $d // {};
}

sub still_serving {
    my ($after) = @_;
    my $r = $fn->invoke({ kind => 'ok' });
    is $r->{data}{pid}, $pid, "after $after: same process keeps serving";
}

subtest 'die with a string' => sub {
    my $d = error_for('die_string');
    is $d->{errorType}, 'Error', 'errorType Error';
    is $d->{errorMessage}, "something went wrong\n", 'errorMessage is "$err" (newline kept, like AWS::Lambda)';
    is ref $d->{stackTrace}, 'ARRAY', 'stackTrace is a list';
    like $d->{stackTrace}[0], qr/ at \Q$handler_file\E line \d+$/, 'its first frame is in the handler file';
    ok((grep { /^main::handle at / } @{ $d->{stackTrace} }), 'and main::handle is on it');
    like $fn->log, qr/^something went wrong$/m, 'the error was printed to the log';
};

subtest 'die with a located message' => sub {
    my $d = error_for('die_located');
    like $d->{errorMessage}, qr/^located failure at \Q$handler_file\E line \d+\.\n\z/, 'perl\'s " at FILE line N." kept';
};

subtest 'die with unicode' => sub {
    my $d = error_for('die_unicode');
    is $d->{errorMessage}, "Fehler: ünïcödé ☃\n", 'characters survive';
};

subtest 'nested calls give a deeper stack trace' => sub {
    my $d = error_for('die_nested');
    is $d->{errorMessage}, "deep failure\n", 'message';
    my @subs = map { /^(\S+) at / ? $1 : $_ } @{ $d->{stackTrace} };
    is_deeply [ @subs[0 .. 2] ], [ 'main::level2', 'main::level1', 'main::__ANON__' ], 'innermost frames first';
};

subtest 'die with an object' => sub {
    my $d = error_for('die_object');
    is $d->{errorType}, 'My::Exception', 'errorType is the class';
    is $d->{errorMessage}, 'My::Exception: object failure', 'errorMessage is the stringified object';
    $d = error_for('die_plain_obj');
    is $d->{errorType}, 'My::PlainError', 'class without overloading: errorType still the class';
    like $d->{errorMessage}, qr/^My::PlainError=HASH\(0x[0-9a-f]+\)$/, 'message is perl\'s default stringification';
};

subtest 'die with unblessed references' => sub {
    my $d = error_for('die_hashref');
    is $d->{errorType}, 'Error', 'errorType Error';
    is_deeply PerlLambdaTest::json()->decode($d->{errorMessage}), { code => 42, reason => 'hash failure' },
        'errorMessage is the hash as JSON';
    $d = error_for('die_arrayref');
    is_deeply PerlLambdaTest::json()->decode($d->{errorMessage}), [ 'array', 'failure' ], 'array as JSON';
};

subtest 'exit in the handler' => sub {
    for my $kind (qw(exit_zero exit_three)) {
        my $d = error_for($kind);
        is $d->{errorType}, 'Runtime.ExitError', "$kind: Runtime.ExitError";
        my ($code) = $kind eq 'exit_zero' ? 0 : 3;
        like $d->{errorMessage}, qr/exit\($code\)/, "$kind: the message names the exit code";
        still_serving($kind);
    }
    is_deeply [ $fn->runtime_exit_statuses ], [], 'the RIE saw no runtime exit';
};

subtest 'unencodable results are Runtime.MarshalError' => sub {
    for my $kind (qw(blessed_no_json glob cycle scalar_ref)) {
        my $d = error_for($kind);
        is $d->{errorType}, 'Runtime.MarshalError', "$kind: Runtime.MarshalError";
        like $d->{errorMessage}, qr/^Unable to marshal/, "$kind: message";
        still_serving($kind);
    }
    my $d = error_for('blessed_no_json');
    like $d->{errorMessage}, qr/My::NoJSON/, 'the message names the class without TO_JSON';
    $d = error_for('cycle');
    like $d->{errorMessage}, qr/cycl|nesting|recurs/i, 'the cycle is recognisable from the message';
    # (df28f86's encoder called a glob ref "a reference to a scalar"; fixed in the encoder rewrite)
    $d = error_for('glob');
    like $d->{errorMessage}, qr/glob/i, 'the message says it is a glob';
    $d = error_for('scalar_ref');
    like $d->{errorMessage}, qr/reference to a scalar/, 'a scalar ref is named as such';
};

subtest 'TO_JSON objects are encoded' => sub {
    my $r = $fn->invoke({ kind => 'blessed_json' });
    is_deeply $r->{data}, { to_json => 42 }, 'TO_JSON result' or diag $r->{content};
};

subtest 'a code ref that is not a streaming handler' => sub {
    my $d = error_for('code_not_stream');
    is $d->{errorType}, 'Error', 'an ordinary error';
    like $d->{errorMessage}, qr/responder/, 'saying the responder was never called';
    still_serving('code_not_stream');
};

subtest 'invalid JSON events (and an empty body) reach the runtime and are Runtime.UnmarshalError' => sub {
    for my $bad ('{"kind":', 'nojson', "{\"a\":\"\xff\xfe\"}", '') {
        my $r = $fn->invoke_raw($bad);
        is $r->{status}, 200, "event '$bad': 200";
        is $r->{data}{errorType}, 'Runtime.UnmarshalError', "event '$bad': Runtime.UnmarshalError" or diag $r->{content};
        like $r->{data}{errorMessage}, qr/JSON/, 'the message says JSON';
    }
    still_serving('invalid JSON');
};

is_deeply [ $fn->runtime_exit_statuses ], [], 'no runtime restarts at all';
is $fn->runtime_pid, $pid, 'the original runtime process is still the RIE\'s child';

done_testing;
