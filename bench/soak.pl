# Memory soak: 1,000,000 invocations (SOAK_INVOCATIONS overrides) against a fake Runtime API that sends a fresh
# trace id, client context, identity and tenant id every time, as production Lambda does. Reports the bootstrap's
# VmRSS at checkpoints and the growth per invocation after warm-up (target: flat within 2%).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../t/lib";
use PerlLambdaTest;
use FakeRuntimeAPI;

my $count = $ENV{SOAK_INVOCATIONS} // 1_000_000;
my $warm = 2_000;
my @points = grep { $_ <= $count } ($warm, 10_000, 100_000, 250_000, 500_000, 1_000_000);
push @points, $count unless $points[-1] == $count;
my $api = FakeRuntimeAPI->new(command => [ PerlLambdaTest::bootstrap_path(), 'soak.handle' ], log => '/dev/null',
                              env => { LAMBDA_TASK_ROOT => PerlLambdaTest::handlers_dir() });
my @kinds = (('plain') x 7, 'stream', 'die', 'child');
my $r = $api->serve(count => $count, checkpoint => \@points, timeout => 3600,
    event => sub { my $i = shift; my $k = $kinds[$i % @kinds]; $k = 'plain' if $k eq 'child' && $i % 1000; qq({"kind":"$k"}) });
$api->stop;
printf "  %9d invocations: VmRSS %6.1f MB\n", $_, $r->{rss}{$_} / 1024 for @points;
my ($a, $b) = @{ $r->{rss} }{ $warm, $count };
my $growth = ($b - $a) / $a * 100;
printf "  growth after warm-up: %.2f%% (%.2f bytes per invocation; target: within 2%%) %s, %.0f invocations/s\n",
    $growth, ($b - $a) * 1024 / ($count - $warm), abs($growth) <= 2 ? 'MET' : 'MISSED', $count / $r->{seconds};
