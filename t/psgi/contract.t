# The contract of p5-aws-lambda's AWS::Lambda::PSGI that apps and their tests were written against, asserted
# on ours: the env format_input makes of each front door's GET, POST and base64 POST; format_output's exact
# result (isBase64Encoded as \1/\0, not boolean objects); REST query parameters with '+' kept; the request id;
# the streamed prelude and body. Where ours deliberately differs (REQUEST_URI carries the REST stage; a Function
# URL's REQUEST_URI stays percent-encoded; psgi.streaming is offered in buffered mode too) the test says so.
# Runs under plain perl and inside the bootstrap (`bootstrap --script`).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../../perl/lib";
use Test::More;
use PSGIEvents;
use AWS::Lambda::PSGI;
use AWS::Lambda::Context;

my $psgi = AWS::Lambda::PSGI->new;
my $check = "\xE2\x9C\x93";                          # U+2713 as UTF-8 bytes
my $json_bytes = qq({"greeting":"caf\xC3\xA9 $check"});    # a UTF-8 JSON body, as bytes
my $json_chars = PSGIEvents::chars($json_bytes);    # the same as the event carries it (characters)

# Events shaped as each front door sends them (only what the assertions need, plus realistic noise).
sub rest {
    my (%o) = @_;
    return { resource => '/{proxy+}', path => $o{path} // '/', httpMethod => $o{method} // 'GET',
             headers => { Accept => '*/*', Host => 'abc.execute-api.us-east-1.amazonaws.com', %{ $o{single} // {} } },
             multiValueHeaders => { Accept => ['*/*'], Host => ['abc.execute-api.us-east-1.amazonaws.com'], %{ $o{multi} // {} } },
             queryStringParameters => $o{query1}, multiValueQueryStringParameters => $o{query},
             requestContext => { path => '/prod' . ($o{path} // '/'), stage => 'prod', protocol => 'HTTP/1.1',
                                 identity => { sourceIp => '198.51.100.4' }, requestId => 'r' },
             body => $o{body}, isBase64Encoded => $o{b64} ? PSGIEvents::json_decode('true') : PSGIEvents::json_decode('false') };
}
sub http_api {
    my (%o) = @_;
    my $url = $o{url};
    return { version => '2.0', routeKey => '$default', rawPath => $o{raw_path} // $o{path} // '/',
             rawQueryString => $o{query} // '', headers => { accept => '*/*', header1 => 'value1,value2', %{ $o{headers} // {} } },
             requestContext => { http => { method => $o{method} // 'GET', path => $o{path} // '/', protocol => 'HTTP/1.1',
                                           sourceIp => '198.51.100.4' },
                                 domainName => $url ? 'abc.lambda-url.us-east-1.on.aws' : 'abc.execute-api.us-east-1.amazonaws.com',
                                 stage => '$default' },
             (defined $o{body} ? (body => $o{body}) : ()), isBase64Encoded => $o{b64} ? \1 : \0 };
}
sub alb {
    my (%o) = @_;
    return { requestContext => { elb => { targetGroupArn => 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/1' } },
             httpMethod => $o{method} // 'GET', path => $o{path} // '/', multiValueQueryStringParameters => $o{query} // {},
             multiValueHeaders => { accept => ['*/*'], 'x-forwarded-proto' => ['https'], %{ $o{multi} // {} } },
             body => $o{body} // '', isBase64Encoded => $o{b64} ? \1 : \0 };
}

sub input_of { my $in = $_[0]{'psgi.input'}; my $data = ''; while ($in->read(my $buf, 4096)) { $data .= $buf } $data }

# view(env) → the fields every case checks
sub check_env {
    my ($name, $env, %want) = @_;
    subtest $name => sub {
        my @warnings;
        local $SIG{__WARN__} = sub { push @warnings, @_ };
        is input_of($env), $want{body} // '', 'body (bytes)';
        is $env->{CONTENT_LENGTH}, length($want{body} // ''), 'CONTENT_LENGTH';
        is_deeply \@warnings, [], 'reading psgi.input warns nothing';
        is $env->{$_}, $want{$_}, $_ for grep { /^[A-Z_]+$/ } sort keys %want;
        ok $env->{'psgi.streaming'}, 'psgi.streaming offered (deliberate: AWS::Lambda offers it only when streaming)';
    };
}

check_env 'REST GET: encoded path, repeated parameter and header', $psgi->format_input(rest(
        path => '/foo%20/bar', query1 => { query => 'fuga' }, query => { query => [ 'hoge', 'fuga' ] },
        single => { 'Header-Name' => 'Value2' }, multi => { 'Header-Name' => [ 'Value1', 'Value2' ] })),
    REQUEST_METHOD => 'GET', PATH_INFO => '/foo /bar', QUERY_STRING => 'query=hoge&query=fuga', SCRIPT_NAME => '/prod',
    # deliberate: AWS::Lambda gives '/foo%20/bar?query=hoge&query=fuga', without the stage
    REQUEST_URI => '/prod/foo%20/bar?query=hoge&query=fuga', HTTP_HEADER_NAME => 'Value1, Value2';
check_env 'REST POST: JSON with non-ASCII characters', $psgi->format_input(rest(
        method => 'POST', body => $json_chars, single => { 'Content-Type' => 'application/json' },
        multi => { 'Content-Type' => ['application/json'] })),
    REQUEST_METHOD => 'POST', CONTENT_TYPE => 'application/json', body => $json_bytes, PATH_INFO => '/', QUERY_STRING => '',
    REQUEST_URI => '/prod/';    # deliberate: AWS::Lambda gives '/'
check_env 'REST POST: base64 body', $psgi->format_input(rest(
        method => 'POST', body => PSGIEvents::b64('{"hello":"world"}'), b64 => 1,
        single => { 'Content-Type' => 'application/octet-stream' }, multi => { 'Content-Type' => ['application/octet-stream'] })),
    REQUEST_METHOD => 'POST', CONTENT_TYPE => 'application/octet-stream', body => '{"hello":"world"}', PATH_INFO => '/';

check_env 'HTTP API GET', $psgi->format_input(http_api(path => '/my/path', query => 'parameter1=value1&parameter1=value2&parameter2=value')),
    REQUEST_METHOD => 'GET', PATH_INFO => '/my/path', QUERY_STRING => 'parameter1=value1&parameter1=value2&parameter2=value',
    REQUEST_URI => '/my/path?parameter1=value1&parameter1=value2&parameter2=value', HTTP_HEADER1 => 'value1,value2', SCRIPT_NAME => '';
check_env 'HTTP API POST: JSON with non-ASCII characters', $psgi->format_input(http_api(
        method => 'POST', path => '/my/path', body => $json_chars, headers => { 'content-type' => 'application/json' })),
    REQUEST_METHOD => 'POST', body => $json_bytes, PATH_INFO => '/my/path', REQUEST_URI => '/my/path', QUERY_STRING => '';
check_env 'HTTP API POST: base64 body', $psgi->format_input(http_api(
        method => 'POST', path => '/my/path', body => PSGIEvents::b64('{"hello":"world"}'), b64 => 1)),
    REQUEST_METHOD => 'POST', body => '{"hello":"world"}', PATH_INFO => '/my/path', REQUEST_URI => '/my/path';

check_env 'ALB GET: repeated parameter and header', $psgi->format_input(alb(
        path => '/foo/bar', query => { query => [ 'hoge', 'fuga' ] }, multi => { 'header-name' => [ 'Value1', 'Value2' ] })),
    REQUEST_METHOD => 'GET', PATH_INFO => '/foo/bar', QUERY_STRING => 'query=hoge&query=fuga',
    REQUEST_URI => '/foo/bar?query=hoge&query=fuga', HTTP_HEADER_NAME => 'Value1, Value2';
check_env 'ALB POST: JSON with non-ASCII characters', $psgi->format_input(alb(
        method => 'POST', body => $json_chars, multi => { 'content-type' => ['application/json'] })),
    REQUEST_METHOD => 'POST', CONTENT_TYPE => 'application/json', body => $json_bytes, PATH_INFO => '/', REQUEST_URI => '/';
check_env 'ALB POST: base64 body', $psgi->format_input(alb(
        method => 'POST', path => '/foo/bar', body => PSGIEvents::b64('{"hello":"world"}'), b64 => 1,
        multi => { 'content-type' => ['application/octet-stream'] })),
    REQUEST_METHOD => 'POST', CONTENT_TYPE => 'application/octet-stream', body => '{"hello":"world"}', REQUEST_URI => '/foo/bar';

check_env 'Function URL GET: rawPath comes decoded', $psgi->format_input(http_api(
        url => 1, path => '/foo /bar', query => 'parameter1=value1&parameter1=value2&parameter2=value')),
    REQUEST_METHOD => 'GET', PATH_INFO => '/foo /bar', QUERY_STRING => 'parameter1=value1&parameter1=value2&parameter2=value',
    # deliberate: AWS::Lambda gives '/foo /bar?...', which is not a URI
    REQUEST_URI => '/foo%20/bar?parameter1=value1&parameter1=value2&parameter2=value', HTTP_HEADER1 => 'value1,value2';
check_env 'Function URL POST: base64 body', $psgi->format_input(http_api(
        url => 1, method => 'POST', path => '/my/path', body => PSGIEvents::b64('{"hello":"world"}'), b64 => 1,
        headers => { 'content-type' => 'application/octet-stream' })),
    REQUEST_METHOD => 'POST', CONTENT_TYPE => 'application/octet-stream', body => '{"hello":"world"}', REQUEST_URI => '/my/path';

subtest 'REST query parameters: + stays +, what changes the structure is encoded' => sub {
    my $env = $psgi->format_input(rest(path => '/foo%20/bar', query1 => { 'gif+ref+' => '' }, query => { 'gif+ref+' => [''] }));
    is $env->{QUERY_STRING}, 'gif+ref+=', 'QUERY_STRING as API Gateway passed it (the app decodes + as a space)';
    is $env->{REQUEST_URI}, '/prod/foo%20/bar?gif+ref+=', 'REQUEST_URI';
    is_deeply [ PSGIEvents::query_pairs($env->{QUERY_STRING}) ], [ [ 'gif ref ', '' ] ], 'form-decoded: spaces';
    my %q = ('a&b' => ['c=d'], 'h#' => ['100%'], sp => ['x y'], ctl => ["\t\x7F"], u => [ PSGIEvents::chars($check) ],
             'k/?:@' => ["!\$'()*,;+~"], latin => [ PSGIEvents::chars("caf\xC3\xA9") ]);
    $env = $psgi->format_input(rest(query => \%q));
    is $env->{QUERY_STRING}, 'a%26b=c%3Dd&ctl=%09%7F&h%23=100%25&k/?:@=!$\'()*,;+~&latin=caf%C3%A9&sp=x%20y&u=%E2%9C%93',
        "'&', '=', '#', '%', space, controls and non-ASCII (as UTF-8) encoded; the rest as passed";
    is_deeply { map { @$_ } PSGIEvents::query_pairs($env->{QUERY_STRING}) },
              { 'a&b' => 'c=d', 'h#' => '100%', sp => 'x y', ctl => "\t\x7F", u => $check, 'k/?:@' => "!\$'()*,; ~", latin => "caf\xC3\xA9" },
        'each parameter decodes to itself (+ to a space, as sent)';
    $env = $psgi->format_input(rest(query1 => { only => 'single', both => 'last' }, query => { both => [ 'first', 'last' ] }));
    is $env->{QUERY_STRING}, 'both=first&both=last&only=single', 'multi-value parameters win; single-only ones kept';
};

subtest 'request id from the context' => sub {
    my $ctx = AWS::Lambda::Context->new(deadline_ms => 1000, aws_request_id => '8476a536-e9f4-11e8-9739-2dfe598c3fcd',
                                        invoked_function_arn => 'arn:aws:lambda:us-east-2:123456789012:function:f');
    my $env = $psgi->format_input(rest(path => '/foo'), $ctx);
    is $env->{'psgix.request_id'}, '8476a536-e9f4-11e8-9739-2dfe598c3fcd', 'psgix.request_id';
    is $env->{HTTP_X_REQUEST_ID}, '8476a536-e9f4-11e8-9739-2dfe598c3fcd', 'X-Request-Id header';
};

# format_output without an env: the REST/ALB multi-value shape, exactly
sub output_is {
    my ($name, $response, $want) = @_;
    subtest $name => sub {
        my $res = $psgi->format_output($response);
        is ref $res->{isBase64Encoded}, 'SCALAR', 'isBase64Encoded is \1 or \0 (as JSON::Types::bool), not an object';
        is_deeply $res, $want, 'result' or diag explain $res;
        is PSGIEvents::json_encode($res->{isBase64Encoded}), ${ $want->{isBase64Encoded} } ? 'true' : 'false', 'encodes as a JSON boolean';
    };
}
output_is 'text response: last header value, all values, UTF-8 body as characters',
    [ 200, [ 'Content-Type' => 'text/plain', 'Header-Name' => 'value1', 'header-name' => 'value2' ], [ 'Hello', 'World', $check ] ],
    { isBase64Encoded => \0, statusCode => 200, body => 'HelloWorld' . PSGIEvents::chars($check),
      headers => { 'content-type' => 'text/plain', 'header-name' => 'value2' },
      multiValueHeaders => { 'content-type' => ['text/plain'], 'header-name' => [ 'value1', 'value2' ] } };
output_is 'binary response: base64',
    [ 200, [ 'Content-Type' => 'application/octet-stream' ], [ '{"hello":"world"}' ] ],
    { isBase64Encoded => \1, statusCode => 200, body => 'eyJoZWxsbyI6IndvcmxkIn0=',
      headers => { 'content-type' => 'application/octet-stream' }, multiValueHeaders => { 'content-type' => ['application/octet-stream'] } };
open my $fh, '<', \'HelloWorld' or die;
output_is 'filehandle body',
    [ 200, [ 'Content-Type' => 'text/plain' ], $fh ],
    { isBase64Encoded => \0, statusCode => 200, body => 'HelloWorld',
      headers => { 'content-type' => 'text/plain' }, multiValueHeaders => { 'content-type' => ['text/plain'] } };
output_is 'text that is not UTF-8 (EUC-JP): base64',
    [ 200, [ 'Content-Type' => 'text/plain' ], [ "\xC8\xFE\xC6\xFD" ] ],
    { isBase64Encoded => \1, statusCode => 200, body => 'yP7G/Q==',
      headers => { 'content-type' => 'text/plain' }, multiValueHeaders => { 'content-type' => ['text/plain'] } };

# streaming: the runtime's writer here is a filehandle on a scalar (an IO::Handle's write, as AWS::Lambda's tests use)
sub streamed {
    my ($response) = @_;
    my ($type, $buf) = (undef, '');
    $psgi->_handle_response_stream($response)->(sub { $type = shift; open my $w, '>', \$buf or die; return $w });
    my ($prelude, $body) = split /\0{8}/, $buf, 2;
    return ($type, PSGIEvents::json_decode($prelude), $body);
}
my $want_prelude = { statusCode => 200, headers => { 'content-type' => 'text/plain' }, cookies => [] };
for my $case ([ 'array body' => [ 200, [ 'Content-Type' => 'text/plain' ], ['hello'] ] ],
              [ 'filehandle body' => do { open my $h, '<', \'hello' or die; [ 200, [ 'Content-Type' => 'text/plain' ], $h ] } ],
              [ 'delayed response with a writer' => sub {
                    my $w = $_[0]->([ 200, [ 'Content-Type' => 'text/plain' ] ]);
                    $w->write('hel'); $w->write('lo'); $w->close } ]) {
    subtest "streamed: $case->[0]" => sub {
        my ($type, $prelude, $body) = streamed($case->[1]);
        is $type, 'application/vnd.awslambda.http-integration-response', 'content type';
        is_deeply $prelude, $want_prelude, 'prelude';
        is $body, 'hello', 'body';
    };
}

done_testing;
