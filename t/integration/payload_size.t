# Big payloads: 5 MB in and out; the 6,291,556-byte response limit (at it: served; over it:
# Function.ResponseSizeTooLarge) and the runtime keeps serving afterwards.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use PerlLambdaTest;

my $LIMIT = 6_291_556;
my $fn = PerlLambdaTest->start(handler => 'big.handle');

subtest '5 MB event echoed back' => sub {
    my $data = join '', map { chr(0x61 + $_ % 26) } 0 .. 5 * 1024 * 1024 - 1;
    my $r = $fn->invoke({ data => $data });
    is $r->{status}, 200, 'status 200';
    is length($r->{content}), length($data) + 11, 'response is {"data":"..."} of the full size';
    ok defined $r->{data} && $r->{data}{data} eq $data, 'payload identical';
};

my $pid;
subtest 'a response of exactly the limit is delivered' => sub {
    my $r = $fn->invoke({ make => $LIMIT - 2 });    # a JSON string: N + 2 quote bytes
    is $r->{status}, 200, 'status 200';
    is length($r->{content}), $LIMIT, "all $LIMIT bytes arrive";
    $pid = $fn->runtime_pid;
};

subtest 'one byte over the limit is Function.ResponseSizeTooLarge' => sub {
    my $r = $fn->invoke({ make => $LIMIT - 1 });
    is $r->{data}{errorType}, 'Function.ResponseSizeTooLarge', 'errorType' or diag substr($r->{content}, 0, 300);
    like $r->{data}{errorMessage}, qr/\b6291557\b/, 'the message names the actual size';
    like $r->{data}{errorMessage}, qr/\b$LIMIT\b/, 'and the limit';
    cmp_ok length($r->{content}), '<', 1000, 'the error document is small';
};

subtest 'far over the limit too, and the runtime keeps serving' => sub {
    my $r = $fn->invoke({ make => 7_000_000 });
    is $r->{data}{errorType}, 'Function.ResponseSizeTooLarge', 'errorType';
    $r = $fn->invoke({ after => 'big' });
    is_deeply $r->{data}, { after => 'big' }, 'next invoke works';
    is $fn->runtime_pid, $pid, 'same runtime process (not restarted)';
    like $fn->log, qr/ERROR Response payload size \(6291557 bytes\) exceeded/, 'the runtime logged the refusal';
};

done_testing;
