use strict;
use warnings;
use utf8;

# Takes { s => STRING }; returns [the string, its length in characters, its code points, a literal].
sub handle {
    my ($payload, $context) = @_;
    my $s = $payload->{s};
    return [ $s, length($s), [ map { ord } split //, $s ], "Grüße, 世界 🐪" ];
}

1;
