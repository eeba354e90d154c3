# A .psgi handler under the bootstrap behind `perl-lambda serve --function-url` (buffered and RESPONSE_STREAM)
# and `--api-gateway v1|v2`, driven with curl: encoded paths and queries, POST JSON, binary up/download,
# cookies in and out, HEAD, redirects, streaming, app errors.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use JSON::PP;
use ServeHelper;
use PSGIEvents;

plan skip_all => 'curl is needed' if system('curl --version >/dev/null 2>&1') != 0;
my $handlers = "$FindBin::Bin/../handlers";
my $tmp = tempdir(CLEANUP => 1);
my $json = JSON::PP->new->utf8;

# curl(METHOD, URL, extra curl args...) → { status, headers => [[lc, v]], body }
sub curl {
    my ($method, $url, @args) = @_;
    my @cmd = ('curl', '-s', '-S', '--max-time', '20', '-D', "$tmp/h", '-o', "$tmp/b",
               $method eq 'HEAD' ? '-I' : ('-X', $method), @args, $url);
    system(@cmd) == 0 or return { status => 0, error => "curl failed: $?" };
    my $head = do { local (@ARGV, $/) = "$tmp/h"; <> } // '';
    my $body = do { open my $fh, '<:raw', "$tmp/b" or return ''; local $/; <$fh> } // '';
    my ($status_line, @lines) = split /\r\n/, (split /\r\n\r\n/, $head)[-1];
    my ($status) = $status_line =~ /^HTTP\/\S+ (\d+)/;
    return { status => $status, headers => [ map { my ($k, $v) = split /:\s*/, $_, 2; [ lc $k, $v ] } @lines ], body => $body };
}
sub hv { my ($r, $n) = @_; my @v = map { $_->[1] } grep { $_->[0] eq $n } @{ $r->{headers} }; wantarray ? @v : $v[0] }

my @doors = (
    [ 'function-url' => [ '--function-url' ], '' ],
    [ 'function-url streaming' => [ '--function-url', '--invoke-mode', 'RESPONSE_STREAM', '-e', 'PERL5_LAMBDA_PSGI_INVOKE_MODE=RESPONSE_STREAM' ], '' ],
    [ 'apigateway v2' => [ '--api-gateway', 'v2' ], '' ],
    [ 'apigateway v1, stage prod' => [ '--api-gateway', 'v1', '--stage', 'prod' ], '/prod' ],
);

