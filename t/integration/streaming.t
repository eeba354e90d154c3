# A streaming handler under the RIE (which cannot stream: it buffers what it is sent).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use PerlLambdaTest;

my $fn = PerlLambdaTest->start(handler => 'streaming.handle');
my $r = $fn->invoke({});
is $r->{status}, 200, 'status 200';
is $r->{content}, "chunk 1\nchunk 2\nchunk 3\n", 'the RIE returns the streamed chunks, concatenated';
$r = $fn->invoke({});
is $r->{content}, "chunk 1\nchunk 2\nchunk 3\n", 'a second streamed invocation works too';
unlike $fn->log, qr/\[perl-lambda\] ERROR/, 'no runtime errors logged';
done_testing;
