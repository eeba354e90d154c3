# SIGTERM at shutdown (Lambda sends it when extensions are registered): a handler's $SIG{TERM} hook, set at load
# time, runs at once although the runtime is blocked in GET /next, then its exit ends the process with END blocks
# run — as under AWS::Lambda's pure-Perl runtime, measured side by side. Perl alone would defer the hook to its
# next op, which never comes while the bootstrap waits for the Runtime API.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use File::Temp ();
use Time::HiRes qw(sleep time);
use PerlLambdaTest;

my @runtimes = ('ours');
push @runtimes, 'aws-lambda' unless PerlLambdaTest::aws_lambda_missing();

for my $rt (@runtimes) {
    subtest "$rt: the hook runs, then the process exits cleanly" => sub {
        my $dir = File::Temp::tempdir(CLEANUP => 1);
        my $fn = PerlLambdaTest->start(handler => 'sigterm.handle', runtime => $rt, env => { SIGTERM_MARKER => "$dir/marker" });
        my $r = $fn->invoke({});
        my $pid = $r->{data}{pid} or return fail "no first invocation: $r->{content}";
        sleep 0.3;    # back in GET /next
        my $t = time;
        kill 'TERM', $pid;
        PerlLambdaTest::wait_for(sub { !PerlLambdaTest::alive($pid) }, 3);
        my $took = time - $t;
        ok !PerlLambdaTest::alive($pid), sprintf('the runtime ended (%.2f s)', $took);
        cmp_ok $took, '<', 1.5, 'within the shutdown grace period';
        my $marks = do { local (@ARGV, $/) = ("$dir/marker"); <> } // '';
        is $marks, "term $pid\nend\n", 'the hook ran, then the END block';
        PerlLambdaTest::wait_for(sub { $fn->log =~ /SIGTERM received/ }, 2);
        like $fn->log, qr/\[runtime\] SIGTERM received/, 'its output reached the log';
        $fn->stop;
    };
}

subtest 'a hook that does not exit: the runtime keeps serving' => sub {
    my $dir = File::Temp::tempdir(CLEANUP => 1);
    my $fn = PerlLambdaTest->start(handler => 'sigterm.handle', env => { SIGTERM_MARKER => "$dir/marker", SIGTERM_STAY => 1 });
    my $pid = $fn->invoke({})->{data}{pid};
    sleep 0.3;
    kill 'TERM', $pid;
    PerlLambdaTest::wait_for(sub { -s "$dir/marker" }, 2);
    is do { local (@ARGV, $/) = ("$dir/marker"); <> }, "term $pid\n", 'the hook ran';
    is $fn->invoke({})->{data}{pid}, $pid, 'and the same process serves the next invocation';
    $fn->stop;
};

done_testing;
