use strict;
use warnings;

exit 4;

sub handle { +{ never => 'served' } }

1;
