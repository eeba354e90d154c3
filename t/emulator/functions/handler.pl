# Test function for t/emulator: the payload's "action" says what to do.
use strict;
use warnings;
use Time::HiRes ();
use POSIX ();

$| = 1;
my $started = Time::HiRes::time();
print STDERR "init: handler.pl loaded\n" if $ENV{EMU_TEST_INIT_LOG};
die "init failure requested\n" if $ENV{EMU_TEST_FAIL_INIT};
# Lambda's shutdown phase SIGTERMs the runtime when extensions are registered: leave a marker, then exit.
if (my $marker = $ENV{EMU_TEST_TERM_MARKER}) {
    $SIG{TERM} = sub {
        open my $fh, '>>', $marker or die "$marker: $!";
        print {$fh} "term $$\n";
        close $fh;
        exit 0;
    };
}

sub handle {
    my ($event, $context) = @_;
    # the action comes from the event, or from the query string of an HTTP event (serve --function-url)
    my $action = ref $event eq 'HASH' ? ($event->{action} // ($event->{queryStringParameters} || {})->{action} // 'echo') : 'echo';
    if ($action eq 'echo') {
        return +{ event => $event, request_id => $context->aws_request_id, pid => $$ };
    }
    if ($action eq 'layer') {
        require LayerProbe;    # found on @INC only through a --layer's module directory
        return +{ map({ $_ => $ENV{$_} } qw(PATH LD_LIBRARY_PATH PERL5LIB)), probe => LayerProbe::hello(),
                  tool => scalar(`layer-tool`) };
    }
    if ($action eq 'env') {
        return +{ map { $_ => $ENV{$_} } grep { /^(AWS_|LAMBDA_|_HANDLER|TZ$|_X_AMZN)/ } keys %ENV };
    }
    if ($action eq 'context') {
        return +{
            request_id     => $context->aws_request_id,
            arn            => $context->invoked_function_arn,
            trace_id       => $context->trace_id,
            deadline_ms    => $context->deadline_ms,
            remaining_ms   => $context->get_remaining_time_in_millis,
            client_context => $context->client_context,
            function_name  => $context->function_name,
            memory         => $context->memory_limit_in_mb,
            tenant_id      => $context->tenant_id,
            pid            => $$,
        };
    }
    if ($action eq 'sleep') {
        Time::HiRes::sleep($event->{seconds} // 1);
        return +{ slept => $event->{seconds} // 1, pid => $$, request_id => $context->aws_request_id };
    }
    if ($action eq 'allocate') {
        my $x = 'a' x (($event->{mb} // 1) * 1024 * 1024);
        return +{ allocated_mb => length($x) / 1024 / 1024, pid => $$ };
    }
    if ($action eq 'log') {
        print "log line $_\n" for 1 .. ($event->{lines} // 3);
        print STDERR "stderr line\n";
        return +{ logged => 1 };
    }
    if ($action eq 'die') {
        die "boom: " . ($event->{message} // 'requested') . "\n";
    }
    if ($action eq 'crash') {
        print "about to crash\n";
        kill 'KILL', $$;
        sleep 5;
    }
    if ($action eq 'spawn' || $action eq 'daemon') {
        # a child that outlives the invocation: in the environment's process group (spawn), or escaped from it
        # by a double fork and setsid (daemon); its pid comes back through a pipe
        pipe(my $r, my $w) or die "pipe: $!";
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $r;
            if ($action eq 'daemon') {
                POSIX::setsid();
                my $grandchild = fork // POSIX::_exit(1);
                POSIX::_exit(0) if $grandchild;
            }
            print $w "$$\n";
            close $w;
            open STDOUT, '>', '/dev/null';
            open STDERR, '>', '/dev/null';
            exec 'sleep', $event->{seconds} // 300;
        }
        close $w;
        chomp(my $child = <$r> // '');
        waitpid $pid, 0 if $action eq 'daemon';
        Time::HiRes::sleep($event->{then_sleep}) if $event->{then_sleep};
        kill 'KILL', $$ if $event->{then_crash};
        return +{ child => 0 + $child, pid => $$ };
    }
    if ($action eq 'bad_header') {
        # a response a front door must not write as it is (response splitting)
        return +{ statusCode => 200, headers => { 'X-Fine' => 'yes', 'X-Bad' => "a\r\nX-Injected: 1" }, body => 'split' };
    }
    if ($action eq 'exit') {
        exit($event->{code} // 3);
    }
    if ($action eq 'big') {
        return 'x' x ($event->{bytes} // 1000);
    }
    if ($action eq 'stream') {
        my $n = $event->{chunks} // 3;
        my $delay = $event->{delay} // 0;
        return sub {
            my $responder = shift;
            my $writer = $responder->('text/plain');
            for my $i (1 .. $n) {
                $writer->write("chunk $i\n");
                Time::HiRes::sleep($delay) if $delay;
            }
            die "stream failed mid-way\n" if $event->{fail};
            $writer->close;
        };
    }
    die "unknown action $action\n";
}

1;
