# AWS::Lambda::PSGI->wrap over every front door's events: encoded query, POST JSON, binary up/down, cookies in
# and out, HEAD, redirects, filehandle and delayed bodies. Runs under plain perl (prove -I perl/lib t/psgi) and
# inside the bootstrap (prove --exec '.build/release/bootstrap --script' t/psgi).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../../perl/lib";
use Test::More;
use PSGIEvents;
use PSGICases;
use AWS::Lambda::PSGI;

my $app = do "$FindBin::Bin/../handlers/psgi_app.psgi" or die "psgi_app.psgi: $@ $!";
my $func = AWS::Lambda::PSGI->wrap($app);
my $ctx = bless { aws_request_id => 'rid-123', deadline_ms => 0 }, 'AWS::Lambda::Context';
{ no strict 'refs'; *{'AWS::Lambda::Context::aws_request_id'} = sub { $_[0]{aws_request_id} } unless defined &AWS::Lambda::Context::aws_request_id }
diag(defined &PerlLambda::JSON::encode_json ? 'inside the bootstrap' : 'plain perl');

sub run {
    my ($type, %r) = @_;
    my $res = $func->(PSGIEvents::json_decode(PSGIEvents::json_encode(PSGIEvents::event($type, %r))), $ctx);
    # the result must survive the runtime's JSON encoding
    $res = PSGIEvents::json_decode(PSGIEvents::json_encode($res));
    return PSGIEvents::response($type, $res);
}

for my $type (@PSGIEvents::TYPES) {
    subtest $type => sub {
        PSGICases::matrix($type, sub { run(@_) }, request_id => 'rid-123', single_cookie_headers => sub {
            my %res = %{ $func->(PSGIEvents::event($type, path => $_[0]), $ctx)->{headers} };
            return map { $res{$_} } sort grep { lc eq 'set-cookie' } keys %res;
        });
    };
}

subtest 'format_output without an event: the AWS::Lambda shape' => sub {
    my $res = AWS::Lambda::PSGI->new->format_output([ 200, [ 'Content-Type' => 'text/plain', 'Header-Name' => 'v1', 'header-name' => 'v2' ],
                                                      [ 'Hello', 'World' ] ]);
    is_deeply PSGIEvents::json_decode(PSGIEvents::json_encode($res)), {
        isBase64Encoded => PSGIEvents::json_decode('false'), statusCode => 200, body => 'HelloWorld',
        headers => { 'content-type' => 'text/plain', 'header-name' => 'v2' },
        multiValueHeaders => { 'content-type' => ['text/plain'], 'header-name' => [ 'v1', 'v2' ] },
    } or diag explain $res;
    is_deeply $res->{isBase64Encoded}, \0, 'isBase64Encoded is \\0 in Perl (as AWS::Lambda returns it)';
    $res = AWS::Lambda::PSGI->new->format_output([ 200, [ 'Content-Type' => 'text/plain' ], [ "\xC8\xFE\xC6\xFD" ] ]);
    is_deeply $res->{isBase64Encoded}, \1, 'text that is not UTF-8 goes base64';
    is $res->{body}, 'yP7G/Q==', 'base64 body';
};

subtest 'pure-Perl base64 fallback' => sub {
    my @cases = ('', 'a', 'ab', 'abc', 'abcd', join('', map { chr } 0 .. 255) x 3);
    for my $s (@cases) {
        is AWS::Lambda::PSGI::_encode_base64_pp($s), PSGIEvents::b64($s), 'the fallback agrees with MIME::Base64 (' . length($s) . ')';
        is AWS::Lambda::PSGI::_decode_base64_pp(PSGIEvents::b64($s)), $s, 'and decodes what it makes (' . length($s) . ')';
    }
    # MIME::Base64 that cannot be loaded: the fallback is chosen (the choice is made once, at the first use)
    no warnings 'redefine';
    local $AWS::Lambda::PSGI::HAVE_MIME_BASE64;
    local *MIME::Base64::encode_base64 = sub { die "MIME::Base64 must not be used\n" };
    local *MIME::Base64::decode_base64 = sub { die "MIME::Base64 must not be used\n" };
    local $INC{'MIME/Base64.pm'};
    delete $INC{'MIME/Base64.pm'};
    local @INC = (sub { die "no MIME::Base64 here\n" if $_[1] eq 'MIME/Base64.pm'; return }, @INC);
    for my $s (@cases) {
        is AWS::Lambda::PSGI::_decode_base64(AWS::Lambda::PSGI::_encode_base64($s)), $s, 'round trip without MIME::Base64 (' . length($s) . ')';
    }
    is $AWS::Lambda::PSGI::HAVE_MIME_BASE64, 0, 'MIME::Base64 was found missing';
};

