use strict;
use warnings;

# Streams three chunks.
sub handle {
    my ($payload, $context) = @_;
    return sub {
        my $responder = shift;
        my $writer = $responder->('text/plain');
        $writer->write("chunk $_\n") for 1 .. 3;
        $writer->close;
    };
}

1;
