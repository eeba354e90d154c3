# The benchmark app (bench/psgi.pl): a Plack hello world, and a streamed response whose first chunk comes
# before a pause.
use strict;
use warnings;
use Plack::Request;
use Time::HiRes ();

sub {
    my $req = Plack::Request->new(shift);
    if ($req->path_info eq '/stream') {
        return sub {
            my $w = $_[0]->([ 200, [ 'Content-Type' => 'text/plain' ] ]);
            $w->write("first\n");
            Time::HiRes::sleep(0.2);
            $w->write("second\n");
            $w->close;
        };
    }
    return [ 200, [ 'Content-Type' => 'text/plain', 'Content-Length' => 12 ], [ "Hello world\n" ] ];
};