subtest 'env details the fast paths must keep' => sub {
    my $p = AWS::Lambda::PSGI->new;
    my $u = PSGIEvents::chars("caf\xC3\xA9");
    # non-ASCII header values (characters in the event) become UTF-8 bytes, in every header map
    my $env = $p->format_input({ version => '2.0', rawPath => '/', requestContext => { http => { method => 'GET', path => '/' } },
                                 headers => { 'x-name' => $u, 'x-plain' => 'a' } });
    is $env->{HTTP_X_NAME}, "caf\xC3\xA9", 'v2 header as bytes';
    is $env->{HTTP_X_PLAIN}, 'a', 'v2 ASCII header';
    $env = $p->format_input({ httpMethod => 'GET', path => '/', headers => { 'X-Single' => $u, 'X-Both' => 'one' },
                              multiValueHeaders => { 'X-Both' => [ 'one', $u ], 'X-Multi' => [$u], Cookie => [ 'a=1', 'b=2' ] } });
    is $env->{HTTP_X_SINGLE}, "caf\xC3\xA9", 'a name only in headers is kept, as bytes';
    is $env->{HTTP_X_BOTH}, "one, caf\xC3\xA9", 'multiValueHeaders win, joined, as bytes';
    is $env->{HTTP_X_MULTI}, "caf\xC3\xA9", 'single multi value as bytes';
    is $env->{HTTP_COOKIE}, 'a=1; b=2', 'cookies joined as a Cookie header';
    $env = $p->format_input({ httpMethod => 'GET', path => '/', multiValueHeaders => {
        'X-Empty' => [], 'X-Null' => [undef], 'X-Str' => 'plain', 'X-Mixed' => [ 'a', undef, 'b' ], 'X-One' => ['one'] } });
    is_deeply [ map { exists $env->{$_} ? $env->{$_} : 'absent' } qw(HTTP_X_EMPTY HTTP_X_NULL HTTP_X_STR HTTP_X_MIXED HTTP_X_ONE) ],
              [ 'absent', 'absent', 'plain', 'a, b', 'one' ], 'multi-value maps with empty, null and plain values';
    $env = $p->format_input({ httpMethod => 'GET', path => '/', multiValueHeaders => { cookie => [ 'a=1', 'b=2' ], 'x-y' => [ 'c', 'd' ] } });
    is_deeply [ @$env{qw(HTTP_COOKIE HTTP_X_Y)} ], [ 'a=1; b=2', 'c, d' ], 'lower-case cookie name (ALB) joined as a Cookie header';
    $env = $p->format_input({ httpMethod => 'GET', path => '/', headers => { 'X-A' => 'single', 'X-B' => 'b' },
                              multiValueHeaders => { 'X-A' => ['multi'], 'X-C' => ['c'] } });
    is_deeply [ @$env{qw(HTTP_X_A HTTP_X_B HTTP_X_C)} ], [ 'multi', 'b', 'c' ], 'the union of both maps (same count, other names)';
    # the event is left as it was (no key vivified by the slices over its maps)
    for my $ev ({ httpMethod => 'GET', path => '/', headers => { 'X-A' => 'single', 'X-B' => 'b' },
                  multiValueHeaders => { 'X-A' => ['multi'], 'X-C' => ['c'], Cookie => [ 'a=1', 'b=2' ] },
                  queryStringParameters => { s => 'x' }, multiValueQueryStringParameters => { m => [ 1, 2 ] } },
                map { PSGIEvents::event($_, path => '/a%20b', query => 'q=1&q=2', headers => [ Cookie => 'x=1' ]) } @PSGIEvents::TYPES) {
        my $before = PSGIEvents::json_encode($ev);
        $p->format_input($ev);
        AWS::Lambda::PSGI->wrap(sub { [ 200, [], ['ok'] ] })->($ev);
        is_deeply PSGIEvents::json_decode(PSGIEvents::json_encode($ev)), PSGIEvents::json_decode($before), 'event unchanged';
    }
    # ALB: REMOTE_ADDR is the last X-Forwarded-For address
    for my $case ([ '192.0.2.9' => '192.0.2.9' ], [ '198.51.100.1, 192.0.2.9' => '192.0.2.9' ], [ '198.51.100.1,192.0.2.9 ' => '192.0.2.9' ],
                  [ '192.0.2.9, ' => '192.0.2.9' ], [ '' => '127.0.0.1' ]) {
        $env = $p->format_input({ requestContext => { elb => {} }, httpMethod => 'GET', path => '/',
                                  headers => { 'x-forwarded-for' => $case->[0] } });
        is $env->{REMOTE_ADDR}, $case->[1], "REMOTE_ADDR from X-Forwarded-For '$case->[0]'";
    }
    # the handle of bodiless requests is shared; an app closing or moving it must not break the next request
    my $in = $p->format_input({ httpMethod => 'GET', path => '/' })->{'psgi.input'};
    close $in;
    $in = $p->format_input({ httpMethod => 'GET', path => '/' })->{'psgi.input'};
    is $in->read(my $buf, 10), 0, 'an empty body reads as empty after an app closed the handle';
    ok eof($in), 'at its end';
    $in = $p->format_input({ httpMethod => 'POST', path => '/', body => 'data' })->{'psgi.input'};
    is do { local $/; <$in> }, 'data', 'a body gets its own handle';
    $in = $p->format_input({ httpMethod => 'GET', path => '/' })->{'psgi.input'};
    is do { local $/; scalar <$in> } // '', '', 'and the next bodiless request is empty again';
};

