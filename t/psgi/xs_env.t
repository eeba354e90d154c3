# The PSGI env built in C inside the bootstrap (PerlLambda::Host::_psgi_env, Sources/CPerl/psgi_env.c, used by
# AWS::Lambda::PSGI's _format_input_xs) against the pure-Perl one (_format_input_pp): the same keys, values byte
# for byte, utf8 flags, references, for every event fixture of t/psgi and p5-aws-lambda and a generated corpus
# (header names and cases, multi-value headers, cookies, query strings with reserved and non-ASCII bytes, stage
# prefixes, forwarded headers, missing and odd fields, bodies). Events the C code declines must be declined as a
# whole (undef), and the common ones must not be declined: a test that only ever saw the Perl code would pass.
# Runs inside the bootstrap: `bootstrap --script t/psgi/xs_env.t` (make perl-test; make fuzz-test under ASan).
# XS_ENV_SEED=n, XS_ENV_N=count vary the corpus.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib", "$FindBin::Bin/../../perl/lib";
use Test::More;
use Scalar::Util qw(refaddr reftype blessed);
use PSGIEvents;
use PerlLambdaTest;
use AWS::Lambda::PSGI;

plan skip_all => 'the C env exists only inside the bootstrap (bootstrap --script)' unless defined &PerlLambda::Host::_psgi_env;

my $seed = $ENV{XS_ENV_SEED} // 20261206;
my $count = $ENV{XS_ENV_N} // 3000;
srand $seed;
diag "corpus seed $seed, $count events";

is \&AWS::Lambda::PSGI::format_input, \&AWS::Lambda::PSGI::_format_input_xs, 'format_input is the C-backed one here';

my $psgi = AWS::Lambda::PSGI->new(app => sub { [ 200, [], [] ] });
my $ctx = bless { id => 'req-xs' }, 'XsEnvCtx';
sub XsEnvCtx::aws_request_id { $_[0]{id} }

