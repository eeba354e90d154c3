# A module a layer puts on @INC (serve --layer DIR: DIR/perl5/lib/perl5, the layout of `cpanm -L DIR/perl5`).
package LayerProbe;
use strict;
use warnings;
sub hello { "from the layer" }
1;