subtest 'streamed prelude: every header shape' => sub {
    my $stream = AWS::Lambda::PSGI->new(invoke_mode => 'RESPONSE_STREAM');
    my $prelude = sub {
        my ($headers) = @_;
        my $out = '';
        $stream->_handle_response_stream([ 201, $headers, ['body'] ])->(sub { open my $w, '>', \$out or die; $w });
        my ($json, $body) = split /\0{8}/, $out, 2;
        is $body, 'body', 'body after the prelude';
        return PSGIEvents::json_decode($json);
    };
    is_deeply $prelude->([]), { statusCode => 201, headers => {}, cookies => [] }, 'no headers';
    is_deeply $prelude->([ 'Content-Type' => 'text/plain', 'Set-Cookie' => 'a=1', 'X-Num' => 5, 'set-cookie' => 'b=2' ]),
        { statusCode => 201, headers => { 'content-type' => 'text/plain', 'x-num' => '5' }, cookies => [ 'a=1', 'b=2' ] },
        'names lower-cased, numbers as strings, cookies apart';
    is_deeply $prelude->([ 'X-Rep' => 'one', 'x-rep' => 'two', 'Set-Cookie' => 'c=3' ]),
        { statusCode => 201, headers => { 'x-rep' => 'one, two' }, cookies => ['c=3'] }, 'repeated header joined';
    my $u = PSGIEvents::chars("caf\xC3\xA9");
    is_deeply $prelude->([ 'X-Q' => qq(say "hi"\\ \t\x01), 'X-U' => $u, 'Set-Cookie' => qq(n="$u") ]),
        { statusCode => 201, headers => { 'x-q' => qq(say "hi"\\ \t\x01), 'x-u' => $u }, cookies => [qq(n="$u")] },
        'quotes, backslashes, controls and non-ASCII escaped or encoded';
    is_deeply $prelude->([ 'Content-Type' => 'text/plain', 'X-Odd' ]),
        { statusCode => 201, headers => { 'content-type' => 'text/plain' }, cookies => [] }, 'a name without a value is left out';
};

