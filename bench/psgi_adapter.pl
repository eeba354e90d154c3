#!/usr/bin/perl
# AWS::Lambda::PSGI per-request cost, in process, ours against p5-aws-lambda's (a benchmark, not a test):
# one GET event of each front door (p5-aws-lambda's own fixtures: REST v1, HTTP API v2, ALB, Function URL)
# through `wrap` into a trivial Plack app and back (the buffered result, or the streamed one written to a
# writer), in one process per implementation with the same layout: the module from its lib directory, the
# events decoded once, one context object, warnings discarded (p5-aws-lambda's ReverseProxy middleware warns
# when an env has no X-Forwarded-Proto, here once per streamed ALB request: printing those would only slow it
# down). Both sides get the same app, events, sink and context values (in each side's own AWS::Lambda::Context,
# as each runtime passes them); loading and wrap stay outside the timed loops, and caches filled by a first
# request only in a first round. Rounds of N requests alternate between the two processes; the best of R rounds,
# in CPU time of the process (on shared machines wall time mostly measures the other processes), counts.
# Two layouts, each side in the same kind of interpreter: plain perl (ours all Perl), and perl-lambda's bootstrap
# (`bootstrap --script`: ours with the env of REST and ALB events built in C, PerlLambda::Host::_psgi_env;
# p5-aws-lambda's module with Debian's Plack, JSON::XS... from the bootstrap's @INC, as under plain perl).
# Target: ours at most half of theirs per request (ratio >= 2).
# usage: perl bench/psgi_adapter.pl   (from the repo root; BENCH_PSGI_N=20000 (5000 with BENCH_QUICK),
#        BENCH_PSGI_ROUNDS=5, BENCH_PSGI_LAYOUTS="perl bootstrap", P5_AWS_LAMBDA_MIRROR=path of the p5-aws-lambda
#        git mirror, PERL_LAMBDA_BOOTSTRAP=path of the bootstrap (.build/release/bootstrap))
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Temp qw(tempdir);
use IPC::Open2 qw(open2);

my %FIXTURE = (v1 => 'apigateway-get-request', v2 => 'apigateway-v2-get-request', alb => 'alb-get-request',
               url => 'function-urls-get-request');
my @KINDS = qw(v1 v2 alb url);
my @MODES = qw(BUFFERED RESPONSE_STREAM);

if (@ARGV && $ARGV[0] eq '--worker') { worker(@ARGV[1, 2]); exit 0 }

my $n = $ENV{BENCH_PSGI_N} // ($ENV{BENCH_QUICK} ? 5000 : 20000);
my $rounds = $ENV{BENCH_PSGI_ROUNDS} // 5;
my $mirror = $ENV{P5_AWS_LAMBDA_MIRROR} // '/work/.mirror/shogo82148+p5-aws-lambda/repo';
my $bootstrap = $ENV{PERL_LAMBDA_BOOTSTRAP} // '.build/release/bootstrap';
my @layouts = split ' ', $ENV{BENCH_PSGI_LAYOUTS} // 'perl bootstrap';
my $root = abs_path('.');
-d $mirror or do { print "skipped: no p5-aws-lambda mirror at $mirror (set P5_AWS_LAMBDA_MIRROR)\n"; exit 0 };
my $tmp = tempdir(CLEANUP => 1);
system("git -C '$mirror' archive HEAD lib t/testdata | tar -x -C '$tmp'") == 0 or die "cannot extract $mirror\n";
my %impl = (theirs => "$tmp/lib", ours => "$root/perl/lib");

