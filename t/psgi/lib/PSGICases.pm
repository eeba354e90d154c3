package PSGICases;
# The request × front door matrix of t/psgi: run(TYPE, %request) → (status, [[lc name, value]...], body bytes)
# is given by each test (through wrap, through a .psgi handler under serve or the RIE).
use strict;
use warnings;
use Test::More;
use PSGIEvents;

sub matrix {
    my ($type, $run, %opt) = @_;
    my $single_cookie_headers = $opt{single_cookie_headers};    # ALB single-value: the result's raw headers
    my $echo = sub { my ($status, $h, $body) = $run->(@_); return PSGIEvents::json_decode($body) };
    # GET with an encoded path and query
    my $e = $echo->($type, path => '/echo/caf%C3%A9/a%20b%2Fc', query => 'q=a%26b%3Dc&q=%E2%9C%93&empty=&sp=x%20y');
    my $path = $type eq 'url' ? "/echo/caf\xC3\xA9/a b/c" : "/echo/caf\xC3\xA9/a b/c";
    is $e->{PATH_INFO}, $path, 'PATH_INFO decoded (bytes)';
    # events that carry parameters as JSON objects lose their order; single-value ALB keeps the last of a name
    my @want = ([ q => 'a&b=c' ], [ q => "\xE2\x9C\x93" ], [ empty => '' ], [ sp => 'x y' ]);
    @want = grep { $_->[1] ne 'a&b=c' } @want if $type eq 'alb';
    my $order = $type =~ /^(?:v2|url)$/ ? sub { @_ } : sub { sort { "@$a" cmp "@$b" } @_ };
    is_deeply [ $order->(PSGIEvents::query_pairs($e->{QUERY_STRING})) ], [ $order->(@want) ],
        "QUERY_STRING decodes to the parameters ($e->{QUERY_STRING})";
    like $e->{REQUEST_URI}, qr{^(?:/prod)?/echo/caf%C3%A9/a%20b%2Fc\?}, 'REQUEST_URI stays encoded' if $type ne 'url';
    is $e->{SCRIPT_NAME}, $type eq 'v1' ? '/prod' : '', 'SCRIPT_NAME (REST stage)';
    is $e->{REQUEST_METHOD}, 'GET', 'method';
    is $e->{REMOTE_ADDR}, '192.0.2.7', 'REMOTE_ADDR';
    is $e->{'psgi.url_scheme'}, 'https', 'url scheme';
    is $e->{HTTP_HOST}, 'example.test', 'Host';
    like $e->{'psgix.request_id'}, $opt{request_id} ? qr/^\Q$opt{request_id}\E$/ : qr/^[0-9a-f-]{36}$/, 'request id';
    ok $e->{'psgi.streaming'}, 'psgi.streaming';

    # POST JSON
    my $json = qq({"name":"\xE2\x9C\x93 caf\xC3\xA9"});
    $e = $echo->($type, method => 'POST', path => '/echo', body => $json, content_type => 'application/json');
    is $e->{REQUEST_METHOD}, 'POST', 'POST';
    is $e->{CONTENT_TYPE}, 'application/json', 'CONTENT_TYPE';
    is $e->{CONTENT_LENGTH}, length $json, 'CONTENT_LENGTH in bytes';
    is $e->{body_hex}, unpack('H*', $json), 'body bytes';

    # binary upload
    my $bin = join '', map { chr(($_ * 7) % 256) } 0 .. 999;
    $e = $echo->($type, method => 'PUT', path => '/echo', body => $bin, content_type => 'application/octet-stream');
    is $e->{body_length}, 1000, 'binary upload length';
    is $e->{body_sum}, unpack('%32C*', $bin), 'binary upload checksum';

    # binary download
    my ($status, $h, $body) = $run->($type, path => '/binary');
    is $status, 200, 'binary status';
    is $body, join('', map { chr } 0 .. 255), 'binary body (base64 in the result)';

    # filehandle body, UTF-8 text
    ($status, $h, $body) = $run->($type, path => '/text');
    is $body, "line 1\nline 2 \xE2\x9C\x93\n", 'filehandle body';

    # cookies in and out, repeated headers
    ($status, $h, $body) = $run->($type, path => '/cookies', headers => [ Cookie => 'x=1; y=2' ]);
    is $body, 'cookies: x=1; y=2', 'Cookie header reaches the app';
    my @set = PSGIEvents::header_values($h, 'set-cookie');
    if ($type eq 'alb') {
        # single-value ALB: one key per cookie, in different casings
        @set = $single_cookie_headers->('/cookies');
    }
    is_deeply [ sort @set ], [ 'a=1; Path=/', 'b=2; Path=/; HttpOnly', 'c=3; Expires=Wed, 21 Oct 2037 07:28:00 GMT' ],
        'every Set-Cookie kept';
    is join(',', PSGIEvents::header_values($h, 'x-multi')), $type =~ /^(?:v1|alb-multi)$/ ? 'one,two' : 'one, two',
        'repeated header';

    # HEAD
    ($status, $h, $body) = $run->($type, method => 'HEAD', path => '/binary');
    is $status, 200, 'HEAD status';
    is $body, '', 'HEAD: no body';
    is((PSGIEvents::header_values($h, 'content-length'))[0], 256, 'HEAD: Content-Length kept');

    # redirect
    ($status, $h, $body) = $run->($type, path => '/redirect');
    is $status, 302, 'redirect status';
    is((PSGIEvents::header_values($h, 'location'))[0], '/echo?from=redirect', 'Location');

    # delayed response (psgi.streaming) in buffered mode
    ($status, $h, $body) = $run->($type, path => '/delayed');
    is $status, 201, 'delayed response status';
    is $body, 'delayed body', 'delayed response body';
    ($status, $h, $body) = $run->($type, path => '/stream', query => 'n=3&pause=0');
    like $body, qr/\Achunk 1 .*\nchunk 2 .*\nchunk 3 .*\n\z/, 'streaming writer collected';
}

1;
