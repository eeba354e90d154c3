# Init errors under the RIE: the runtime reports them (POST /runtime/init/error) and exits non-zero; the RIE
# answers the invoke with the reported errorType/errorMessage.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use PerlLambdaTest;

my $dir = PerlLambdaTest::handlers_dir();
my @cases = (
    [ 'missing file', 'no_such_file.handle', 'Error', qr/^Can't locate \Q$dir\E\/no_such_file\.pl\b/ ],
    [ 'compile error', 'init_compile.handle', 'Error', qr/syntax error at \Q$dir\E\/init_compile\.pl line \d+/ ],
    # perl's require appends "Compilation failed in require" to anything that dies in the file, even an
    # exception object (which it stringifies, so the class is lost): AWS::Lambda reports the same (compat.t)
    [ 'die at load', 'init_die.handle', 'Error', qr/^init failed on purpose\nCompilation failed in require\b/ ],
    [ 'die with an object at load', 'init_die_object.handle', 'Error',
      qr/^My::InitError: init object failureCompilation failed in require\b/ ],
    [ 'file returns false', 'init_false.handle', 'Error', qr/init_false\.pl did not return a true value/ ],
    [ 'missing sub', 'hello.no_such_sub', 'Error', qr/^handler no_such_sub is not found/ ],
    [ 'exit at load', 'init_exit.handle', 'Runtime.ExitError', qr/exit\(4\)/ ],
);

for my $case (@cases) {
    my ($name, $handler, $type, $message) = @$case;
    subtest $name => sub {
        my $fn = PerlLambdaTest->start(handler => $handler);
        my $r = $fn->invoke({});
        isnt $r->{status}, 200, "the RIE fails the invoke ($r->{status})";
        is $r->{data}{errorType}, $type, "errorType $type" or diag $r->{content};
        like $r->{data}{errorMessage}, $message, 'errorMessage' or diag $r->{content};
        my $log = $fn->wait_log(qr/Process runtime-\d+ exited/);
        my @status = $fn->runtime_exit_statuses;
        ok @status && $status[0] != 0, "the runtime exited non-zero (@status)";
        like $log, qr/init error \(\Q$type\E\) loading \Q$handler\E/, 'the runtime logged the init error';
        # the RIE re-runs init on the next invoke: the same error again
        my $r2 = $fn->invoke({});
        is $r2->{data}{errorType}, $type, 'next invoke: the same init error';
    };
}

done_testing;
