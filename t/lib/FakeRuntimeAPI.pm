package FakeRuntimeAPI;
# A minimal Runtime API that sends what production Lambda sends on every invocation and the RIE does not: a fresh
# Lambda-Runtime-Trace-Id, the invoked function ARN, client context and Cognito identity, a tenant id. It runs in
# the calling process (no threads, no fork) and serves one runtime it starts itself, as fast as that runtime asks,
# so a soak of hundreds of thousands of invocations takes seconds. Used by t/integration/soak.t and bench/soak.pl.
#
#   my $api = FakeRuntimeAPI->new(command => [$bootstrap, 'soak.handle'], env => { LAMBDA_TASK_ROOT => $dir });
#   my $r = $api->serve(count => 50_000, event => sub { my $i = shift; ... JSON text ... },
#                       checkpoint => [1_000, 50_000],    # VmRSS (kB) of the runtime after those invocations
#                       keep => sub { $_[0] % 1000 == 0 });  # response bodies kept (by invocation number)
#   $api->stop;
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time);

sub new {
    my ($class, %opt) = @_;
    my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 8, ReuseAddr => 1, Proto => 'tcp')
        or die "cannot listen: $!";
    my $self = bless { listen => $listen, port => $listen->sockport, errors => 0, responses => 0, streamed => 0 }, $class;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $listen;
        $ENV{$_} = $opt{env}{$_} for keys %{ $opt{env} || {} };
        $ENV{AWS_LAMBDA_RUNTIME_API} = "127.0.0.1:$self->{port}";
        if ($opt{log}) { open STDOUT, '>>', $opt{log}; open STDERR, '>>&', \*STDOUT }
        exec @{ $opt{command} } or POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    return $self;
}

sub pid { $_[0]{pid} }

# VmRSS of the runtime in kB.
sub rss_kb {
    my $self = shift;
    open my $fh, '<', "/proc/$self->{pid}/status" or return undef;
    while (<$fh>) { return $1 if /^VmRSS:\s+(\d+)/ }
    return undef;
}

