use strict;
use warnings;

die "init failed on purpose\n";

sub handle { +{ unreachable => 1 } }

1;
