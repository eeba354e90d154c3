# Fatal signals end the runtime at once, as on Lambda: the caller gets Runtime.ExitError ("signal: segmentation
# fault"), not a success after the handler's sleep, and no backtrace reaches the function's log — even with
# Swift's crash backtracer enabled (SWIFT_BACKTRACE, as builds that find swift-backtrace have it), which used to
# catch `kill 'SEGV', $$` and let the handler carry on. With AWS_LAMBDA_MAX_CONCURRENCY a crashed worker fails
# only its own invocation: the others keep serving and it is replaced.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes qw(time sleep);
use PerlLambdaTest;

# the toolchain's backtracer, so the test also fails where the runtime would otherwise find none
my ($tracer) = grep { -x } map { "$_/../libexec/swift/linux/swift-backtrace-static" }
    map { my $s = $_; $s =~ s{/swift$}{}; $s } grep { -x "$_/swift" } split /:/, $ENV{PATH};
my %bt = (SWIFT_BACKTRACE => 'enable=yes,interactive=no' . ($tracer ? ",swift-backtrace=$tracer" : ''));
note $tracer ? "Swift backtracer enabled: $tracer" : 'no swift-backtrace found: testing without it';

my %words = (SEGV => 'segmentation fault', ABRT => 'aborted', BUS => 'bus error', ILL => 'illegal instruction',
             TRAP => 'trace/breakpoint trap', SYS => 'bad system call', QUIT => 'quit');
my @cases = ((map { [ "kill_$_", $words{$_} ] } sort keys %words), [ fault => 'segmentation fault' ], [ abort => 'aborted' ]);
subtest 'each fatal signal ends the runtime with Runtime.ExitError' => sub {
    my $fn = PerlLambdaTest->start(handler => 'crash.handle', env => \%bt);
    for my $c (@cases) {
        my ($how, $word) = @$c;
        my $t = time;
        my $r = $fn->invoke({ how => $how, sleep => 5 });
        my $took = time - $t;
        is $r->{data} && $r->{data}{errorType}, 'Runtime.ExitError', "$how: Runtime.ExitError" or diag $r->{content};
        like $r->{data} && $r->{data}{errorMessage}, qr/Runtime exited with error: signal: \Q$word\E$/, "$how: signal: $word";
        cmp_ok $took, '<', 2.5, sprintf("$how: at once (%.2f s; the handler would have slept 5 s)", $took);
        my $next = $fn->invoke({});
        is $next->{data} && $next->{data}{how}, 'none', "$how: the next invocation is served (fresh runtime)";
    }
    unlike $fn->log, qr/Program crashed|Backtrac|Thread 0/, 'no backtrace in the function\'s log';
    my $r = $fn->invoke({ how => 'kill_FPE', sleep => 0 });
    is $r->{data} && $r->{data}{how}, 'kill_FPE', 'SIGFPE is ignored, as plain perl (and AWS::Lambda) ignores it';
    $fn->stop;
};

subtest 'PERL_LAMBDA_BACKTRACE=1 keeps the backtracer (debugging)' => sub {
    plan skip_all => 'no swift-backtrace in the toolchain' unless $tracer;
    my $fn = PerlLambdaTest->start(handler => 'crash.handle', env => { %bt, PERL_LAMBDA_BACKTRACE => 1 });
    my $r = $fn->invoke({ how => 'fault' });
    is $r->{data} && $r->{data}{errorType}, 'Runtime.ExitError', 'a real fault still ends the runtime';
    PerlLambdaTest::wait_for(sub { $fn->log =~ /Program crashed/ }, 5);
    like $fn->log, qr/Program crashed/, 'with a backtrace in the log';
    $fn->stop;
};

subtest 'AWS_LAMBDA_MAX_CONCURRENCY=10: 9 workers crash, the good invocation succeeds' => sub {
    my $why = PerlLambdaTest::managed_mode_unavailable();
    plan skip_all => $why if $why;
    my $fn = PerlLambdaTest->start(handler => 'crash.handle', managed => 1, env => { %bt, AWS_LAMBDA_MAX_CONCURRENCY => 10 });
    my $boot;
    PerlLambdaTest::wait_for(sub { $boot = $fn->runtime_pid; $boot && PerlLambdaTest::children($boot) == 10 }, 15);
    my @workers = PerlLambdaTest::children($boot // 0);
    is scalar(@workers), 10, 'ten workers';
    sleep 0.5;    # let all reach GET /next
    my $t0 = time;
    # the nine crash after a short wait, so all ten are in flight together
    my $res = $fn->invoke_concurrently({ how => 'none', sleep => 0, wait => 1 },
                                       map { { how => 'kill_SEGV', sleep => 5, before => 0.3 } } 1 .. 9);
    my $took = time - $t0;
    my @res = map { [ $_->{status}, $_->{data} // $_->{content} ] } @$res;
    is_deeply $res[0][1] && $res[0][1]{how}, 'none', 'the good invocation succeeded' or diag explain $res[0];
    my @crashed = grep { ref $_->[1] && ($_->[1]{errorType} // '') eq 'Runtime.ExitError' } @res[1 .. 9];
    is scalar(@crashed), 9, 'each crashed invocation got Runtime.ExitError' or diag explain \@res;
    like $crashed[0][1]{errorMessage}, qr/signal: segmentation fault/, '... naming the signal';
    cmp_ok $took, '<', 4, sprintf('all answered at once (%.2f s; the crashing handlers would sleep 5 s)', $took);
    my @now;
    PerlLambdaTest::wait_for(sub { @now = grep { PerlLambdaTest::alive($_) } PerlLambdaTest::children($boot); @now == 10 }, 10);
    is scalar(@now), 10, 'ten workers again';
    is $fn->runtime_pid, $boot, 'the bootstrap itself kept running';
    sleep 0.5;
    my @after = map { $fn->invoke({}) } 1 .. 3;
    is scalar(grep { $_->{data} && ($_->{data}{how} // '') eq 'none' } @after), 3, 'later invocations are served';
    $fn->stop;
};

done_testing;