# Serves `count` invocations; returns { rss => { N => kB }, seconds, errors, responses, streamed }.
sub serve {
    my ($self, %opt) = @_;
    my $count = $opt{count};
    my %check = map { $_ => 1 } @{ $opt{checkpoint} || [] };
    my %rss;
    my $given = 0;        # invocations handed out
    my $done = 0;         # invocations answered
    my $start = time;
    my $deadline = $start + ($opt{timeout} // 600);
    my $conn;
    my $buf = '';
    my $waiting_next;     # a /next that arrived after the last invocation was given: answered never
    while ($done < $count) {
        die "the runtime exited early\n" if waitpid($self->{pid}, WNOHANG) == $self->{pid};
        die "timed out after $done invocations\n" if time > $deadline;
        if (!$conn) {
            next unless IO::Select->new($self->{listen})->can_read(0.5);
            $conn = $self->{listen}->accept or next;
            $conn->autoflush(1);
            $buf = '';
        }
        my $req = $self->_read_request($conn, \$buf);
        if (!$req) { close $conn; undef $conn; next }
        my ($method, $path) = @$req{qw(method path)};
        if ($method eq 'GET' && $path eq '/2018-06-01/runtime/invocation/next') {
            my $i = ++$given;
            my $id = sprintf '8f5e%04x-%04x-4a1b-9c2d-%012x', $i & 0xffff, ($i >> 16) & 0xffff, $i;
            my $body = $opt{event} ? $opt{event}->($i) : '{}';
            my $trace = sprintf 'Root=1-%08x-%024x;Parent=%016x;Sampled=1;Lineage=a87bd80c:0', int($start), $i, $i * 7919;
            my $deadline_ms = int((time + 30) * 1000);
            $self->_send($conn, 200, $body,
                'Content-Type' => 'application/json',
                'Lambda-Runtime-Aws-Request-Id' => $id,
                'Lambda-Runtime-Deadline-Ms' => $deadline_ms,
                'Lambda-Runtime-Invoked-Function-Arn' => 'arn:aws:lambda:us-east-1:123456789012:function:soak',
                'Lambda-Runtime-Trace-Id' => $trace,
                'Lambda-Runtime-Client-Context' => qq({"custom":{"n":"$i"},"env":{"platform":"soak"},"client":{"installation_id":"i-$i"}}),
                'Lambda-Runtime-Cognito-Identity' => qq({"cognitoIdentityId":"us-east-1:$i","cognitoIdentityPoolId":"us-east-1:pool"}),
                'Lambda-Runtime-Aws-Tenant-Id' => "tenant-$i");
        } elsif ($method eq 'POST' && $path =~ m{^/2018-06-01/runtime/invocation/[^/]+/(response|error)$}) {
            $1 eq 'error' ? $self->{errors}++ : $self->{responses}++;
            $self->{bodies}{ $done + 1 } = $req->{body} if $opt{keep} && $opt{keep}->($done + 1);
            $self->{streamed}++ if ($req->{headers}{'lambda-runtime-function-response-mode'} // '') eq 'streaming';
            $self->_send($conn, 202, '{"status":"OK"}', 'Content-Type' => 'application/json');
            $done++;
            if ($check{$done}) { $rss{$done} = $self->rss_kb }
        } else {
            $self->_send($conn, 404, '{"errorType":"NotFound"}', 'Content-Type' => 'application/json');
        }
    }
    return { rss => \%rss, seconds => time - $start, bodies => delete $self->{bodies} // {},
             map { $_ => $self->{$_} } qw(errors responses streamed) };
}

sub _fill {
    my ($conn, $buf) = @_;
    my $n = sysread($conn, $$buf, 65536, length $$buf);
    return $n;
}

# One HTTP/1.1 request (Content-Length or chunked body); undef when the peer closed.
sub _read_request {
    my ($self, $conn, $buf) = @_;
    my $end;
    until (($end = index($$buf, "\r\n\r\n")) >= 0) { _fill($conn, $buf) or return undef }
    my $head = substr($$buf, 0, $end + 4, '');
    my ($line, @h) = split /\r\n/, $head;
    my ($method, $path) = split / /, $line;
    my %headers = map { my ($k, $v) = split /:\s*/, $_, 2; (lc $k => $v) } @h;
    my $body = '';
    if (($headers{'transfer-encoding'} // '') =~ /chunked/i) {
        while (1) {
            my $e;
            until (($e = index($$buf, "\r\n")) >= 0) { _fill($conn, $buf) or return undef }
            my $size = hex substr(substr($$buf, 0, $e + 2, ''), 0, $e);
            last if $size == 0;
            while (length($$buf) < $size + 2) { _fill($conn, $buf) or return undef }
            $body .= substr($$buf, 0, $size, '');
            substr($$buf, 0, 2, '');
        }
        while (1) {   # trailers, up to the empty line
            my $t;
            until (($t = index($$buf, "\r\n")) >= 0) { _fill($conn, $buf) or return undef }
            my $tl = substr($$buf, 0, $t + 2, '');
            last if $tl eq "\r\n";
            my ($k, $v) = split /:\s*/, substr($tl, 0, -2), 2;
            $headers{lc $k} = $v;
        }
    } else {
        my $len = $headers{'content-length'} // 0;
        while (length($$buf) < $len) { _fill($conn, $buf) or return undef }
        $body = substr($$buf, 0, $len, '');
    }
    return { method => $method, path => $path, headers => \%headers, body => $body };
}

sub _send {
    my ($self, $conn, $status, $body, @headers) = @_;
    my $out = "HTTP/1.1 $status " . ($status == 200 ? 'OK' : $status == 202 ? 'Accepted' : 'Not Found') . "\r\n";
    while (my ($k, $v) = splice @headers, 0, 2) { $out .= "$k: $v\r\n" }
    $out .= 'Content-Length: ' . length($body) . "\r\n\r\n" . $body;
    syswrite($conn, $out) == length $out or die "short write: $!";
}

sub stop {
    my $self = shift;
    return unless $self->{pid};
    kill 'TERM', $self->{pid};
    for (1 .. 50) { last if waitpid($self->{pid}, WNOHANG) == $self->{pid}; select undef, undef, undef, 0.05 }
    kill 'KILL', $self->{pid} and waitpid($self->{pid}, 0);
    delete $self->{pid};
}

sub DESTROY { $_[0]->stop }

1;
