use strict;
use warnings;

# { make => N } returns a string of N "x" (JSON-encoded: N + 2 bytes); anything else is echoed back.
sub handle {
    my ($payload, $context) = @_;
    return 'x' x $payload->{make} if ref $payload eq 'HASH' && defined $payload->{make};
    return $payload;
}

1;
