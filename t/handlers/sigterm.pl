use strict;
use warnings;

# A shutdown hook, as functions with extensions use it: Lambda sends SIGTERM to the runtime at shutdown.
# SIGTERM_MARKER names a file the hook (and the END block) append to; SIGTERM_STAY=1 makes the hook return.
my $marker = $ENV{SIGTERM_MARKER};
$SIG{TERM} = sub {
    open my $fh, '>>', $marker or die "$marker: $!";
    print $fh "term $$\n";
    close $fh;
    print "[runtime] SIGTERM received\n";
    exit 0 unless $ENV{SIGTERM_STAY};
};
END {
    if ($marker) { open my $fh, '>>', $marker; print $fh "end\n" }
}

sub handle { return { pid => $$ } }

1;
