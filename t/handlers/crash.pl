use strict;
use warnings;
use POSIX ();

# Ends the process the ways a handler (or a C library under it) can: a signal sent to itself, a real fault, an
# abort. Lambda answers each with Runtime.ExitError and a fresh environment.
sub handle {
    my ($payload, $context) = @_;
    my $how = $payload->{how} // 'none';
    my $sleep = $payload->{sleep} // 0;
    select undef, undef, undef, $payload->{before} if $payload->{before};   # others get in flight meanwhile
    select undef, undef, undef, $payload->{wait} if $payload->{wait};
    if ($how =~ /^kill_(\w+)$/) {
        kill $1, $$;
        my $until = time + $sleep;    # a caught signal interrupts sleep: sleep the whole time regardless
        sleep 1 while time < $until;
    }
    elsif ($how eq 'fault') { my $x = unpack 'p', pack 'J', 8 }  # read through a bad pointer: a real SIGSEGV
    elsif ($how eq 'abort') { POSIX::abort() }
    return { pid => $$, how => $how };
}

1;
