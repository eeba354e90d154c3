package ServeHelper;
# Runs `perl-lambda serve` for t/psgi and talks raw HTTP/1.1 to it, timing each chunk as it arrives.
#
#   my $s = ServeHelper->start('--function-url', '--task-root', $dir, 'app.psgi');
#   my $r = $s->request(GET => '/path?x=1', [ Cookie => 'a=1' ], $body);   # {status, headers => [[lc, v]], body, chunks => [[t, bytes]]}
#   $s->request(..., eof => 1) reads until the server closes (Connection: close is always sent).
#   $s->stop;
# PERL_LAMBDA_BIN: the CLI under test (default .build/release/perl-lambda; the bootstrap beside it is used).
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use IO::Select;
use IO::Socket::INET;
use List::Util qw(max);
use POSIX ();
use Time::HiRes qw(time sleep);

my $ROOT = abs_path(dirname(__FILE__) . '/../../..');
sub root { $ROOT }
sub bin { abs_path($ENV{PERL_LAMBDA_BIN} // "$ROOT/.build/release/perl-lambda") }

sub start {
    my ($class, @args) = @_;
    my $bin = bin();
    die "no perl-lambda at $bin (build it, or set PERL_LAMBDA_BIN)\n" unless $bin && -x $bin;
    my $log = "/tmp/psgi-serve-$$-" . int(time * 1000) . '.log';
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', $log or POSIX::_exit(126);
        open STDERR, '>&', \*STDOUT;
        exec $bin, 'serve', '--port', '0', @args or POSIX::_exit(127);
    }
    my $self = bless { pid => $pid, log => $log }, $class;
    for (1 .. 400) {
        if ($self->log =~ m{serving .* on http://127\.0\.0\.1:(\d+)}) { $self->{port} = $1; return $self }
        last if waitpid($pid, POSIX::WNOHANG()) == $pid;
        sleep 0.025;
    }
    my $out = $self->log;
    $self->stop;
    die "perl-lambda serve did not start: $out\n";
}

sub port { $_[0]{port} }
sub url  { "http://127.0.0.1:$_[0]{port}" }
sub log  { open my $fh, '<', $_[0]{log} or return ''; local $/; <$fh> // '' }

sub stop {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return;
    kill 'TERM', $pid;
    for (1 .. 200) { last if waitpid($pid, POSIX::WNOHANG()) == $pid; sleep 0.025 }
    if (kill 0, $pid) { kill 'KILL', $pid; waitpid $pid, 0 }
    unlink $self->{log} unless $ENV{PSGI_KEEP_LOGS};
}
sub DESTROY { local ($?, $@); $_[0]->stop }

# One request on its own connection; the body is read as it arrives (chunked or not), each piece timed.
sub request {
    my ($self, $method, $target, $headers, $body, %opt) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$self->{port}", Timeout => 10) or die "connect: $!";
    $sock->setsockopt(6, 1, 1);    # TCP_NODELAY
    my @h = ('Host' => "127.0.0.1:$self->{port}", 'Connection' => 'close', @{ $headers // [] });
    push @h, 'Content-Length' => length $body if defined $body;
    my $req = "$method $target HTTP/1.1\r\n";
    for (my $i = 0; $i < @h; $i += 2) { $req .= "$h[$i]: $h[$i + 1]\r\n" }
    $req .= "\r\n" . ($body // '');
    my $t0 = time;
    print {$sock} $req;
    my ($buf, $head, @chunks) = ('');
    my $deadline = $t0 + ($opt{timeout} // 30);
    my $chunked;
    while (1) {
        IO::Select->new($sock)->can_read(max(0.01, $deadline - time)) or die "request timed out\n";
        my $n = sysread($sock, my $data, 65536);
        my $now = time;
        last if !$n;
        $buf .= $data;
        if (!defined $head) {
            my $end = index($buf, "\r\n\r\n");
            next if $end < 0;
            $head = substr($buf, 0, $end);
            $buf = substr($buf, $end + 4);
            $chunked = $method ne 'HEAD' && $head =~ /^transfer-encoding:\s*chunked/mi;
        }
        if ($chunked) {
            while ($buf =~ /\A([0-9a-fA-F]+)[^\r\n]*\r\n/) {
                my ($len, $hl) = (hex $1, length $&);
                last if length($buf) < $hl + $len + 2;
                if (!$len) { $buf = ''; $chunked = 'done'; last }
                push @chunks, [ $now - $t0, substr($buf, $hl, $len) ];
                $buf = substr($buf, $hl + $len + 2);
            }
            last if $chunked eq 'done' && !$opt{eof};
        } elsif (length $buf) {
            push @chunks, [ $now - $t0, $buf ];
            $buf = '';
        }
        last if !$opt{eof} && !$chunked && $method ne 'HEAD' && $head =~ /^content-length:\s*(\d+)/mi && length(join '', map { $_->[1] } @chunks) >= $1;
        die "request timed out\n" if $now > $deadline;
    }
    die "no response head\n" unless defined $head;
    my ($status_line, @lines) = split /\r\n/, $head;
    my ($status) = $status_line =~ m{^HTTP/1\.\d (\d+)};
    return { status => $status, headers => [ map { my ($k, $v) = split /:\s*/, $_, 2; [ lc $k, $v ] } @lines ],
             body => join('', map { $_->[1] } @chunks), chunks => \@chunks, elapsed => time - $t0 };
}

sub header { my ($r, $name) = @_; my @v = map { $_->[1] } grep { $_->[0] eq lc $name } @{ $r->{headers} }; wantarray ? @v : $v[0] }

# InvokeWithResponseStream's event stream: [[time, event type, payload]...] from the timed chunks.
sub events {
    my ($r) = @_;
    my ($buf, @events) = ('');
    for my $c (@{ $r->{chunks} }) {
        $buf .= $c->[1];
        while (length $buf >= 12) {
            my ($total, $hlen) = unpack 'NN', $buf;
            last if length $buf < $total;
            my $msg = substr($buf, 0, $total, '');
            my ($hdrs, $payload) = (substr($msg, 12, $hlen), substr($msg, 12 + $hlen, $total - 16 - $hlen));
            my %h;
            while (length $hdrs) {
                my $nl = unpack 'C', $hdrs;
                my $name = substr($hdrs, 1, $nl);
                my $vl = unpack 'n', substr($hdrs, 2 + $nl, 2);
                $h{$name} = substr($hdrs, 4 + $nl, $vl);
                $hdrs = substr($hdrs, 4 + $nl + $vl);
            }
            push @events, [ $c->[0], $h{':event-type'}, $payload ];
        }
    }
    return @events;
}

1;