# one env value as a comparable description: definedness, reference (type and address), bytes, utf8 flag
sub describe {
    my ($v) = @_;
    return 'undef' unless defined $v;
    if (ref \$v eq 'GLOB') { return 'glob ' . *{$v}{NAME} . ' ' . refaddr(*{$v}{IO}) }
    if (ref $v) {
        return 'handle ' . do { local $/; my $pos = tell $v; my $s = readline($v) // ''; seek $v, $pos, 0; unpack 'H*', $s }
            if reftype($v) eq 'GLOB';
        return 'ref ' . reftype($v) . ' ' . (blessed($v) // '') . ' ' . refaddr($v);
    }
    return (utf8::is_utf8($v) ? 'chars ' : 'bytes ') . unpack('H*', do { my $c = $v; utf8::encode($c) if utf8::is_utf8($c); $c });
}

my ($compared, $built, $declined, $failed) = (0, 0, 0, 0);
my %built_kind;
# Compares the env of one event both ways; $must: the C code has to build it (not decline). The Perl env is taken
# before and after the C one: the Perl code's header-name cache changes its path (a name seen before takes the
# fast one), and the C env must equal both. (Where the C code declines, _format_input_xs is the Perl code.)
sub check {
    my ($name, $e, $must) = @_;
    my $pp1 = eval { $psgi->_format_input_pp($e, $ctx) };
    my $pp_err = $@;
    my $c = PerlLambda::Host::_psgi_env($e, [1, 1], undef, undef);
    my $xs = eval { $psgi->_format_input_xs($e, $ctx) };
    my $xs_err = $@;
    my $pp2 = eval { $psgi->_format_input_pp($e, $ctx) };
    $compared++;
    if (defined $c) { $built++; $built_kind{ $c->{'aws.lambda.event_type'} }++ } else { $declined++ }
    if ($must && !defined $c) { $failed++; fail "$name: built in C"; return }
    if (($xs_err // '') ne ($pp_err // '')) { $failed++; is $xs_err, $pp_err, "$name: same error"; return }
    return if $pp_err || !defined $c;
    for my $pp ($pp1, $pp2) {
        my %keys = map { $_ => 1 } keys %$xs, keys %$pp;
        my @diff = grep { !exists $xs->{$_} || !exists $pp->{$_} || describe($xs->{$_}) ne describe($pp->{$_}) } sort keys %keys;
        next if !@diff;
        $failed++;
        fail "$name: the C env differs from the Perl one";
        diag sprintf "  %s: C %s, Perl %s", $_, exists $xs->{$_} ? describe($xs->{$_}) : '(absent)',
            exists $pp->{$_} ? describe($pp->{$_}) : '(absent)' for @diff;
        diag '  event: ' . PSGIEvents::_pp()->encode(strip($e));
        return;
    }
}
sub strip { my ($e) = @_; ref $e eq 'HASH' ? { map { $_ => strip($e->{$_}) } keys %$e } : ref $e eq 'ARRAY' ? [ map { strip($_) } @$e ] : ref $e ? "$e" : $e }

# ---- fixtures: p5-aws-lambda's test data and t/psgi's event builder ----
my $lib = PerlLambdaTest::aws_lambda_lib();
my $mirror = $ENV{P5_AWS_LAMBDA_MIRROR} // '/work/.mirror/shogo82148+p5-aws-lambda/repo';
my @fixtures = -d $mirror ? grep { /\.json$/ } split /\n/, `git -C '$mirror' ls-tree --name-only HEAD t/testdata/ 2>/dev/null` : ();
for my $f (@fixtures) {
    my $e = PSGIEvents::json_decode(scalar `git -C '$mirror' show HEAD:$f`);
    my $kind = $f =~ /alb/ ? 'alb' : $f =~ /apigateway-(?!v2)/ ? 'v1' : 'v2';
    check($f, $e, 1);
}
my @requests = (
    [ path => '/echo/caf%C3%A9/a%20b%2Fc', query => 'q=a%26b%3Dc&q=%E2%9C%93&empty=&sp=x%20y' ],
    [ method => 'POST', path => '/echo', body => qq({"name":"\xE2\x9C\x93"}), content_type => 'application/json' ],
    [ method => 'PUT', path => '/up', body => "\x00\xFF\x10", content_type => 'image/png' ],
    [ method => 'HEAD', path => '/', headers => [ Cookie => 'a=1', Cookie => 'b=2' ] ],
    [ path => '/a+b/%7E', query => 'a+b=c+d&x=%2B&y=%25&z', headers => [ 'X-Forwarded-For' => '10.0.0.1, 10.0.0.2' ] ],
);
for my $type (@PSGIEvents::TYPES) {
    for my $i (0 .. $#requests) {
        my $e = PSGIEvents::event($type, @{ $requests[$i] });
        check("PSGIEvents $type #$i", $e, $type =~ /^(?:v1|alb|alb-multi)$/ || ($type eq 'v2' && $i > 0));
        check("PSGIEvents $type #$i (JSON round trip)", PSGIEvents::json_decode(PSGIEvents::json_encode($e)),
              $type =~ /^(?:v1|alb|alb-multi)$/);
    }
}

# ---- generated corpus ----
sub pick { $_[ int rand @_ ] }
my @NAME = qw(Host host HOST User-Agent user-agent Accept X-Forwarded-For x-forwarded-for X-Forwarded-Proto
              x-forwarded-proto X-Forwarded-Port Cookie cookie COOKIE Content-Type content-type Content-Length
              X-Amzn-Trace-Id x_a X-A x-a X-Request-Id Accept-Language);
sub rand_name { rand() < 0.7 ? pick(@NAME) : join '', map { pick('a' .. 'z', 'A' .. 'Z', '-', '_', '0' .. '9') } 1 .. 1 + int rand 12 }
my @PIECE = ('a', 'Z', '9', ' ', '+', '%', '%20', '%2B', '%zz', '%4', '&', '=', '?', '#', '/', ';', ',', '~', "'", '"',
             '<', "\t", '[', '!', '$', '@', ':', '*', '(', "\xE9", "caf\xC3\xA9", "\x{2713}", "\x{E9}", '.', '-', '_');
sub rand_str {
    my ($max) = @_;
    my $s = join '', map { pick(@PIECE) } 1 .. int rand($max // 6);
    return $s;
}
sub ascii_value { my @c = ('a' .. 'z', '0' .. '9', ' ', ',', ';', '=', '/', '.', ':', "\t"); join '', map { pick(@c) } 0 .. int rand 10 }
sub header_value {
    my ($name) = @_;
    my $lc = lc $name;
    return pick('https', 'http', 'HTTPS', 'Http', 'ftp', 'httpx', '') if $lc eq 'x-forwarded-proto';
    return pick('example.test', 'example.test:8443', 'h:', 'h:x1', '[::1]:80', 'a:b:9', '') if $lc eq 'host';
    return pick('443', '8080', '') if $lc eq 'x-forwarded-port';
    return pick('1.2.3.4', '1.2.3.4, 5.6.7.8', '1.1.1.1,2.2.2.2', ' 9.9.9.9 ,', "a\tb", ',', '', 'x, y , ', "1.1.1.1\n") if $lc eq 'x-forwarded-for';
    my $r = rand;
    return undef if $r < 0.03;
    return "caf\xC3\xA9" if $r < 0.06;
    return "\x{2713}" if $r < 0.08;
    return 42 if $r < 0.09;
    if ($r < 0.11) { my $s = ascii_value(); utf8::upgrade($s); return $s }
    return ascii_value();
}
sub gen_event {
    my $kind = pick('v1', 'v1', 'alb', 'alb-multi', 'v2');
    my %e;
    my $method = pick('GET', 'POST', 'HEAD', 'DELETE', undef);
    $e{httpMethod} = $method if defined $method || rand() < 0.5;
    my $path = pick('/', '', '/a/b', '/caf%C3%A9', "/caf\xC3\xA9", "/\x{2713}/x", '/a%20b', '/a b', '/%2', '/x/', undef, '/' . rand_str(5));
    $e{path} = $path if defined $path || rand() < 0.5;
    my %rc;
    if ($kind eq 'v2') {
        $e{version} = '2.0' if rand() < 0.8;
        my $raw = pick('/', '/a/b', '/prod', '/prod/x', '/prod\n', '//x', '/a%20b', '/a b', '/caf%C3%A9', "/caf\xC3\xA9", '/%zz', '/50%', "/\x{2713}", '', undef);
        $e{rawPath} = $raw if defined $raw || rand() < 0.3;
        $e{rawQueryString} = pick('', 'a=1&b=2', 'q=a+b&x=%20', 'x y=1', "k=caf\xC3\xA9", "k=\x{2713}", '%zz', undef) if rand() < 0.8;
        $e{cookies} = pick([], ['a=1'], ['a=1', 'b=2'], ['a=1', undef], [undef], ["c=\xC3\xA9"], 'x', {}) if rand() < 0.5;
        my %http = (method => pick('GET', 'POST', 'HEAD', undef), protocol => pick('HTTP/1.1', undef));
        $http{path} = pick($raw, '/a b', "/caf\xC3\xA9", '/prod/x', '/', undef) if rand() < 0.8;
        $http{sourceIp} = pick('198.51.100.1', '', undef) if rand() < 0.8;
        $rc{http} = \%http if rand() < 0.9 || !$e{version};
        $rc{stage} = pick('prod', '$default', '', undef);
        $rc{domainName} = pick('abc.execute-api.us-east-1.amazonaws.com', 'abc.lambda-url.us-east-1.on.aws', undef);
    }
    elsif (rand() < 0.05) { $e{version} = pick('1.0', 2, '2.') }
    if ($kind =~ /^alb/) { $rc{elb} = pick({ targetGroupArn => 'arn' }, 1, 'x') }
    elsif (rand() < 0.05) { $rc{elb} = pick(0, '', undef) }
    my $stage = pick('prod', 'v1', '$default', '', 'a.b', undef);
    $rc{stage} = $stage if defined $stage;
    if (rand() < 0.8 && $kind eq 'v1') {
        my $p = defined $path ? $path : '/';
        $rc{path} = pick("/$stage$p", "/base/$stage$p", "/$stage/", $p, "/prod", "/$stage" . rand_str(3), "/caf\xC3\xA9$p", "/\x{2713}$p") if defined $stage;
        $rc{path} //= pick("/base$p", $p);
    }
    $rc{identity} = pick({ sourceIp => '192.0.2.1' }, { sourceIp => '' }, {}, undef, 'x') if rand() < 0.7;
    $rc{protocol} = pick('HTTP/1.1', 'HTTP/2.0') if rand() < 0.7;
    $rc{domainName} = pick('abc.execute-api.us-east-1.amazonaws.com', 'api.example.com:8080', 'd') if rand() < 0.5;
    $e{requestContext} = rand() < 0.03 ? pick('x', [], undef) : \%rc;
    # headers
    my (%h, %m);
    for (1 .. int rand 8) {
        my $n = rand_name();
        my @v = map { header_value($n) } 1 .. pick(1, 1, 1, 2, 3, 0);
        $m{$n} = rand() < 0.03 ? pick(undef, 'x', {}) : \@v;
        $h{$n} = $v[-1] if rand() < 0.9;
    }
    $h{ rand_name() } = header_value('x') if rand() < 0.2;    # a name only in headers
    if ($kind eq 'alb') { $e{headers} = \%h if rand() < 0.95 }
    else {
        $e{headers} = \%h if rand() < 0.9;
        $e{multiValueHeaders} = \%m if $kind ne 'v1' || rand() < 0.9;
    }
    $e{headers} = pick([], 'x') if rand() < 0.02;
    # query parameters
    my (%q, %mq);
    for (1 .. int rand 5) {
        my $k = rand() < 0.8 ? pick('a', 'b', 'q', 'x y', 'a+b', 'k%', 'x&y', 'é', "\x{2713}", 'z') : rand_str(4);
        my @v = map { rand() < 0.05 ? undef : rand_str(6) } 1 .. pick(1, 1, 2, 3, 0);
        $mq{$k} = \@v;
        $q{$k} = $v[-1] if @v;
    }
    $q{ pick('only', 'b', '') } = rand_str(3) if rand() < 0.2;
    $e{queryStringParameters} = pick(\%q, \%q, undef, {}) if rand() < 0.9;
    $e{multiValueQueryStringParameters} = pick(\%mq, \%mq, undef, {}) if $kind ne 'alb' && rand() < 0.8;
    # body
    my $b = rand();
    if ($b < 0.15) { $e{body} = PSGIEvents::b64("\x00\x01binary"); $e{isBase64Encoded} = pick(\1, 1, JSON::PP::true()) }
    elsif ($b < 0.3) { $e{body} = pick("text body", "caf\xC3\xA9", "\x{2713}", ''); $e{isBase64Encoded} = pick(\0, 0, undef) }
    elsif ($b < 0.35) { $e{body} = undef }
    return \%e;
}
require JSON::PP;
for my $i (1 .. $count) {
    my $e = gen_event();
    check("corpus #$i", $e, 0);
    check("corpus #$i (JSON round trip)", PSGIEvents::json_decode(PSGIEvents::json_encode($e)), 0) if $i % 4 == 0;
}

# blessed and tied containers are declined, never misread
{
    my $e = PSGIEvents::event('v1', path => '/x');
    bless $e->{headers}, 'Some::Class';
    ok !defined PerlLambda::Host::_psgi_env($e, [1, 1], undef, undef), 'a blessed header map is declined';
    check('blessed headers', $e, 0);
    require Tie::Hash;
    my %tied; tie %tied, 'Tie::StdHash'; %tied = (Host => 'tied.test');
    $e = PSGIEvents::event('alb', path => '/x');
    $e->{headers} = \%tied;
    ok !defined PerlLambda::Host::_psgi_env($e, [1, 1], undef, undef), 'a tied header map is declined';
    check('tied headers', $e, 0);
}

# the streamed response's prelude from C (PerlLambda::Host::_psgi_prelude) against the Perl one (_prelude)
{
    my ($same, $built_p, $n) = (0, 0, $ENV{XS_ENV_N} // 3000);
    my @names = ('Content-Type', 'content-type', 'X-A', 'x-a', 'Set-Cookie', 'set-cookie', 'SET-COOKIE', 'Content-Length', 'X-Long');
    my @values = ('text/plain', 12, 0, -3, '', 'a=1; Path=/', 'say "hi"', "back\\slash", "tab\t", "caf\xC3\xA9", "\x{2713}", 1.5, undef, 'x' x 40);
    for my $i (1 .. $n) {
        my $status = pick(200, '200', 404, '0200', '201 ', 200.5, '2e2', 'abc', -1, undef);
        my @h = map { (pick(@names, 42), pick(@values)) } 1 .. int rand 5;
        push @h, 'X-Odd' if rand() < 0.05;
        my $headers = rand() < 0.05 ? undef : \@h;
        my $c = PerlLambda::Host::_psgi_prelude($status, $headers);
        next unless defined $c;
        $built_p++;
        my $pp = do { no warnings; AWS::Lambda::PSGI::_prelude($status, $headers // []) };
        if ($c eq $pp) { $same++ } else { fail "prelude of $status [@{[ map { $_ // 'undef' } @{ $headers // [] } ]}]"; diag "C    $c\nPerl $pp" }
    }
    my $r = PerlLambda::Host::_psgi_prelude(200, [ 'Content-Type' => 'text/plain', 'Content-Length' => 12, 'Set-Cookie' => 'a=1' ]);
    is $r, qq({"statusCode":200,"headers":{"content-type":"text/plain","content-length":"12"},"cookies":["a=1"]}) . "\0" x 8,
        'the usual prelude from C';
    ok $built_p >= $n / 10, "preludes built in C ($built_p of $n)";
    is $same, $built_p, 'every prelude from C equals the Perl one';
}

# the shared empty psgi.input of requests without a body: an app that closed it gets an open one next time
{
    my $e = PSGIEvents::event('alb', path => '/x');
    delete $e->{body};
    my $env = $psgi->_format_input_xs($e, $ctx);
    is tell($env->{'psgi.input'}), 0, 'an empty psgi.input from C';
    close $env->{'psgi.input'};
    $env = $psgi->_format_input_xs($e, $ctx);
    is tell($env->{'psgi.input'}), 0, 'open again after an app closed it';
    is $env->{CONTENT_LENGTH}, 0, 'CONTENT_LENGTH 0';
    $e->{body} = 'abc';
    $env = $psgi->_format_input_xs($e, $ctx);
    is do { local $/; readline $env->{'psgi.input'} }, 'abc', 'a body through the Perl code';
    is $env->{CONTENT_LENGTH}, 3, 'its CONTENT_LENGTH';
}

diag "built in C: " . join(", ", map { "$_ $built_kind{$_}" } sort keys %built_kind);
ok $built_kind{v1} && $built_kind{alb} && $built_kind{v2}, "REST, ALB and HTTP API events built in C";
cmp_ok $built, '>=', $compared / 3, "a third or more of the events built in C ($built of $compared; $declined declined)";
is $failed, 0, "no difference between the C and the Perl env over $compared events";
done_testing;
