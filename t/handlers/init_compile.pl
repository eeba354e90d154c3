use strict;
use warnings;

sub handle {
    my ($payload) = @_;
    return { broken => $payload ;    # syntax error: unbalanced brace
}

1;
