use strict;
use warnings;

# Results made of Perl's own booleans, as unmodified handlers return them without thinking of JSON.
sub handle {
    my ($payload, $context) = @_;
    # an array, not a hash: JSON::XS writes hash keys in the process's random order, arrays compare byte for byte
    return [
        ref($payload),                            # "" for a non-reference payload
        defined($payload),
        $payload eq 'x',
        !$payload,
        exists $ENV{PERL_LAMBDA_NO_SUCH_VARIABLE},
        1 == 1, 1 == 2,
        \1, \0,                                   # JSON true and false
    ];
}

# A handler whose last statement is a print: the result is print's return value.
sub last_print {
    my ($payload, $context) = @_;
    print STDERR "done\n";
}

1;
