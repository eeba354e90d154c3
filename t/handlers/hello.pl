use strict;
use warnings;

sub handle {
    my ($payload, $context) = @_;
    return +{ hello => 'lambda' };
}

1;
