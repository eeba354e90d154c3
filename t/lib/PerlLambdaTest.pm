package PerlLambdaTest;
# Shared helpers for t/integration/*.t: run a handler from t/handlers under the real AWS Runtime Interface
# Emulator (RIE) with our bootstrap (or with AWS::Lambda's pure-Perl bootstrap from the p5-aws-lambda
# mirror), invoke it, read the RIE's combined output, and always stop every process that was started.
#
#   my $fn  = PerlLambdaTest->start(handler => 'echo.handle', env => { ... });
#   my $res = $fn->invoke({ a => 1 });     # { status, content (bytes), data (decoded JSON or undef), headers }
#   my $log = $fn->log;                     # the RIE's output so far (includes the runtime's stdout/stderr)
#   $fn->stop;                              # also done by DESTROY and at END
#
# Environment knobs: PERL_LAMBDA_BOOTSTRAP (the binary under test, default .build/release/bootstrap),
# PERL_LAMBDA_RIE (default .cache/bin/aws-lambda-rie), P5_AWS_LAMBDA_MIRROR (the p5-aws-lambda git mirror).
use strict;
use warnings;
use Carp qw(croak);
use Cwd qw(abs_path);
use Exporter 'import';
use File::Basename qw(dirname basename);
use File::Path qw(make_path);
use File::Spec;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP ();
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

our @EXPORT_OK = qw(
    repo_root handlers_dir bootstrap_path rie_path aws_lambda_lib aws_lambda_bootstrap free_port
    json decode_json_or_undef descendants alive wait_for normalize_message
);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

my $ROOT = abs_path(File::Spec->catdir(dirname(__FILE__), '..', '..'));
my %LIVE;
my $SEQ = 0;    # pid => object, for the END safety net

