# A PSGI app with no dependencies, used by t/psgi: echoes the request, sets cookies, redirects, serves and takes
# binary data, streams, and renders a page for the browser test.
use strict;
use warnings;

my $json = defined &PerlLambda::JSON::encode_json ? \&PerlLambda::JSON::encode_json
    : do { require JSON::PP; my $j = JSON::PP->new->utf8->canonical; sub { $j->encode($_[0]) } };

# A W×H 24-bit BMP filled with one colour (binary download test and the browser page's image)
sub bmp {
    my ($w, $h, $r, $g, $b) = @_;
    my $row = (pack('C3', $b, $g, $r) x $w) . ("\0" x ((4 - ($w * 3) % 4) % 4));
    my $pixels = $row x $h;
    return 'BM' . pack('V3', 54 + length $pixels, 0, 54) . pack('V3v2V6', 40, $w, $h, 1, 24, 0, length $pixels, 2835, 2835, 0, 0)
        . $pixels;
}

my %routes = (
    '/echo' => sub {
        my ($env) = @_;
        my $body = do { local $/; my $in = $env->{'psgi.input'}; <$in> } // '';
        my %seen = map { $_ => $env->{$_} } grep { /^(?:[A-Z_]+|psgi\.url_scheme|psgi\.streaming|psgix\.request_id)$/ } keys %$env;
        $seen{body_length} = length $body;
        $seen{body_hex} = unpack 'H*', substr($body, 0, 64);
        $seen{body_sum} = unpack '%32C*', $body;
        return [ 200, [ 'Content-Type' => 'application/json' ], [ $json->(\%seen) ] ];
    },
    '/cookies' => sub {
        return [ 200, [ 'Content-Type' => 'text/plain', 'Set-Cookie' => 'a=1; Path=/', 'Set-Cookie' => 'b=2; Path=/; HttpOnly',
                        'Set-Cookie' => 'c=3; Expires=Wed, 21 Oct 2037 07:28:00 GMT', 'X-Multi' => 'one', 'X-Multi' => 'two' ],
                 [ "cookies: ", $_[0]{HTTP_COOKIE} // '' ] ];
    },
    '/redirect' => sub { [ 302, [ Location => '/echo?from=redirect' ], [] ] },
    '/binary' => sub {
        my $bytes = join '', map { chr } 0 .. 255;
        return [ 200, [ 'Content-Type' => 'application/octet-stream', 'Content-Length' => 256 ], [ $bytes ] ];
    },
    '/image.bmp' => sub { my $img = bmp(64, 48, 0, 160, 0); [ 200, [ 'Content-Type' => 'image/bmp', 'Content-Length' => length $img ], [ $img ] ] },
    '/text' => sub {
        open my $fh, '<', \"line 1\nline 2 \xE2\x9C\x93\n" or die;
        return [ 200, [ 'Content-Type' => 'text/plain; charset=utf-8', 'Content-Length' => 19 ], $fh ];
    },
    '/stream' => sub {
        my ($env) = @_;
        my $n = ($env->{QUERY_STRING} =~ /n=(\d+)/)[0] // 4;
        my $pause = ($env->{QUERY_STRING} =~ /pause=([\d.]+)/)[0] // 0.3;
        return sub {
            my $w = $_[0]->([ 200, [ 'Content-Type' => 'text/plain', 'Set-Cookie' => 's=1', 'Set-Cookie' => 't=2' ] ]);
            for my $i (1 .. $n) {
                $w->write(sprintf "chunk %d %.3f\n", $i, Time::HiRes::time());
                Time::HiRes::sleep($pause) if $i < $n;
            }
            $w->close;
        };
    },
    '/delayed' => sub { return sub { $_[0]->([ 201, [ 'Content-Type' => 'text/plain' ], [ 'delayed ', 'body' ] ]) } },
    '/page' => sub {
        my $html = <<'HTML';
<!DOCTYPE html><html><head><title>perl-lambda page</title><link rel="stylesheet" href="style.css"></head>
<body><div id="box"></div><img id="img" src="image.bmp" width="64" height="48"></body></html>
HTML
        return [ 200, [ 'Content-Type' => 'text/html; charset=utf-8' ], [ $html ] ];
    },
    '/style.css' => sub {
        [ 200, [ 'Content-Type' => 'text/css' ], [ 'html,body{margin:0;background:#c81e1e}'
            . '#box{position:absolute;left:100px;top:100px;width:200px;height:150px;background:#1e3cc8}'
            . '#img{position:absolute;left:400px;top:100px}' ] ];
    },
    '/die' => sub { die "the app died\n" },
);

require Time::HiRes;
my $app = sub {
    my ($env) = @_;
    my $route = $routes{ $env->{PATH_INFO} } // $routes{'/echo'};
    return $route->($env);
};
$app;
