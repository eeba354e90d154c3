use strict;
use warnings;

# Returns the event exactly as it was decoded.
sub handle {
    my ($payload, $context) = @_;
    return $payload;
}

# Describes how the event was decoded: Perl-side types, so a round trip can't hide a wrong decoding.
sub describe {
    my ($payload, $context) = @_;
    my $kind;
    $kind = sub {
        my $v = shift;
        return 'undef' unless defined $v;
        my $r = ref $v;
        return [ map { $kind->($_) } @$v ] if $r eq 'ARRAY';
        return { map { $_ => $kind->($v->{$_}) } keys %$v } if $r eq 'HASH';
        return "bool:" . ($v ? 1 : 0) if $r && $r =~ /Boolean|Types::Serialiser|JSON/;
        return "ref:$r" if $r;
        no warnings 'numeric';
        return B::svref_2object(\$v)->FLAGS & (B::SVf_IOK() | B::SVf_NOK()) ? "number:" . (0 + $v) : "string:$v";
    };
    require B;
    return $kind->($payload);
}

1;