for my $layout (@layouts) {
    my @interp = $layout eq 'perl' ? ($^X) : (abs_path($bootstrap) // '', '--script');
    if (!-x $interp[0]) { print "\n== inside the bootstrap: skipped (no $bootstrap; make release) ==\n"; next }
    print "\n== ", $layout eq 'perl' ? 'plain perl' : 'inside the bootstrap (bootstrap --script)', " ==\n";
    compare($layout, @interp);
}
print "note: p5-aws-lambda streams every event through its HTTP API (v2) conversion: REST and ALB events reach the\n",
      "app without method, path or query (multi-value ALB ones without headers too), so its v1 and alb streamed\n",
      "times are for less work than ours, which converts them as in buffered mode.\n";

sub compare {
    my ($layout, @interp) = @_;
    my %proc;
    for my $name (sort keys %impl) {
        my $pid = open2(my $out, my $in, @interp, abs_path($0), '--worker', "$tmp/t/testdata", $impl{$name});
        $proc{$name} = { pid => $pid, out => $out, in => $in };
        my $ready = readline $out;
        defined $ready && $ready =~ /^ready ?(.*)/ or die "$name: the worker did not start (is AWS::Lambda's Debian prerequisite missing? scripts/setup.sh)\n";
        print "ours: $1\n" if $name eq 'ours';
    }
    my $round = sub {
        my ($name, $kind, $mode) = @_;
        my $p = $proc{$name};
        print { $p->{in} } "$kind $mode $n\n";
        my $line = readline $p->{out} // die "$name: worker ended\n";
        die "$name $kind $mode: $line" unless $line =~ /^ok (\S+)/;
        return $1;
    };
    printf "%-24s %14s %14s %8s\n", "µs per request (best of $rounds x $n)", 'p5-aws-lambda', 'ours', 'ratio';
    my $worst;
    for my $mode (@MODES) {
        for my $kind (@KINDS) {
            my %best;
            for my $r (1 .. $rounds) {
                # alternate which goes first, so neither always runs right after the other's round
                for my $name ($r % 2 ? qw(theirs ours) : qw(ours theirs)) {
                    my $s = $round->($name, $kind, $mode);
                    $best{$name} = $s if !defined $best{$name} || $s < $best{$name};
                }
            }
            my $ratio = $best{theirs} / $best{ours};
            $worst = $ratio if !defined $worst || $ratio < $worst;
            printf "%-24s %14.1f %14.1f %7.2fx\n", "$kind " . lc($mode), 1e6 * $best{theirs} / $n, 1e6 * $best{ours} / $n, $ratio;
        }
    }
    printf "lowest ratio %.2fx (target >= 2.00x: ours at most half of p5-aws-lambda's time) %s\n", $worst,
        $worst >= 2 ? 'met' : 'NOT met';
    for (values %proc) { close $_->{in}; waitpid $_->{pid}, 0 }
}

# ---- one implementation, in its own perl ----

sub worker {
    my ($testdata, $lib) = @_;
    unshift @INC, $lib;    # ahead of the bootstrap's embedded modules too
    require AWS::Lambda::PSGI;
    require AWS::Lambda::Context;
    require JSON::PP;
    require Time::HiRes;
    my $app = sub { [ 200, [ 'Content-Type' => 'text/plain', 'Content-Length' => 12 ], [ "Hello world\n" ] ] };
    my %func = map { $_ => AWS::Lambda::PSGI->wrap($app, invoke_mode => $_) } @MODES;
    my %event;
    for my $kind (@KINDS) {
        open my $fh, '<', "$testdata/$FIXTURE{$kind}.json" or die "$FIXTURE{$kind}: $!";
        $event{$kind} = JSON::PP->new->utf8->decode(do { local $/; <$fh> });
    }
    my $responder = sub { BenchWriter->new };
    my $ctx = AWS::Lambda::Context->new(deadline_ms => 1e13, aws_request_id => '8476a536-e9f4-11e8-9739-2dfe598c3fcd');
    $SIG{__WARN__} = sub { };
    $| = 1;
    my $env = !defined &AWS::Lambda::PSGI::_format_input_xs ? ''
            : \&AWS::Lambda::PSGI::format_input == \&AWS::Lambda::PSGI::_format_input_xs ? 'env (and streamed prelude) in C'
            : 'env in Perl';
    print "ready $env\n";
    while (my $cmd = <STDIN>) {
        my ($kind, $mode, $count) = split ' ', $cmd;
        my ($f, $e) = ($func{$mode}, $event{$kind});
        my $t0 = cpu();
        if ($mode eq 'BUFFERED') {
            for my $i (1 .. $count) {
                my $res = $f->($e, $ctx);
                die "unexpected result\n" unless $res->{statusCode} == 200;
            }
        } else {
            for my $i (1 .. $count) {
                $f->($e, $ctx)->($responder);
            }
        }
        print "ok ", cpu() - $t0, "\n";
    }
}

# CPU seconds of this process
sub cpu { Time::HiRes::clock_gettime(Time::HiRes::CLOCK_PROCESS_CPUTIME_ID()) }

package BenchWriter;
# What the runtime hands a streaming handler, reduced to keeping the bytes.
sub new { my $b = ''; bless \$b, shift }
sub write { ${ $_[0] } .= $_[1]; 1 }
sub close { 1 }
