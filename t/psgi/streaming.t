# Response streaming in the bootstrap, end to end through `perl-lambda serve` (InvokeWithResponseStream and a
# streaming Function URL): chunks arrive while the handler still runs; die mid-stream, a responder never
# called, writes after close, close twice, a writer kept across invocations give defined results, never a hang.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use ServeHelper;
use JSON::PP;

my $handlers = "$FindBin::Bin/../handlers";
my $s = eval { ServeHelper->start('--task-root', $handlers, '--timeout', '10', 'psgi_stream_edges.handle') };
plan skip_all => $@ unless $s;
my $json = JSON::PP->new->canonical;

sub stream {
    my ($payload) = @_;
    my $r = $s->request(POST => '/2021-11-15/functions/function/response-streaming-invocations', [], $json->encode($payload));
    my @ev = ServeHelper::events($r);
    my @data = grep { $_->[1] eq 'PayloadChunk' } @ev;
    my ($done) = grep { $_->[1] eq 'InvokeComplete' } @ev;
    return { r => $r, chunks => \@data, body => join('', map { $_->[2] } @data),
             complete => $done ? $json->decode($done->[2]) : undef, done_at => $done ? $done->[0] : undef };
}

subtest 'chunks arrive as they are written' => sub {
    my $x = stream({ case => 'timed', n => 4, pause => 0.4 });
    is scalar @{ $x->{chunks} }, 4, 'four PayloadChunk events';
    like $x->{body}, qr/\Achunk 1 .*\nchunk 2 .*\nchunk 3 .*\nchunk 4 .*\n\z/, 'body';
    ok !$x->{complete}{ErrorCode}, 'InvokeComplete without error';
    my @t = map { $_->[0] } @{ $x->{chunks} };
    diag sprintf 'chunk arrival (s after the request): %s; complete at %.3f', join(', ', map { sprintf '%.3f', $_ } @t), $x->{done_at};
    ok $t[0] < $x->{done_at} - 1.0, 'the first chunk arrives long before the handler finishes';
    ok $t[1] - $t[0] > 0.25 && $t[2] - $t[1] > 0.25, 'chunks are spaced as the handler wrote them';
};

subtest 'die mid-stream → error trailers → InvokeComplete error' => sub {
    my $x = stream({ case => 'die_mid_stream' });
    is $x->{body}, "partial\n", 'what was written before the die';
    is $x->{complete}{ErrorCode}, 'Error', 'ErrorCode';
    like $x->{complete}{ErrorDetails}, qr/boom mid-stream/, 'ErrorDetails';
};

for my $case ([ die_before_responder => qr/boom before/ ], [ never_responds => qr/without calling its responder/ ]) {
    subtest "$case->[0] → a function error" => sub {
        my $x = stream({ case => $case->[0] });
        is $x->{body}, '', 'no payload';
        ok $x->{complete}{ErrorCode}, 'ErrorCode set';
        like $x->{complete}{ErrorDetails}, $case->[1], 'ErrorDetails';
        ok $x->{r}{elapsed} < 5, 'no hang';
    };
}

subtest 'write after close: the response stands, the error is logged' => sub {
    my $x = stream({ case => 'write_after_close' });
    is $x->{body}, "done\n", 'body';
    ok !$x->{complete}{ErrorCode}, 'no error code';
    ok wait_log(qr/already closed/), 'the late write is logged';
};

subtest 'close twice is fine; a writer left open is closed' => sub {
    my $x = stream({ case => 'close_twice' });
    is $x->{body}, "once\n", 'close twice';
    ok !$x->{complete}{ErrorCode}, 'no error';
    $x = stream({ case => 'left_open' });
    is $x->{body}, "open\n", 'left open';
    ok !$x->{complete}{ErrorCode}, 'no error';
};

subtest 'responder called twice → error trailers' => sub {
    my $x = stream({ case => 'responder_twice' });
    is $x->{body}, "first\n", 'first writer output';
    like $x->{complete}{ErrorDetails} // '', qr/called twice/, 'error';
};

subtest 'a writer kept for a later invocation' => sub {
    my $x = stream({ case => 'keep_writer' });
    is $x->{body}, "kept\n", 'first invocation';
    my $r = $s->request(POST => '/2015-03-31/functions/function/invocations', [], '{"case":"use_kept_writer"}');
    is $r->{status}, 200, 'answered';
    is ServeHelper::header($r, 'x-amz-function-error'), 'Unhandled', 'a function error';
    like $r->{body}, qr/already closed/, 'writing to an old invocation\'s writer dies';
};

subtest 'wide characters are refused, not mangled' => sub {
    my $x = stream({ case => 'wide_chars' });
    like $x->{complete}{ErrorDetails} // '', qr/Wide character/, 'error';
};

subtest 'the environment still serves afterwards' => sub {
    my $x = stream({ case => 'timed', n => 2, pause => 0 });
    is scalar @{ $x->{chunks} }, 2, 'two chunks';
};

sub wait_log {
    my ($re) = @_;
    for (1 .. 100) { return 1 if $s->log =~ $re; select undef, undef, undef, 0.05 }
    return 0;
}

$s->stop;
done_testing;