sub repo_root    { $ROOT }
sub handlers_dir { File::Spec->catdir($ROOT, 't', 'handlers') }
sub bootstrap_path { abs_path($ENV{PERL_LAMBDA_BOOTSTRAP} // "$ROOT/.build/release/bootstrap") }
sub rie_path       { abs_path($ENV{PERL_LAMBDA_RIE} // "$ROOT/.cache/bin/aws-lambda-rie") }
sub log_dir {
    my $dir = $ENV{PERL_LAMBDA_TEST_LOGS} // "$ROOT/.build/integration-logs";
    make_path($dir);
    return $dir;
}

sub json { state_json() }
my $JSON;
# JSON::XS when installed (scripts/setup.sh installs it): JSON::PP takes seconds on the 5 MB payloads
sub state_json {
    $JSON //= eval { require JSON::XS; JSON::XS->new->utf8->canonical->allow_nonref }
        // JSON::PP->new->utf8->canonical->allow_nonref;
}

sub decode_json_or_undef {
    my ($bytes) = @_;
    return undef unless defined $bytes && length $bytes;
    my $v = eval { state_json()->decode($bytes) };
    return $v;
}

# A currently free TCP port on 127.0.0.1 (the kernel picks it).
sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or die "cannot bind a free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

# AWS::Lambda (p5-aws-lambda) extracted from the git mirror once per test process; undef if unavailable.
my $AWS_LAMBDA_LIB;
sub aws_lambda_lib {
    return $AWS_LAMBDA_LIB if defined $AWS_LAMBDA_LIB;
    my $mirror = $ENV{P5_AWS_LAMBDA_MIRROR} // '/work/.mirror/shogo82148+p5-aws-lambda/repo';
    return undef unless -d $mirror;
    my $dir = tempdir('p5-aws-lambda-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    system("git -C '$mirror' archive HEAD lib | tar -x -C '$dir'") == 0 or return undef;
    return undef unless -f "$dir/lib/AWS/Lambda/Bootstrap.pm";
    return $AWS_LAMBDA_LIB = "$dir/lib";
}

# A wrapper script that runs AWS::Lambda's bootstrap as the RIE's runtime.
my $AWS_LAMBDA_BOOTSTRAP;
sub aws_lambda_bootstrap {
    return $AWS_LAMBDA_BOOTSTRAP if defined $AWS_LAMBDA_BOOTSTRAP;
    my $lib = aws_lambda_lib() // return undef;
    my $script = File::Spec->catfile(dirname($lib), 'bootstrap');
    open my $fh, '>', $script or die "$script: $!";
    print $fh "#!/bin/sh\nexec perl -I'$lib' -MAWS::Lambda::Bootstrap -e 'bootstrap(\@ARGV)' \"\$@\"\n";
    close $fh;
    chmod 0755, $script;
    return $AWS_LAMBDA_BOOTSTRAP = $script;
}

# Which of AWS::Lambda's prerequisites are missing (empty when it can run).
sub aws_lambda_missing {
    my $lib = aws_lambda_lib() // return ('the p5-aws-lambda mirror');
    return grep { system($^X, "-I$lib", "-M$_", '-e', '1') != 0 } qw(JSON::XS HTTP::Tiny Try::Tiny);
}

# Whether managed-instances mode can be emulated here (root, unshare, mount namespaces).
sub managed_mode_unavailable {
    return 'needs root for a private mount namespace' if $> != 0;
    return 'needs unshare (util-linux)' if system('sh', '-c', 'command -v unshare >/dev/null') != 0;
    return 'mount namespaces are not permitted here'
        if system('unshare -m --propagation private sh -c "mount -t tmpfs tmpfs /mnt" >/dev/null 2>&1') != 0;
    return undef;
}

my $MANAGED_SETUP;
sub managed_setup_script {
    return $MANAGED_SETUP if $MANAGED_SETUP;
    my $dir = tempdir('perl-lambda-managed-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    mkdir "$dir/stage" or die "$dir/stage: $!";
    $MANAGED_SETUP = "$dir/setup.sh";
    open my $fh, '>', $MANAGED_SETUP or die "$MANAGED_SETUP: $!";
    print $fh <<'SH';
#!/bin/sh
# Runs inside a private mount namespace: a fresh /var with /var/runtime/bootstrap and /var/task for the RIE,
# which comes as $1. Whatever lives under the real /var (a checkout in /var/tmp, say: the RIE, the bootstrap,
# the handlers) is staged first in a tmpfs beside this script, since the new /var hides it.
set -e
stage=${0%/*}/stage
mount -t tmpfs -o mode=0755 tmpfs "$stage"
mkdir "$stage/task"
mount --bind "$PERL_LAMBDA_TEST_TASK" "$stage/task"
# copies, not wrappers: the RIE runs the bootstrap as an unprivileged user, who may not reach the build folder
cp "$PERL_LAMBDA_TEST_BOOTSTRAP" "$stage/bootstrap"
cp "$1" "$stage/rie"
shift
mount -t tmpfs -o mode=0755 tmpfs /var
mkdir -p /var/runtime /var/task /var/tmp
chmod 1777 /var/tmp
mount --bind "$stage/task" /var/task
cp "$stage/bootstrap" /var/runtime/bootstrap
chmod 0755 /var/runtime/bootstrap
unset PERL_LAMBDA_TEST_TASK PERL_LAMBDA_TEST_BOOTSTRAP
exec "$stage/rie" "$@"
SH
    close $fh;
    chmod 0755, $MANAGED_SETUP;
    return $MANAGED_SETUP;
}

# Polls $cond every 20 ms until it returns true or $timeout seconds pass; returns its last value.
sub wait_for {
    my ($cond, $timeout) = @_;
    my $until = time + ($timeout // 5);
    while (1) {
        my $v = $cond->();
        return $v if $v || time > $until;
        sleep 0.02;
    }
}

# Direct children of $pid (pgrep -P).
sub children {
    my ($pid) = @_;
    my @kids = grep { /^\d+$/ } split /\s+/, `pgrep -P $pid 2>/dev/null`;
    return map { 0 + $_ } @kids;
}

# All descendants of $pid, depth first.
sub descendants {
    my ($pid) = @_;
    return map { ($_, descendants($_)) } children($pid);
}

sub alive {
    my ($pid) = @_;
    return 0 unless $pid && kill 0, $pid;
    # a zombie is not alive
    open my $fh, '<', "/proc/$pid/stat" or return 0;
    my $stat = <$fh> // '';
    return $stat =~ /^\d+ \(.*\) Z/ ? 0 : 1;
}

# Removes the " at FILE line N." that names a runtime's own files (ours: /perl-lambda/lib/...; AWS::Lambda's:
# its lib directory), so messages from the two runtimes can be compared. Handler file locations stay.
sub normalize_message {
    my ($msg) = @_;
    return $msg unless defined $msg;
    my $lib = aws_lambda_lib();
    my @runtime_files = (qr{/perl-lambda/lib/\S+});
    push @runtime_files, qr{\Q$lib\E/\S+} if defined $lib;
    for my $re (@runtime_files) {
        $msg =~ s/ at $re line \d+\.?//g;
    }
    return $msg;
}

# ---- one RIE instance ----

# start(handler => 'FILE.FUNC', runtime => 'ours'|'aws-lambda', env => {...}, task_root => DIR, name => LABEL)
sub start {
    my ($class, %args) = @_;
    my $handler = $args{handler} // croak 'handler is required';
    my $runtime = $args{runtime} // 'ours';
    my $bootstrap = $runtime eq 'ours' ? bootstrap_path()
                  : $runtime eq 'aws-lambda' ? (aws_lambda_bootstrap() // croak 'AWS::Lambda is not available')
                  : croak "unknown runtime $runtime";
    croak "bootstrap $bootstrap is not executable (run make release)" unless -x $bootstrap;
    my $rie = rie_path();
    croak "RIE $rie is not executable (run scripts/fetch-rie.sh)" unless -x $rie;
    my $task_root = $args{task_root} // handlers_dir();

    my $label = $args{name} // do { (my $h = $handler) =~ s/\W+/-/g; $h };
    my $test = basename($0, '.t');
    my $log = File::Spec->catfile(log_dir(), sprintf("%s-%s-%s-%d-%d.log", $test, $label, $runtime, $$, ++$SEQ));
    unlink $log;

    my ($port, $api_port, $pid);
    for my $attempt (1 .. 5) {
        ($port, $api_port) = (free_port(), free_port());
        next if $port == $api_port;
        my %env = (
            PATH                            => $ENV{PATH} // '/usr/bin:/bin',
            HOME                            => $ENV{HOME} // '/tmp',
            LANG                            => 'C.UTF-8',
            TZ                              => ':UTC',
            LAMBDA_TASK_ROOT                => $task_root,
            _HANDLER                        => $handler,
            AWS_LAMBDA_FUNCTION_NAME        => 'perl-lambda-test',
            AWS_LAMBDA_FUNCTION_VERSION     => '$LATEST',
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE => '128',
            AWS_LAMBDA_LOG_GROUP_NAME       => '/aws/lambda/perl-lambda-test',
            AWS_LAMBDA_LOG_STREAM_NAME      => '2026/01/01/[$LATEST]0123456789abcdef',
            AWS_REGION                      => 'us-east-1',
            %{ $args{env} // {} },
        );
        delete @env{ grep { !defined $env{$_} } keys %env };
        # wrap_env: variables only the runtime sees (the RIE changes mode when it sees some of them itself,
        # e.g. AWS_LAMBDA_MAX_CONCURRENCY)
        my @wrap = $args{wrap_env} ? ('/usr/bin/env', map { "$_=$args{wrap_env}{$_}" } sort keys %{ $args{wrap_env} }) : ();
        my @runtime = (@wrap, @{ $args{runtime_prefix} // [] }, $bootstrap, $handler);
        my @cmd = ($rie, '--runtime-interface-emulator-address', "127.0.0.1:$port",
                   '--runtime-api-address', "127.0.0.1:$api_port", @runtime);
        if ($args{managed}) {
            # The RIE's managed-instances mode (it enters it when it sees AWS_LAMBDA_MAX_CONCURRENCY) ignores the
            # command line and runs /var/runtime/bootstrap in /var/task as an unprivileged user: give it those in
            # a private mount namespace (nothing outside it changes).
            @cmd = ('unshare', '-m', '--propagation', 'private', managed_setup_script(), $rie,
                    '--runtime-interface-emulator-address', "127.0.0.1:$port", '--runtime-api-address', "127.0.0.1:$api_port");
            $env{PERL_LAMBDA_TEST_TASK} = $task_root;
            $env{PERL_LAMBDA_TEST_BOOTSTRAP} = $bootstrap;
        }
        $pid = fork // die "fork: $!";
        if ($pid == 0) {
            setpgrp(0, 0);
            %ENV = %env;
            open STDIN, '<', '/dev/null';
            open STDOUT, '>>', $log or POSIX::_exit(126);
            open STDERR, '>&', \*STDOUT or POSIX::_exit(126);
            exec { $cmd[0] } @cmd or POSIX::_exit(127);
        }
        my $self = bless {
            pid => $pid, port => $port, api_port => $api_port, log_file => $log, handler => $handler,
            runtime => $runtime, bootstrap => $bootstrap,
            http => HTTP::Tiny->new(timeout => $args{timeout} // 60, keep_alive => 0),
        }, $class;
        $LIVE{$pid} = $self;
        my $up = wait_for(sub {
            return -1 unless alive($pid);
            my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 1);
            return $s ? 1 : 0;
        }, 10);
        return $self if $up && $up > 0;
        $self->stop;
        # the port may have been taken in between: try other ports
    }
    croak "the RIE did not start listening (see $log)";
}

sub pid      { $_[0]{pid} }
sub port     { $_[0]{port} }
sub log_file { $_[0]{log_file} }
sub url      { "http://127.0.0.1:$_[0]{port}/2015-03-31/functions/function/invocations" }

# invoke($data) encodes $data as JSON; invoke_raw($bytes) sends bytes as they are. Extra headers optional.
sub invoke {
    my ($self, $data, %headers) = @_;
    return $self->invoke_raw(state_json()->encode($data), %headers);
}

sub invoke_raw {
    my ($self, $bytes, %headers) = @_;
    my $res = $self->{http}->post($self->url, { content => $bytes, headers => \%headers });
    $res->{data} = decode_json_or_undef($res->{content});
    return $res;
}

# Sends every event at once (one process each) and waits for all answers: [ { status, content, data } ] in order.
sub invoke_concurrently {
    my ($self, @events) = @_;
    my $dir = tempdir('concurrent-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my @kids;
    for my $i (0 .. $#events) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my $r = $self->invoke($events[$i]);
            open my $fh, '>', "$dir/$i" or POSIX::_exit(1);
            print $fh $r->{status}, "\n", $r->{content} // '';
            close $fh;
            POSIX::_exit(0);
        }
        push @kids, $pid;
    }
    waitpid $_, 0 for @kids;
    return [ map {
        open my $fh, '<', "$dir/$_" or die "no answer for event $_";
        local $/;
        my ($status, $content) = split /\n/, <$fh>, 2;
        { status => $status, content => $content, data => decode_json_or_undef($content) };
    } 0 .. $#events ];
}

# The RIE's output so far (bytes).
sub log {
    my ($self) = @_;
    open my $fh, '<:raw', $self->{log_file} or return '';
    local $/;
    return scalar(<$fh>) // '';
}

# Waits until the output matches $re (e.g. the END line of a request); returns the output.
sub wait_log {
    my ($self, $re, $timeout) = @_;
    my $out = '';
    wait_for(sub { ($out = $self->log) =~ $re }, $timeout // 5);
    return $out;
}

# The lines of the output between the RIE's START and END lines for $request_id.
sub request_log {
    my ($self, $request_id) = @_;
    my $log = $self->wait_log(qr/^END RequestId: \Q$request_id\E/m);
    return $log =~ /^START RequestId: \Q$request_id\E[^\n]*\n(.*?)^END RequestId: \Q$request_id\E/ms ? $1 : undef;
}

# Request ids from the RIE's START lines, in order.
sub request_ids {
    my ($self) = @_;
    return $self->log =~ /^START RequestId: ([0-9a-f-]+)/mg;
}

# The runtime process (the RIE's child), once the first invoke has started it.
sub runtime_pid {
    my ($self) = @_;
    my @kids = grep { alive($_) } children($self->{pid});
    return $kids[0];
}

# Exit statuses of runtime processes as the RIE reported them ("Process runtime-N exited: exit status S").
sub runtime_exit_statuses {
    my ($self) = @_;
    return map { 0 + $_ } $self->log =~ /Process runtime-\d+ exited: exit status (-?\d+)/g;
}

sub stop {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return;
    delete $LIVE{$pid};
    $self->_stop_processes($pid);
    # keep the output only when something failed (or PERL_LAMBDA_KEEP_LOGS is set), and say where it is
    my $tb = eval { require Test::More; Test::More->builder };
    if ($tb && !$tb->is_passing) {
        $tb->diag("RIE output ($self->{runtime}, $self->{handler}): $self->{log_file}") unless $self->{reported}++;
    } elsif (!$ENV{PERL_LAMBDA_KEEP_LOGS}) {
        unlink $self->{log_file};
    }
    return 1;
}

sub _stop_processes {
    my ($self, $pid) = @_;
    my @desc = descendants($pid);
    kill 'TERM', $pid;
    # wait for it to exit but do not reap yet: while the zombie exists its process group id is still ours
    wait_for(sub { !alive($pid) }, 5) or kill 'KILL', $pid;
    wait_for(sub { !alive($pid) }, 2);
    kill 'KILL', -$pid;    # anything left in the RIE's process group
    waitpid($pid, 0);
    # the RIE kills its runtime; make sure nothing it started (e.g. forked workers in their own group) outlives it
    my @left = grep { alive($_) } @desc;
    if (@left) {
        kill 'TERM', @left;
        wait_for(sub { !grep { alive($_) } @left }, 2) or kill 'KILL', grep { alive($_) } @left;
    }
    return 1;
}

sub DESTROY { local ($., $@, $!, $^E, $?); $_[0]->stop }

END { local $?; $_->stop for values %LIVE }
$SIG{INT} = $SIG{TERM} = sub { $_->stop for values %LIVE; exit 1 };

1;
