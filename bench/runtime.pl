#!/usr/bin/perl
# Runtime benchmarks for `bootstrap`, reported as ratios against baselines measured in the same run:
#   cold start (spawn → first GET /next) vs `perl -e1` and `perl -MJSON::XS -MHTTP::Tiny -e1`
#     (and AWS::Lambda's own bootstrap when its source is at hand),
#   warm invokes/s under the real AWS RIE vs a raw-socket no-op runtime (and AWS::Lambda's bootstrap),
#   RSS of the bootstrap after 1,000 and after N invokes (BENCH_INVOKES, default 100,000).
# usage: perl bench/runtime.pl   (from the repo root, after `make release`)
# PERL_LAMBDA_BOOTSTRAP, PERL_LAMBDA_RIE and AWS_LAMBDA_LIB (AWS::Lambda's lib/) override the defaults: bench/arm64.sh
# runs this script inside the arm64 root under qemu with the arm64 bootstrap and RIE.
use strict;
use warnings;
use Time::HiRes qw(time sleep);
use IO::Socket::INET;
use POSIX ();
use File::Temp qw(tempdir);
use Cwd qw(abs_path);

my $root      = abs_path('.');
my $bootstrap = $ENV{PERL_LAMBDA_BOOTSTRAP} // "$root/.build/release/bootstrap";
my $rie       = $ENV{PERL_LAMBDA_RIE} // "$root/.cache/bin/aws-lambda-rie";
my $hello     = "$root/examples/hello";
my $runs      = $ENV{BENCH_COLD_RUNS} // 40;
my $warm_n    = $ENV{BENCH_WARM} // 2000;
my $long_n    = $ENV{BENCH_INVOKES} // 100_000;
-x $bootstrap or die "build first: make release\n";
-x $rie or die "fetch the RIE first: scripts/fetch-rie.sh\n";

sub median { my @s = sort { $a <=> $b } @_; return $s[@s / 2] }
sub ms { sprintf '%.2f ms', 1000 * shift }

# ---- cold start ----
sub spawn_exit_time {
    my @cmd = @_;
    my @t;
    for (1 .. $runs) {
        my $t0 = time;
        system(@cmd) == 0 or die "@cmd failed\n";
        push @t, time - $t0;
    }
    return median(@t);
}

# Time from fork to the first request line on a listening socket standing in for the Runtime API.
sub spawn_to_next {
    my ($env, @cmd) = @_;
    my @t;
    for (1 .. $runs) {
        my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 5, ReuseAddr => 1) or die $!;
        my $api = '127.0.0.1:' . $srv->sockport;
        my $t0 = time;
        my $pid = fork // die;
        if (!$pid) {
            %ENV = (%ENV, %$env, AWS_LAMBDA_RUNTIME_API => $api);
            open STDOUT, '>', '/dev/null';
            exec @cmd or POSIX::_exit(127);
        }
        my $c = $srv->accept or die "no connection\n";
        my $line = <$c>;
        my $dt = time - $t0;
        die "unexpected first request: $line" unless $line =~ m{GET /2018-06-01/runtime/invocation/next};
        kill 'KILL', $pid;
        waitpid $pid, 0;
        push @t, $dt;
    }
    return median(@t);
}

my %hello_env = (LAMBDA_TASK_ROOT => $hello, _HANDLER => 'handler.handle');
print "== cold start (median of $runs) ==\n";
my $perl_e1 = spawn_exit_time($^X, '-e1');
my $perl_mods = spawn_exit_time($^X, '-MJSON::XS', '-MHTTP::Tiny', '-e1');
my $ours = spawn_to_next(\%hello_env, $bootstrap, 'handler.handle');
printf "  %-46s %s\n", 'perl -e1', ms($perl_e1);
printf "  %-46s %s\n", 'perl -MJSON::XS -MHTTP::Tiny -e1', ms($perl_mods);
printf "  %-46s %s   (%.2fx perl -e1, %.2fx perl+modules; target <= 10 ms)\n",
    'bootstrap, hello handler, spawn -> GET /next', ms($ours), $ours / $perl_e1, $ours / $perl_mods;
# AWS::Lambda's lib/: AWS_LAMBDA_LIB, or its git mirror's on the development machines
my $theirs_lib = $ENV{AWS_LAMBDA_LIB};
my $mirror = '/work/.mirror/shogo82148+p5-aws-lambda/repo';
if (!defined $theirs_lib && -d $mirror) {
    my $dir = tempdir(CLEANUP => 1);
    system("git -C $mirror archive HEAD lib | tar -x -C $dir") == 0 or die;
    $theirs_lib = "$dir/lib";
}
my @theirs_cmd = defined $theirs_lib ? ($^X, "-I$theirs_lib", '-MAWS::Lambda::Bootstrap', '-e', 'bootstrap(@ARGV)', 'handler.handle') : ();
if (@theirs_cmd) {
    my $theirs = eval { spawn_to_next(\%hello_env, @theirs_cmd) };
    printf "  %-46s %s   (ours is %.1fx faster)\n", 'AWS::Lambda bootstrap, same handler', ms($theirs), $theirs / $ours
        if defined $theirs;
}

# ---- warm invokes under the RIE ----
sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1) or die $!;
    return $s->sockport;
}

