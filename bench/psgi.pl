#!/usr/bin/perl
# PSGI benchmarks (not tests; no timed assertions), ratios against baselines measured in the same run:
#   first bench/psgi_adapter.pl: AWS::Lambda::PSGI's cost per request in process, ours against p5-aws-lambda's,
#     per event kind, buffered and streamed (target: ours at most half);
#   requests/s of bench/psgi.psgi (a Plack hello app) through `perl-lambda serve --function-url` vs the same app
#     under plackup (HTTP::Server::PSGI) and Starman (when installed), at client concurrency 1 and 4;
#   time to first byte of a streamed response (Function URL RESPONSE_STREAM vs Starman/plackup), and the time
#     the buffered Function URL mode takes to the first byte for comparison.
# usage: perl bench/psgi.pl   (from the repo root; PERL_LAMBDA_BIN=path/to/perl-lambda, BENCH_SECONDS=3)
use strict;
use warnings;
use Cwd qw(abs_path);
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(time sleep);

my $root = abs_path('.');
my $bin = abs_path($ENV{PERL_LAMBDA_BIN} // "$root/.build/release/perl-lambda");
my $app = "$root/bench/psgi.psgi";
my $seconds = $ENV{BENCH_SECONDS} // 3;
print "-- AWS::Lambda::PSGI in process (bench/psgi_adapter.pl) --\n";
system($^X, "$root/bench/psgi_adapter.pl") == 0 or warn "bench/psgi_adapter.pl failed\n";
print "\n-- over HTTP --\n";
-x $bin or die "build first (make release) or set PERL_LAMBDA_BIN\n";
my @pids;
END { kill 'TERM', @pids; waitpid $_, 0 for @pids }

sub free_port { my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1:0', Listen => 1) or die; my $p = $s->sockport; close $s; $p }

sub start_server {
    my ($port, @cmd) = @_;
    my $pid = fork // die;
    if (!$pid) { open STDOUT, '>', '/dev/null'; open STDERR, '>', '/dev/null'; exec(@cmd) or POSIX::_exit(127) }
    push @pids, $pid;
    for (1 .. 400) { return $pid if IO::Socket::INET->new("127.0.0.1:$port"); sleep 0.025 }
    die "@cmd did not start\n";
}
sub stop_server { my ($pid) = @_; kill 'TERM', $pid; waitpid $pid, 0; @pids = grep { $_ != $pid } @pids }

# One client: GET / as often as it can for $seconds over keep-alive (reconnecting when the server closes).
sub client {
    my ($port, $until) = @_;
    my ($n, $sock) = (0);
    while (time < $until) {
        $sock //= IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") or die "connect: $!";
        $sock->setsockopt(6, 1, 1);
        print {$sock} "GET / HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n\r\n";
        my $buf = '';
        my ($len, $close, $hend);
        while (1) {
            my $r = sysread($sock, $buf, 65536, length $buf);
            if (!$r) { undef $sock; last }
            if (!defined $hend && (my $i = index($buf, "\r\n\r\n")) >= 0) {
                $hend = $i;
                my $head = substr($buf, 0, $hend);
                ($len) = $head =~ /^content-length:\s*(\d+)/mi;
                $close = $head =~ /^connection:\s*close/mi || $head =~ m{^HTTP/1\.0};
            }
            last if defined $hend && defined $len && length($buf) >= $hend + 4 + $len;
        }
        $n++ if defined $hend;
        undef $sock if $close;
    }
    return $n;
}

sub rps {
    my ($port, $conc) = @_;
    client($port, time + 0.5);    # warm up
    my $until = time + $seconds;
    my @kids;
    for (1 .. $conc) {
        pipe(my $r, my $w);
        my $pid = fork // die;
        if (!$pid) { close $r; print {$w} client($port, $until); close $w; POSIX::_exit(0) }
        close $w;
        push @kids, [ $pid, $r ];
    }
    my $total = 0;
    for (@kids) { my ($pid, $r) = @$_; $total += <$r> // 0; waitpid $pid, 0 }
    return $total / $seconds;
}

# Seconds from sending the request to the first body byte, median of 9 (after 2 warm-ups).
sub ttfb {
    my ($port) = @_;
    my @t;
    for my $i (1 .. 11) {
        my $sock = IO::Socket::INET->new("127.0.0.1:$port") or die;
        $sock->setsockopt(6, 1, 1);
        my $t0 = time;
        print {$sock} "GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        my $buf = '';
        while (sysread($sock, $buf, 4096, length $buf)) {
            my $i = index($buf, "\r\n\r\n");
            last if $i >= 0 && $buf =~ /\r\n\r\n(?:[0-9a-f]+\r\n)?first/i;
        }
        push @t, time - $t0 if $i > 2;    # the first two warm the environments up
        1 while sysread($sock, $buf, 4096);    # let the response finish before the next request
    }
    @t = sort { $a <=> $b } @t;
    return $t[@t / 2];
}

my %servers = (
    'perl-lambda serve --function-url' => sub {
        my $p = shift; ($bin, 'serve', '--port', $p, '--function-url', '--concurrency', 2, '--task-root', "$root/bench", 'psgi.psgi') },
    'perl-lambda serve --function-url (RESPONSE_STREAM)' => sub {
        my $p = shift; ($bin, 'serve', '--port', $p, '--function-url', '--invoke-mode', 'RESPONSE_STREAM',
                        '-e', 'PERL5_LAMBDA_PSGI_INVOKE_MODE=RESPONSE_STREAM', '--concurrency', 1, '--task-root', "$root/bench", 'psgi.psgi') },
    'plackup (HTTP::Server::PSGI)' => sub { my $p = shift; ('plackup', '-E', 'deployment', '--host', '127.0.0.1', '--port', $p, $app) },
);
$servers{'starman --workers 2'} = sub { my $p = shift; ('starman', '--workers', 2, '--listen', "127.0.0.1:$p", $app) }
    if system('command -v starman >/dev/null 2>&1') == 0;

my (%rps, %ttfb);
for my $name (sort keys %servers) {
    my $port = free_port();
    my $pid = start_server($port, $servers{$name}->($port));
    if ($name !~ /RESPONSE_STREAM/) { $rps{$name}{$_} = rps($port, $_) for 1, 4 }
    $ttfb{$name} = ttfb($port);
    stop_server($pid);
}

my $ours = 'perl-lambda serve --function-url';
printf "%-52s %12s %12s\n", 'requests/s of a Plack hello app', 'c=1', 'c=4';
for my $name (sort keys %rps) {
    printf "%-52s %12.0f %12.0f\n", $name, $rps{$name}{1}, $rps{$name}{4};
}
for my $base (grep { $_ ne $ours } sort keys %rps) {
    printf "ratio %-46s %12.2f %12.2f\n", "ours / $base", map { $rps{$ours}{$_} / ($rps{$base}{$_} || 1) } 1, 4;
}
print "\n";
printf "%-52s %10s\n", 'time to first byte of /stream (first chunk, then 0.2 s)', 'median';
printf "%-52s %8.1f ms\n", $_, 1000 * $ttfb{$_} for sort keys %ttfb;
my $stream = "$ours (RESPONSE_STREAM)";
for my $base (grep { $_ ne $stream } sort keys %ttfb) {
    printf "ratio %-46s %10.2f\n", "streamed TTFB / $base", $ttfb{$stream} / ($ttfb{$base} || 1);
}
