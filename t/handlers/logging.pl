use strict;
use warnings;

# Prints numbered lines alternately to STDOUT and STDERR (and one warn), tagged with the request id.
sub handle {
    my ($payload, $context) = @_;
    my $id = $context->aws_request_id;
    my $n = $payload->{lines} // 6;
    for my $i (1 .. $n) {
        if ($i % 2) { print STDOUT "line $i stdout $id\n" }
        else        { print STDERR "line $i stderr $id\n" }
    }
    warn "warned $id\n";
    return +{ printed => $n };
}

1;
