use strict;
use warnings;

our $at_load = $ENV{_X_AMZN_TRACE_ID};

# Reports _X_AMZN_TRACE_ID as the handler sees it (and as a child process sees it), then sets it itself
# to check that the runtime does not carry it over into the next invocation.
sub handle {
    my ($payload, $context) = @_;
    my %r = (
        at_load  => $at_load,
        exists   => exists $ENV{_X_AMZN_TRACE_ID} ? 1 : 0,
        value    => $ENV{_X_AMZN_TRACE_ID},
        child    => scalar(`printenv _X_AMZN_TRACE_ID`) // '',
        trace_id => (eval { $context->{trace_id} }),
    );
    chomp $r{child};
    $ENV{_X_AMZN_TRACE_ID} = $payload->{set} if ref $payload eq 'HASH' && defined $payload->{set};
    return \%r;
}

1;
