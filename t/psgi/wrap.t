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
    ok !$res->{isBase64Encoded}, 'isBase64Encoded is a false boolean in Perl';
    $res = AWS::Lambda::PSGI->new->format_output([ 200, [ 'Content-Type' => 'text/plain' ], [ "\xC8\xFE\xC6\xFD" ] ]);
    ok $res->{isBase64Encoded}, 'text that is not UTF-8 goes base64';
    is $res->{body}, 'yP7G/Q==', 'base64 body';
};

subtest 'pure-Perl base64 fallback' => sub {
    for my $s ('', 'a', 'ab', 'abc', 'abcd', join('', map { chr } 0 .. 255) x 3) {
        my $enc = AWS::Lambda::PSGI::_encode_base64($s);
        is $enc, PSGIEvents::b64($s), 'MIME::Base64 agrees (' . length($s) . ')';
    }
    no warnings 'redefine';
    local *MIME::Base64::encode_base64;
    local $INC{'MIME/Base64.pm'};
    delete $INC{'MIME/Base64.pm'};
    local @INC = (sub { die "no MIME::Base64 here\n" if $_[1] eq 'MIME/Base64.pm'; return });
    for my $s ('', 'a', 'ab', 'abc', 'abcd', join('', map { chr } 0 .. 255) x 3) {
        my $enc = AWS::Lambda::PSGI::_encode_base64($s);
        is AWS::Lambda::PSGI::_decode_base64($enc), $s, 'round trip without MIME::Base64 (' . length($s) . ')';
    }
};

subtest 'app errors and non-PSGI results' => sub {
    ok !eval { $func->(PSGIEvents::event('v2', path => '/die'), $ctx); 1 }, 'an app that dies fails the invocation';
    like $@, qr/the app died/, 'with its message';
    my $lazy = AWS::Lambda::PSGI->wrap(sub { sub { } });
    ok !eval { $lazy->(PSGIEvents::event('v2'), $ctx); 1 }, 'a delayed response that never responds is an error, not a hang';
    like $@, qr/did not call its responder/, 'message';
};

done_testing;
