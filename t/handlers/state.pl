use strict;
use warnings;

our $count = 0;
our $loaded_at_pid = $$;

# A package counter that survives across invocations in the same process.
sub handle {
    my ($payload, $context) = @_;
    $count++;
    select(undef, undef, undef, $payload->{sleep}) if ref $payload eq 'HASH' && $payload->{sleep};
    return +{ count => $count, pid => $$, ppid => getppid(), loaded_at_pid => $loaded_at_pid };
}

1;
