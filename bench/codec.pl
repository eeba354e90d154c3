#!/usr/bin/perl
# Benchmark of PerlLambda::JSON against JSON::XS and Cpanel::JSON::XS (when installed).
#   bootstrap --script bench/codec.pl [runs]
#   PERL_LAMBDA_DEV_SO=/path/to/dev.so perl bench/codec.pl [runs]   (codec built as a plain .so)
# Prints the median time per operation and the ratio ours/JSON::XS (target: <= 1.00).
use strict;
use warnings;
BEGIN {
    unless (defined &PerlLambda::JSON::encode_json) {
        my $so = $ENV{PERL_LAMBDA_DEV_SO}
            or die "PerlLambda::JSON is not available: run under `bootstrap --script` or set PERL_LAMBDA_DEV_SO\n";
        require DynaLoader;
        my $lib = DynaLoader::dl_load_file($so, 0) or die DynaLoader::dl_error();
        my $sym = DynaLoader::dl_find_symbol($lib, 'boot_PerlLambdaDev') or die DynaLoader::dl_error();
        DynaLoader::dl_install_xsub('PerlLambdaDev::boot', $sym)->();
    }
}
use Time::HiRes qw(time);

my $RUNS = shift // 21;
no warnings 'once';
my %codecs = (ours => [\&PerlLambda::JSON::encode_json, \&PerlLambda::JSON::decode_json]);
my @order = ('ours');
for my $mod (qw(JSON::XS Cpanel::JSON::XS)) {
    next unless eval "require $mod; 1";
    no strict 'refs';
    $codecs{$mod} = [\&{"${mod}::encode_json"}, \&{"${mod}::decode_json"}];
    push @order, $mod;
}

# ---------------------------------------------------------------- deterministic inputs
srand(20240611);
my @words = qw(alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike
    november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu);
my @intl = ("caf\x{e9}", "na\x{ef}ve", "\x{fc}ber", "\x{65e5}\x{672c}\x{8a9e}", "\x{440}\x{443}\x{441}",
    "\x{1f600} smile", "Z\x{fc}rich", "\x{3b1}\x{3b2}\x{3b3}");
sub word { $words[int rand @words] }
sub text { join ' ', map { rand() < 0.05 ? $intl[int rand @intl] : word() } 1 .. $_[0] }

sub api_gateway_event {
    my %h = (
        'Accept' => 'application/json', 'Accept-Encoding' => 'gzip, deflate, br',
        'Host' => 'abc123def4.execute-api.eu-west-1.amazonaws.com',
        'User-Agent' => 'Mozilla/5.0 (X11; Linux x86_64) curl/8.4.0',
        'X-Amzn-Trace-Id' => 'Root=1-65f1c2a3-0123456789abcdef01234567',
        'X-Forwarded-For' => '203.0.113.7', 'X-Forwarded-Port' => '443', 'X-Forwarded-Proto' => 'https',
    );
    return {
        resource => '/items/{id}', path => '/items/42', httpMethod => 'POST',
        headers => \%h,
        multiValueHeaders => { map { $_ => [$h{$_}] } qw(Accept Host X-Forwarded-For) },
        queryStringParameters => { verbose => 'true', limit => '10' },
        multiValueQueryStringParameters => { verbose => ['true'], limit => ['10'] },
        pathParameters => { id => '42' }, stageVariables => undef,
        requestContext => {
            accountId => '123456789012', resourceId => 'a1b2c3', stage => 'prod',
            requestId => 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', requestTimeEpoch => 1718100000123,
            identity => { sourceIp => '203.0.113.7', userAgent => 'curl/8.4.0', cognitoIdentityId => undef,
                accountId => undef, caller => undef, user => undef },
            path => '/prod/items/42', resourcePath => '/items/{id}', httpMethod => 'POST',
            apiId => 'abc123def4', protocol => 'HTTP/1.1',
        },
        body => '{"name":"widget","qty":3,"price":9.99,"tags":["a","b"]}',
        isBase64Encoded => \0,
    };
}

sub big_document {
    my @items;
    my $size = 0;
    my $i = 0;
    while ($size < 5_500_000) {
        my $item = {
            id => $i, uuid => sprintf('%08x-%04x-%04x', int rand 2**32, int rand 65536, int rand 65536),
            name => text(3), description => text(12 + int rand 20),
            price => int(rand 100000) / 100, ratio => rand(), qty => int rand 1000,
            active => ($i % 3 ? \1 : \0), tags => [map { word() } 1 .. 1 + int rand 5],
            scores => [map { int rand 1000 } 1 .. 8], dims => [map { rand(100) } 1 .. 3],
            owner => { login => word() . $i, email => word() . "\@example.com", karma => -500 + int rand 1000 },
            notes => $i % 7 ? undef : "line one\nline \"two\"\ttabbed",
        };
        push @items, $item;
        $size += 420 + length($item->{description}) + length($item->{name});
        $i++;
    }
    return { generated => 'codec benchmark', count => scalar @items, items => \@items };
}

my %inputs = (event => api_gateway_event(), big => big_document());
my %texts = map { $_ => PerlLambda::JSON::encode_json($inputs{$_}) } keys %inputs;

# ---------------------------------------------------------------- timing
sub median { my @s = sort { $a <=> $b } @_; $s[@s / 2] }
# Runs are interleaved across codecs (ours, JSON::XS, Cpanel, ours, ...) so heap and cache state
# affect every codec alike; each run times `reps` calls.
sub bench {
    my ($calls, $reps) = @_; # codec name => [code, arg]
    my %t;
    for my $c (@order) { my ($code, $arg) = @{$calls->{$c}}; $code->($arg) for 1 .. ($reps > 10 ? 50 : 1) } # warm up
    for (1 .. $RUNS) {
        for my $c (@order) {
            my ($code, $arg) = @{$calls->{$c}};
            my $t0 = time;
            $code->($arg) for 1 .. $reps;
            push @{$t{$c}}, (time - $t0) / $reps;
        }
    }
    return { map { $_ => median(@{$t{$_}}) } @order };
}

printf "%-6s %-5s %9s  %s\n", 'input', 'op', 'size', join '  ', map { sprintf '%16s', $_ } @order, 'ours/JSON::XS';
for my $in (qw(event big)) {
    my $reps = $in eq 'event' ? 2000 : 1;
    for my $op (qw(decode encode)) {
        my %r = %{ bench({ map { $_ => $op eq 'decode' ? [$codecs{$_}[1], $texts{$in}] : [$codecs{$_}[0], $inputs{$in}] } @order }, $reps) };
        my $unit = $in eq 'event' ? 1e6 : 1e3;
        printf "%-6s %-5s %9s  %s  %16s\n", $in, $op, length $texts{$in},
            join('  ', map { sprintf '%13.2f %s', $r{$_} * $unit, $in eq 'event' ? 'us' : 'ms' } @order),
            $r{'JSON::XS'} ? sprintf('%.2f', $r{ours} / $r{'JSON::XS'}) : 'n/a';
    }
}
