use strict;
use warnings;

sub handle { +{ never => 'served' } }

0;
