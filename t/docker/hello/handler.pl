use strict;
use warnings;
use utf8;

sub handle {
    my ($payload, $context) = @_;
    return +{ "hello" => "lambda" };
}

1;