for my $door (@doors) {
    my ($name, $args, $prefix) = @$door;
    subtest $name => sub {
        my $s = ServeHelper->start(@$args, '--task-root', $handlers, 'psgi_app.psgi');
        my $base = $s->url . $prefix;

        # the first request starts the runtime while the caller waits: its connection must still close
        my $first = eval { $s->request(GET => "$prefix/text", [], undef, eof => 1, timeout => 10) };
        is $first && $first->{body}, "line 1\nline 2 \xE2\x9C\x93\n", 'Connection: close after a cold start ends the connection';

        my $r = curl(GET => "$base/echo/caf%C3%A9/a%20b?q=a%26b%3Dc&q=%E2%9C%93&sp=x%20y");
        is $r->{status}, 200, 'GET 200';
        my $e = eval { $json->decode($r->{body}) } // {};
        is $e->{PATH_INFO}, "/echo/caf\xC3\xA9/a b", 'PATH_INFO decoded';
        is $e->{SCRIPT_NAME}, $prefix, 'SCRIPT_NAME';
        my $sort = $name =~ /v1/ ? sub { sort { "@$a" cmp "@$b" } @_ } : sub { @_ };
        is_deeply [ $sort->(PSGIEvents::query_pairs($e->{QUERY_STRING})) ],
                  [ $sort->([ q => 'a&b=c' ], [ q => "\xE2\x9C\x93" ], [ sp => 'x y' ]) ], "query ($e->{QUERY_STRING})";
        is $e->{REQUEST_METHOD}, 'GET', 'method';
        is $e->{'psgi.url_scheme'}, 'http', 'scheme from X-Forwarded-Proto';
        ok $e->{'psgix.request_id'}, 'request id';

        my $body = qq({"name":"\xE2\x9C\x93"});
        $r = curl(POST => "$base/echo", '-H', 'Content-Type: application/json', '--data-binary', $body);
        $e = eval { $json->decode($r->{body}) } // {};
        is $e->{REQUEST_METHOD}, 'POST', 'POST';
        is $e->{body_hex}, unpack('H*', $body), 'JSON body bytes';
        is $e->{CONTENT_LENGTH}, length $body, 'CONTENT_LENGTH';

        my $bin = join '', map { chr(($_ * 13 + 7) % 256) } 0 .. 4999;
        open my $fh, '>:raw', "$tmp/up" or die; print $fh $bin; close $fh;
        $r = curl(PUT => "$base/echo", '-H', 'Content-Type: application/octet-stream', '--data-binary', "\@$tmp/up");
        $e = eval { $json->decode($r->{body}) } // {};
        is $e->{body_length}, 5000, 'binary upload length';
        is $e->{body_sum}, unpack('%32C*', $bin), 'binary upload checksum';

        $r = curl(GET => "$base/binary");
        is $r->{body}, join('', map { chr } 0 .. 255), 'binary download';
        is hv($r, 'content-type'), 'application/octet-stream', 'binary content type';
        $r = curl(GET => "$base/image.bmp");
        is substr($r->{body}, 0, 2), 'BM', 'image download';

        $r = curl(GET => "$base/cookies", '-H', 'Cookie: x=1; y=2');
        is $r->{body}, 'cookies: x=1; y=2', 'cookies in';
        is_deeply [ sort(hv($r, 'set-cookie')) ], [ 'a=1; Path=/', 'b=2; Path=/; HttpOnly', 'c=3; Expires=Wed, 21 Oct 2037 07:28:00 GMT' ],
            'every Set-Cookie out';
        my @multi = hv($r, 'x-multi');
        is join(',', @multi), $name =~ /v1/ ? 'one,two' : 'one, two', 'repeated header';

        $r = curl(HEAD => "$base/binary");
        is $r->{status}, 200, 'HEAD 200 (curl -I)';
        $r = $s->request(HEAD => "$prefix/binary");
        is $r->{status}, 200, 'HEAD 200';
        is $r->{body}, '', 'HEAD: no body on the wire';
        is ServeHelper::header($r, 'content-length'), 256, 'HEAD: Content-Length';

        $r = curl(GET => "$base/redirect");
        is $r->{status}, 302, 'redirect status';
        is hv($r, 'location'), '/echo?from=redirect', 'Location';
        $r = curl(GET => "$base/redirect", '-L');
        like $r->{body}, qr/"QUERY_STRING":"from=redirect"/, 'curl -L follows it to the app' unless $prefix;

        $r = curl(GET => "$base/delayed");
        is $r->{status}, 201, 'delayed response';
        is $r->{body}, 'delayed body', 'delayed body';

        $r = curl(GET => "$base/die");
        is $r->{status}, 502, 'an app that dies → 502';

        my $t = $s->request(GET => "$prefix/stream?n=4&pause=0.4");
        like $t->{body}, qr/\Achunk 1 .*chunk 4 [\d.]+\n\z/s, 'streamed body';
        is_deeply [ sort(ServeHelper::header($t, 'set-cookie')) ], [ 's=1', 't=2' ], 'cookies of a streamed response';
        my @times = map { $_->[0] } @{ $t->{chunks} };
        diag sprintf "$name: /stream chunks at %s (s)", join ', ', map { sprintf '%.3f', $_ } @times;
        if ($name =~ /streaming/) {
            ok @times >= 3 && $times[0] < $times[-1] - 0.8, 'first bytes arrive long before the handler finishes';
        } else {
            ok $t->{elapsed} > 1.1, 'buffered: the whole body at once, after the handler';
        }
        $s->stop;
    };
}

done_testing;
