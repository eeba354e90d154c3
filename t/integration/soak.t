# Memory over many invocations with what production Lambda sends and the RIE does not: a fresh trace id (and
# client context, identity, tenant id) on every invocation. The runtime's VmRSS after 50,000 invocations must stay
# within a small bound of its size after the first 2,000 (warm-up: arenas, caches). A leak of ~93 bytes per
# invocation (every distinct _X_AMZN_TRACE_ID kept by the C library's setenv) grew it by 4.5 MB here.
# Also checks along the way that each invocation saw its own trace id, in %ENV and in a child process.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use JSON::PP;
use PerlLambdaTest;
use FakeRuntimeAPI;

my $count = $ENV{SOAK_INVOCATIONS} // 50_000;
my $warm = 2_000;
my $log = PerlLambdaTest::log_dir() . '/soak.log';
unlink $log;
my $api = FakeRuntimeAPI->new(command => [ PerlLambdaTest::bootstrap_path(), 'soak.handle' ], log => $log,
                              env => { LAMBDA_TASK_ROOT => PerlLambdaTest::handlers_dir(), AWS_LAMBDA_FUNCTION_NAME => 'soak' });
my @kinds = ('plain') x 6;
push @kinds, 'stream', 'die', 'plain', 'plain';
sub kind { my $i = shift; $i % 997 == 0 ? 'child' : $kinds[$i % @kinds] }
my $r = $api->serve(count => $count, checkpoint => [ $warm, $count ],
    event => sub { my $i = shift; my $k = kind($i); qq({"kind":"$k","i":$i}) },
    keep => sub { $_[0] % 997 == 0 || $_[0] <= 10 });
$api->stop;

is $r->{responses} + $r->{errors}, $count, "$count invocations answered";
is $r->{errors}, scalar(grep { kind($_) eq 'die' } 1 .. $count), 'one in ten died (error responses)';
cmp_ok $r->{streamed}, '>', 0, 'streamed responses among them';

my ($before, $after) = @{ $r->{rss} }{ $warm, $count };
my $per = ($after - $before) * 1024 / ($count - $warm);
diag sprintf "VmRSS %d kB after %d, %d kB after %d invocations: %.1f bytes per invocation, %.0f invocations/s",
    $before, $warm, $after, $count, $per, $count / $r->{seconds};
# 2% of the warm size (~12 MB: ~240 kB) — allocator noise stays well inside it, a per-invocation leak does not
cmp_ok $after - $before, '<=', $before * 0.02, 'VmRSS flat within 2% after warm-up';

my $json = JSON::PP->new;
my @child = grep { $_ % 997 == 0 } sort { $a <=> $b } keys %{ $r->{bodies} };
ok @child >= 10, scalar(@child) . ' invocations asked a child process for the trace id';
my $seen = 0;
for my $i (@child) {
    my $b = $json->decode($r->{bodies}{$i});
    $seen++ if defined $b->{trace} && $b->{trace} =~ /^Root=1-[0-9a-f]{8}-0*\Q${\ sprintf '%x', $i}\E;/ && $b->{child} eq $b->{trace};
}
is $seen, scalar(@child), 'each saw its own fresh trace id in %ENV and in the child';
my $ctx = $json->decode($r->{bodies}{1});
is_deeply [ @$ctx{qw(tenant custom ident left)} ], [ 'tenant-1', 1, 'us-east-1:1', 1 ], 'context from the headers';
like $r->{bodies}{7}, qr/"errorType":"Error"/, 'a die is an error document';
like $r->{bodies}{6}, qr/^\[6,"Root=1-/, 'a streamed response';

# the same with JSON logs (every line the handler prints goes through the runtime's log capture)
my $jcount = 20_000;
my $japi = FakeRuntimeAPI->new(command => [ PerlLambdaTest::bootstrap_path(), 'soak.handle' ], log => $log,
    env => { LAMBDA_TASK_ROOT => PerlLambdaTest::handlers_dir(), AWS_LAMBDA_LOG_FORMAT => 'JSON' });
my $j = $japi->serve(count => $jcount, checkpoint => [ $warm, $jcount ], event => sub { my $k = kind($_[0]); qq({"kind":"$k"}) });
$japi->stop;
my ($jb, $ja) = @{ $j->{rss} }{ $warm, $jcount };
diag sprintf "JSON logs: VmRSS %d kB after %d, %d kB after %d invocations", $jb, $warm, $ja, $jcount;
cmp_ok $ja - $jb, '<=', $jb * 0.02, 'JSON logs: VmRSS flat within 2% after warm-up';
done_testing;