# An RIE serving `@$cmd` on free ports: (Invoke API client after a first successful invoke, RIE pid).
sub start_rie {
    my ($cmd) = @_;
    my ($p, $q) = (free_port(), free_port());
    my $pid = fork // die;
    if (!$pid) {
        %ENV = (%ENV, %hello_env);
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        { exec $rie, '--runtime-interface-emulator-address', "127.0.0.1:$p", '--runtime-api-address', "127.0.0.1:$q", @$cmd }
        POSIX::_exit(127);
    }
    my $client;
    for (1 .. 200) { $client = eval { InvokeClient->new($p) } and eval { $client->invoke('{}'); 1 } and last; sleep 0.05 }
    return ($client, $pid);
}

sub stop_rie { my ($pid) = @_; kill 'TERM', $pid; waitpid $pid, 0 }

sub invokes_per_second {
    my ($client, undef, $n) = @_;
    my $t0 = time;
    $client->invoke('{"k":"v"}') for 1 .. $n;
    return $n / (time - $t0);
}

# A keep-alive Invoke API client: one write per request, TCP_NODELAY (HTTP::Tiny's separate header and
# body writes meet delayed ACKs and cost 40 ms a request).
package InvokeClient {
    sub new {
        my ($class, $port) = @_;
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp') or die "$!\n";
        $s->setsockopt(6, 1, 1);
        return bless { s => $s, buf => '' }, $class;
    }
    sub invoke {
        my ($self, $body) = @_;
        my $req = "POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            . "Content-Length: " . length($body) . "\r\n\r\n" . $body;
        syswrite($self->{s}, $req) == length $req or die "write: $!\n";
        my ($head, $len);
        while (1) {
            if (!defined $head && (my $e = index($self->{buf}, "\r\n\r\n")) >= 0) {
                $head = substr($self->{buf}, 0, $e + 4, '');
                ($len) = $head =~ /^content-length:\s*(\d+)/mi;
                die "no content-length in response\n" unless defined $len;
            }
            last if defined $head && length($self->{buf}) >= $len;
            sysread($self->{s}, $self->{buf}, 65536, length $self->{buf}) or die "connection closed\n";
        }
        my $content = substr($self->{buf}, 0, $len, '');
        die "invoke failed: $head$content\n" unless $head =~ m{^HTTP/1\.1 200};
        return $content;
    }
}

sub rss_kb {
    my ($rie_pid) = @_;
    # the RIE's child, from /proc (no pgrep in the minimal roots bench/arm64.sh uses)
    my $ppid = sub { open my $st, '<', "/proc/$_[0]/stat" or return -1; (split ' ', scalar <$st>)[3] };
    my ($child) = grep { $ppid->($_) == $rie_pid } map { m{/(\d+)$} ? $1 : () } glob '/proc/[0-9]*';
    return undef unless $child;
    open my $fh, '<', "/proc/$child/status" or return undef;
    while (<$fh>) { return $1 if /^VmRSS:\s+(\d+)/ }
    return undef;
}

# Both runtimes stay up under their own RIE; rounds alternate between them so that a busy moment of the
# machine hits both, and the best round of each counts.
my $rounds = $ENV{BENCH_ROUNDS} // 5;
print "== warm invokes, sequential, through the real AWS RIE (best of $rounds alternating rounds of $warm_n) ==\n";
my ($floor_client, $floor_pid) = start_rie([$^X, "$root/bench/noop-runtime.pl"]);
my ($ours_client, $ours_pid) = start_rie([$bootstrap, 'handler.handle']);
my ($theirs_client, $theirs_pid) = @theirs_cmd ? start_rie(\@theirs_cmd) : ();
invokes_per_second($floor_client, undef, 1000);
invokes_per_second($ours_client, undef, 1000);
invokes_per_second($theirs_client, undef, 1000) if $theirs_client;
my $rss1k = rss_kb($ours_pid);
my ($floor, $warm, $theirs_warm) = (0, 0, 0);
for (1 .. $rounds) {
    my $f = invokes_per_second($floor_client, undef, $warm_n);
    my $w = invokes_per_second($ours_client, undef, $warm_n);
    my $t = $theirs_client ? invokes_per_second($theirs_client, undef, $warm_n) : 0;
    $floor = $f if $f > $floor;
    $warm = $w if $w > $warm;
    $theirs_warm = $t if $t > $theirs_warm;
}
stop_rie($theirs_pid) if $theirs_pid;
my $done = 1000 + $rounds * $warm_n;
invokes_per_second($ours_client, undef, $long_n - $done) if $long_n > $done;
my $rssN = rss_kb($ours_pid);
stop_rie($_) for $floor_pid, $ours_pid;
printf "  %-46s %8.0f /s\n", 'raw-socket no-op runtime (floor)', $floor;
printf "  %-46s %8.0f /s   (%.2fx of the floor; target >= 0.9x)\n", 'bootstrap + hello handler', $warm, $warm / $floor;
printf "  %-46s %8.0f /s   (ours is %.2fx as fast)\n", 'AWS::Lambda bootstrap + hello handler', $theirs_warm, $warm / $theirs_warm
    if $theirs_warm;
print "== memory ==\n";
printf "  %-46s %s\n", 'bootstrap RSS after ~1,000 invokes', defined $rss1k ? "$rss1k kB" : 'n/a';
printf "  %-46s %s   (growth %+d kB; must stay flat)\n", 'bootstrap RSS after ' . ($long_n > $done ? $long_n : $done) . ' invokes',
    defined $rssN ? "$rssN kB" : 'n/a', ($rssN // 0) - ($rss1k // 0);
