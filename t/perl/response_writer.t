# AWS::Lambda::ResponseWriter as a user drives it in unit tests of streaming handlers.
use strict;
use warnings;
use Test::More;
use AWS::Lambda::ResponseWriter;

subtest 'collecting writes with callbacks' => sub {
    my (@chunks, $closed);
    my $w = AWS::Lambda::ResponseWriter->new(write => sub { push @chunks, shift }, close => sub { $closed++ });
    isa_ok $w, 'AWS::Lambda::ResponseWriter';
    ok $w->write("chunk 1\n"), 'write returns true';
    $w->write("chunk 2\n");
    is $w->write(''), '0E0', 'an empty write is a true no-op';
    is $w->write(undef), '0E0', 'so is undef';
    is_deeply \@chunks, [ "chunk 1\n", "chunk 2\n" ], 'the callback got each non-empty chunk in order';
    ok $w->close, 'close returns true';
    is $closed, 1, 'the close callback ran';
    ok !eval { $w->write('late'); 1 }, 'write after close dies';
    like $@, qr/already closed/, 'saying so';
    is_deeply \@chunks, [ "chunk 1\n", "chunk 2\n" ], 'and wrote nothing';
    ok eval { $w->close; 1 }, 'closing twice does not die';
    is $closed, 1, 'and does not call the close callback again';
};

subtest 'without callbacks (hash-ref constructor)' => sub {
    my $w = AWS::Lambda::ResponseWriter->new({});
    ok $w->write('a'), 'write works';
    ok $w->close, 'close works';
    ok !eval { $w->write('d'); 1 }, 'write after close dies';
};

subtest 'a streaming handler driven by a test responder' => sub {
    my $handler = sub {
        return sub {
            my $responder = shift;
            my $writer = $responder->('text/plain');
            $writer->write("chunk $_\n") for 1 .. 3;
            $writer->close;
        };
    };
    my ($type, $body) = ('', '');
    $handler->({}, undef)->(sub {
        $type = shift;
        return AWS::Lambda::ResponseWriter->new(write => sub { $body .= shift });
    });
    is $type, 'text/plain', 'content type passed to the responder';
    is $body, "chunk 1\nchunk 2\nchunk 3\n", 'streamed body';
};

done_testing;
