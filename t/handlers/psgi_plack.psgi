# A Plack application (Debian's libplack-perl) with middleware, run unchanged by plackup and by perl-lambda.
use strict;
use warnings;
use Plack::Builder;
use Plack::Request;
use Plack::Response;

my $app = sub {
    my $req = Plack::Request->new(shift);
    my $path = $req->path_info;
    if ($path eq '/') {
        my $res = Plack::Response->new(200);
        $res->content_type('text/html; charset=utf-8');
        $res->body('<h1>Hello from Plack</h1><p>base=' . $req->base . '</p>');
        return $res->finalize;
    }
    if ($path eq '/form') {
        my $p = $req->body_parameters;
        my $res = Plack::Response->new(200, [ 'Content-Type' => 'text/plain; charset=utf-8' ]);
        $res->body(join ',', map { "$_=" . join('|', $p->get_all($_)) } sort keys %$p);
        return $res->finalize;
    }
    if ($path eq '/query') {
        my $q = $req->query_parameters;
        return [ 200, [ 'Content-Type' => 'text/plain' ], [ join ',', map { "$_=" . join('|', $q->get_all($_)) } sort keys %$q ] ];
    }
    if ($path eq '/upload') {
        my $u = $req->uploads->{file} or return [ 400, [ 'Content-Type' => 'text/plain' ], [ 'no file' ] ];
        open my $fh, '<:raw', $u->path or die;
        my $data = do { local $/; <$fh> };
        return [ 200, [ 'Content-Type' => 'text/plain' ], [ sprintf '%s %d %d', $u->filename, $u->size, unpack '%32C*', $data ] ];
    }
    if ($path eq '/login') {
        my $res = $req->new_response;
        $res->redirect($req->base . 'home');
        $res->cookies->{session} = { value => 'abc', path => '/', httponly => 1 };
        $res->cookies->{theme} = { value => 'dark', path => '/' };
        return $res->finalize;
    }
    if ($path eq '/home') {
        return [ 200, [ 'Content-Type' => 'text/plain' ], [ 'session=' . ($req->cookies->{session} // '') . ' theme=' . ($req->cookies->{theme} // '') ] ];
    }
    if ($path eq '/stream') {
        return sub {
            my $w = $_[0]->([ 200, [ 'Content-Type' => 'text/plain' ] ]);
            $w->write("part $_\n") for 1 .. 3;
            $w->close;
        };
    }
    return [ 404, [ 'Content-Type' => 'text/plain' ], [ 'not found' ] ];
};

builder {
    enable 'ContentLength';
    enable 'Head';
    enable 'ConditionalGET';
    $app;
};