subtest 'call, to_app and subclasses: the same results' => sub {
    my $res_app = sub { [ 200, [ 'Content-Type' => 'text/plain', 'X-Method' => $_[0]{REQUEST_METHOD} ], [ "hi $_[0]{PATH_INFO}" ] ] };
    my $delayed = sub { my $env = shift; sub { $_[0]->($res_app->($env)) } };
    my $streamed = sub {
        my ($code) = @_;
        my $out = '';
        $code->(sub { open my $w, '>', \$out or die; $w });
        return $out;
    };
    for my $type (@PSGIEvents::TYPES) {
        for my $method (qw(GET HEAD)) {
            my $event = PSGIEvents::event($type, method => $method, path => '/p');
            for my $app ($res_app, $delayed) {
                my $what = "$type $method " . ($app == $res_app ? 'array' : 'delayed');
                my $p = AWS::Lambda::PSGI->new(app => $app);
                is_deeply $p->to_app->($event, $ctx), $p->call($event, $ctx), "buffered, to_app and call: $what";
                my $s = AWS::Lambda::PSGI->new(app => $app, invoke_mode => 'RESPONSE_STREAM');
                my $out = $streamed->($s->to_app->($event, $ctx));
                is $out, $streamed->($s->call($event, $ctx)), "streamed, to_app and call: $what";
                like $out, $method eq 'HEAD' ? qr/\0{8}\z/ : qr{\0{8}hi /p\z}, "streamed body: $what";
            }
        }
    }
    {
        package My::PSGI::Call;
        our @ISA = ('AWS::Lambda::PSGI');
        sub call { my $self = shift; my $res = $self->SUPER::call(@_); $res->{headers}{'x-sub'} = 'call'; $res }
        package My::PSGI::Input;
        our @ISA = ('AWS::Lambda::PSGI');
        sub format_input { my $env = shift->SUPER::format_input(@_); $env->{PATH_INFO} = '/sub'; $env }
    }
    my $event = PSGIEvents::event('v2', path => '/p');
    is(My::PSGI::Call->wrap($res_app)->($event, $ctx)->{headers}{'x-sub'}, 'call', 'a subclass overriding call is called by to_app');
    is(My::PSGI::Input->wrap($res_app)->($event, $ctx)->{body}, 'hi /sub', 'a subclass overriding format_input is called');
};

subtest 'text or base64 by Content-Type (answers cached per value)' => sub {
    my $p = AWS::Lambda::PSGI->new;
    my %types = ('text/plain' => 0, 'Text/HTML; charset=utf-8' => 0, 'application/json' => 0, 'application/problem+json' => 0,
                 'application/xml' => 0, 'image/svg+xml' => 0, 'application/javascript' => 0, 'application/x-www-form-urlencoded' => 0,
                 'application/octet-stream' => 1, 'image/png' => 1, 'application/jsonx' => 1, 'application/pdf' => 1);
    for my $round (1, 2) {
        for my $type (sort keys %types) {
            my $res = $p->format_output([ 200, [ 'Content-Type' => $type ], ['{}'] ]);
            is ${ $res->{isBase64Encoded} }, $types{$type}, "$type (round $round)";
        }
    }
    is ${ $p->format_output([ 200, [ 'Content-Type' => 'text/plain', 'Content-Encoding' => 'gzip' ], ['x'] ])->{isBase64Encoded} }, 1,
        'encoded content goes base64';
    is ${ $p->format_output([ 200, [], ['x'] ])->{isBase64Encoded} }, 1, 'no Content-Type: base64';
};

subtest 'app errors and non-PSGI results' => sub {
    ok !eval { $func->(PSGIEvents::event('v2', path => '/die'), $ctx); 1 }, 'an app that dies fails the invocation';
    like $@, qr/the app died/, 'with its message';
    my $lazy = AWS::Lambda::PSGI->wrap(sub { sub { } });
    ok !eval { $lazy->(PSGIEvents::event('v2'), $ctx); 1 }, 'a delayed response that never responds is an error, not a hang';
    like $@, qr/did not call its responder/, 'message';
};

done_testing;
