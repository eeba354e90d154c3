#!/usr/bin/perl
# Tests of the built-in JSON codec PerlLambda::JSON::{encode_json,decode_json}.
#   bootstrap --script t/codec.t
#   PERL_LAMBDA_DEV_SO=/path/to/dev.so prove t/codec.t   (codec built as a plain .so)
use strict;
use warnings;
BEGIN {
    unless (defined &PerlLambda::JSON::encode_json) {
        my $so = $ENV{PERL_LAMBDA_DEV_SO};
        unless ($so) { print "1..0 # SKIP PerlLambda::JSON not available (set PERL_LAMBDA_DEV_SO)\n"; exit 0 }
        require DynaLoader;
        my $lib = DynaLoader::dl_load_file($so, 0) or die DynaLoader::dl_error();
        my $sym = DynaLoader::dl_find_symbol($lib, 'boot_PerlLambdaDev') or die DynaLoader::dl_error();
        DynaLoader::dl_install_xsub('PerlLambdaDev::boot', $sym)->();
    }
}
use Test::More;
use Scalar::Util qw(refaddr reftype blessed);
use B ();

my $SMALL = $ENV{CODEC_TEST_SMALL}; # skip the big payload (e.g. under valgrind)
sub enc { PerlLambda::JSON::encode_json($_[0]) }
sub dec { PerlLambda::JSON::decode_json($_[0]) }
sub enc_err { my $r = eval { enc($_[0]); 1 }; $r ? '' : $@ }
sub dec_err { my $r = eval { dec($_[0]); 1 }; $r ? '' : $@ }
sub flags { my $o = B::svref_2object(\$_[0]); my $f = $o->FLAGS;
    join ',', grep { $f & { IOK => B::SVf_IOK, NOK => B::SVf_NOK, POK => B::SVf_POK }->{$_} } qw(IOK NOK POK) }

# ---------------------------------------------------------------- round trips
{
    my $data = { a => [1, -2, 3.5, 'str', undef, { b => [[], {}, [[[]]]] }], 'k' => { nested => { deep => [1 .. 10] } },
        empty_s => '', zero => 0, unicode => "\x{263a} \x{1f600} caf\x{e9}" };
    is_deeply(dec(enc($data)), $data, 'nested data round trip');
    is_deeply(dec(enc([])), [], 'empty array');
    is_deeply(dec(enc({})), {}, 'empty hash');
    is(enc({ a => 1 }), '{"a":1}', 'single-key hash');
    is(enc([1, 'a', undef]), '[1,"a",null]', 'array');
}

# ---------------------------------------------------------------- scalars (encode type rules)
{
    is(enc(1), '1', 'top-level integer');
    is(enc('1'), '"1"', 'string that looks like a number stays a string');
    is(enc('1.50'), '"1.50"', 'numeric-looking string keeps its text');
    my $n = 42; my $s = "$n";
    is(enc($n), '"42"', 'number used as a string becomes a string (like JSON::XS)');
    my $str = '17'; my $x = $str + 0;
    is(enc($str), '"17"', 'string used as a number stays a string');
    is(enc($x), '17', 'result of arithmetic is a number');
    is(enc(-5), '-5', 'negative IV');
    is(enc(9223372036854775807), '9223372036854775807', 'IV_MAX');
    is(enc(-9223372036854775808), '-9223372036854775808', 'IV_MIN');
    is(enc(18446744073709551615), '18446744073709551615', 'UV_MAX');
    is(enc(0.1), '0.1', '0.1');
    is(enc(1e20), '1e+20', '1e20');
    is(enc(1e300), '1e+300', '1e300');
    is(enc(-1.5e-7), '-1.5e-07', 'small negative NV');
    is(enc(3.0), '3', 'integral NV');
    is(enc(0.1 + 0.2), '0.3', 'NV printed with 15 significant digits');
    is(enc(-0.0), '-0', 'negative zero');
    is(enc(1 / 3), '0.333333333333333', '1/3');
    is(enc(123.45), '123.45', '123.45');
    is(enc(undef), 'null', 'undef -> null');
    srand(42);
    my $bad = 0;
    for (1 .. 20000) {
        my $v = rand() * 10**(int(rand 30) - 8);
        $v = -$v if $_ % 3 == 0;
        $v = int($v * 100) / 100 if $_ % 5 == 0;
        my $want = sprintf '%.15g', $v;
        $bad++ unless enc([$v]) eq "[$want]";
    }
    is($bad, 0, 'NV formatting matches sprintf("%.15g") for 20000 random values');
}

# ---------------------------------------------------------------- scalars (decode)
{
    my $d = dec('[1,-1,0,-0,1.5,-0.0,1e2,1E-2,123456789012345678,9223372036854775807,-9223372036854775808,18446744073709551615,18446744073709551616,-9223372036854775809,1e300,0.1]');
    is($d->[0], 1, 'int');
    is(flags($d->[0]), 'IOK', 'int is an IV');
    is($d->[3], 0, '-0 is integer 0');
    is($d->[4], 1.5, 'fraction');
    is(flags($d->[4]), 'NOK', 'fraction is an NV');
    ok($d->[5] == 0 && sprintf('%g', $d->[5]) eq '-0', '-0.0 is a negative-zero NV');
    is($d->[6], 100, 'exponent');
    is(flags($d->[6]), 'NOK', 'exponent makes an NV');
    is($d->[7], 0.01, 'negative exponent');
    is($d->[8], 123456789012345678, '18-digit integer exact');
    is($d->[9], 9223372036854775807, 'IV_MAX exact');
    is($d->[10], -9223372036854775808, 'IV_MIN exact');
    is($d->[11], 18446744073709551615, 'UV_MAX exact');
    is(flags($d->[12]), 'NOK', 'beyond UV_MAX becomes an NV');
    is($d->[12], 1.84467440737096e+19, 'beyond UV_MAX value');
    is(flags($d->[13]), 'NOK', 'below IV_MIN becomes an NV');
    is($d->[14], 1e300, '1e300');
    is($d->[15], 0.1, '0.1 correctly rounded');
    is(dec('"str"'), 'str', 'top-level string');
    is(dec(' 42 '), 42, 'top-level number with whitespace');
    is(dec("\t\r\n null \n"), undef, 'top-level null');
    is_deeply(dec('{"a":1,"a":2}'), { a => 2 }, 'duplicate keys: last wins');
    is(dec('1.7976931348623157e308'), 1.7976931348623157e308, 'largest double');
    is(dec('5e-324'), 5e-324, 'smallest subnormal');
    is(dec('0.30000000000000004'), 0.1 + 0.2, 'precise parsing');
}

# ---------------------------------------------------------------- booleans
{
    my $d = dec('[true,false,true,false]');
    is(ref $d->[0], 'JSON::PP::Boolean', 'true is a JSON::PP::Boolean');
    is(ref $d->[1], 'JSON::PP::Boolean', 'false is a JSON::PP::Boolean');
    ok($d->[0], 'true is true');
    ok(!$d->[1], 'false is false');
    is($d->[0] + 0, 1, 'true numifies to 1');
    is($d->[1] + 0, 0, 'false numifies to 0');
    is(refaddr($d->[0]), refaddr($d->[2]), 'true is a singleton');
    is(refaddr($d->[1]), refaddr($d->[3]), 'false is a singleton');
    is(refaddr($d->[0]), refaddr($PerlLambda::JSON::true), 'same as $PerlLambda::JSON::true');
    is(refaddr($d->[1]), refaddr($PerlLambda::JSON::false), 'same as $PerlLambda::JSON::false');
    is(refaddr(dec('true')), refaddr($PerlLambda::JSON::true), 'singleton across calls');
    is(enc($d), '[true,false,true,false]', 'decoded booleans encode back');
    is(enc([$PerlLambda::JSON::true, $PerlLambda::JSON::false]), '[true,false]', 'package singletons');
    is(enc([\1, \0]), '[true,false]', '\\1 and \\0');
    # Perl's own booleans are strings to JSON::XS (and so to AWS::Lambda): "1" and "", never true/false.
    my @native = (!!1, !!0, 1 == 1, 1 == 2, defined(1), exists $d->[9], ref('plain'), !1);
    is(enc([@native]), '["1","","1","","1","","",""]', 'native booleans (!, ==, defined, exists, ref) are "1" and ""');
    is(enc({ printed => (print STDERR '') }), '{"printed":"1"}', 'the value of print');
    if ($] >= 5.036) {
        my $r = eval q{ no warnings; use builtin qw(true false); enc([true, false]) };
        is($r, '["1",""]', 'builtin::true / false are "1" and "" as with JSON::XS');
    }
    if (eval { require JSON::XS; 1 }) {
        my $xs = JSON::XS->new->allow_nonref;
        is(enc([@native]), $xs->encode([@native]), 'native booleans byte-identical to JSON::XS');
        is(enc(!!1), $xs->encode(!!1), 'a bare native true as JSON::XS');
        is(enc([\!!1]), $xs->encode([\!!1]), 'a reference to a native true as JSON::XS');
    }
    is(enc([\!!0]), '[false]', 'a reference to a native false is false (JSON::XS refuses it)');
    my $t = do { my $v = 1; bless \$v, 'JSON::PP::Boolean' };
    my $f = do { my $v = 0; bless \$v, 'JSON::PP::Boolean' };
    is(enc([$t, $f]), '[true,false]', 'other JSON::PP::Boolean objects');
    my $ts = do { my $v = 1; bless \$v, 'Types::Serialiser::Boolean' };
    is(enc([$ts]), '[true]', 'Types::Serialiser::Boolean');
    if (eval { require JSON::PP; 1 }) {
        is(enc([JSON::PP::true(), JSON::PP::false()]), '[true,false]', 'JSON::PP booleans');
    }
    like(enc_err(\2), qr/reference to a scalar/, '\\2 is an error');
    like(enc_err(\'abc'), qr/reference to a scalar/, '\\"abc" is an error');
    like(enc_err(\\1), qr/reference to a reference/, 'ref to ref is an error');
}

# ---------------------------------------------------------------- strings and UTF-8
{
    is(enc("caf\x{e9}"), "\"caf\xc3\xa9\"", 'byte string treated as Latin-1 and upgraded');
    my $u = "caf\x{e9}"; utf8::upgrade($u);
    is(enc($u), "\"caf\xc3\xa9\"", 'upgraded string gives the same bytes');
    is(enc("\x{263a}"), "\"\xe2\x98\xba\"", 'character string written as UTF-8');
    is(enc("\x{1f600}"), "\"\xf0\x9f\x98\x80\"", 'astral character');
    ok(!utf8::is_utf8(enc("\x{263a}")), 'output is a byte string');
    is(enc(qq{a"b\\c/d\x{7f}}), q{"a\"b\\\\c/d} . "\x7f\"", 'quote and backslash escaped, / and DEL not');
    is(enc("\b\f\n\r\t\x00\x01\x1f"), '"\b\f\n\r\t\u0000\u0001\u001f"', 'control characters');
    my $d = dec("\"caf\xc3\xa9 \\u00e9 \\u263a \\ud83d\\ude00\"");
    is($d, "caf\x{e9} \x{e9} \x{263a} \x{1f600}", 'UTF-8 and \\u escapes decoded to characters');
    ok(utf8::is_utf8($d), 'non-ASCII string is a character string');
    ok(!utf8::is_utf8(dec('"plain ascii"')), 'ASCII string has no UTF-8 flag');
    is(dec('"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u0000"'), qq{"\\/\b\f\n\r\tA\0}, 'all escapes');
    is(dec('"\\u00E9"'), "\x{e9}", 'uppercase hex');
    my $h = dec("{\"k\xc3\xa9y\":1,\"\\u263a\":2,\"plain\":3}");
    ok(exists $h->{"k\x{e9}y"}, 'Latin-1 range UTF-8 key');
    ok(exists $h->{"\x{263a}"}, 'wide UTF-8 key');
    is(enc({ "\x{263a}" => 1 }), "{\"\xe2\x98\xba\":1}", 'UTF-8 key encoded');
    is(enc({ "k\x{e9}y" => 1 }), "{\"k\xc3\xa9y\":1}", 'Latin-1 key encoded as UTF-8');
    my $long = join '', map { chr(32 + $_ % 90) . ($_ % 97 ? '' : "\x{e9}\n\"\x{263a}") } 1 .. 5000;
    is(dec(enc($long)), $long, 'long mixed string round trip');
    my $bytes = join '', map { chr } 0 .. 255;
    is(dec(enc($bytes)), $bytes, 'all byte values round trip');
    my $wide = join '', map { chr } 0x80 .. 0x7ff, 0x800 .. 0xd7ff, 0xe000 .. 0xfffd;
    is(dec(enc($wide)), $wide, 'BMP round trip');
    is(dec(enc("\x{10ffff}\x{10000}")), "\x{10ffff}\x{10000}", 'astral round trip');
    like(dec_err("\"\xff\""), qr/invalid UTF-8.*offset 1/, 'invalid UTF-8 byte');
    like(dec_err("\"\xc3\""), qr/invalid UTF-8/, 'truncated UTF-8 sequence');
    like(dec_err("\"\xc0\xaf\""), qr/invalid UTF-8/, 'overlong UTF-8');
    like(dec_err("\"\xed\xa0\x80\""), qr/invalid UTF-8/, 'UTF-8 encoded surrogate');
    like(dec_err("\"\xf4\x90\x80\x80\""), qr/invalid UTF-8/, 'above U+10FFFF');
    like(dec_err('"\\ud800"'), qr/lone high surrogate/, 'lone high surrogate');
    like(dec_err('"\\ud800\\u0041"'), qr/lone high surrogate/, 'high surrogate + non-low');
    like(dec_err('"\\udc00"'), qr/lone low surrogate/, 'lone low surrogate');
    like(dec_err('"\\u12"'), qr/\\u escape/, 'short \\u escape');
    like(dec_err('"\\x"'), qr/invalid escape '\\x'/, 'invalid escape');
    like(dec_err(qq{"a\nb"}), qr/control character U\+000A/, 'raw newline in string');
    is(dec("\"\xe2\x98\xba\""), "\x{263a}", 'raw UTF-8 decoded');
    my $chars = "[\"\x{263a}\"]"; # a character string: decode_json wants bytes
    like(dec_err($chars), qr/wide characters/, 'character string input with wide chars is an error');
    my $down = "[\"caf\x{e9}\"]"; utf8::upgrade($down); utf8::encode(my $enc_bytes = "[\"caf\x{e9}\"]");
    is_deeply(dec($enc_bytes), ["caf\x{e9}"], 'UTF-8 bytes in');
    like(enc_err("\x{d800}"), qr/surrogate U\+D800/, 'cannot encode a surrogate');
    {
        no warnings;
        like(enc_err(chr(0x110000)), qr/non-Unicode/, 'cannot encode above U+10FFFF');
    }
}

# ---------------------------------------------------------------- errors
{
    my @bad = (
        ['', qr/empty input/], ['   ', qr/unexpected end of JSON input/],
        ['[1,2', qr/unexpected end of JSON input/], ['[1,]', qr/unexpected character '\]'/],
        ['{"a":1,}', qr/unexpected character '\}'/], ['{"a" 1}', qr/expected ':'/],
        ['{a:1}', qr/unexpected character 'a'/], ['[1 2]', qr/expected ',' or '\]'/],
        ['tru', qr/unexpected end/], ['nul', qr/unexpected end/], ['trUe', qr/unexpected character 'U'/],
        ['01', qr/leading zeros/], ['-', qr/unexpected end/], ['1.', qr/unexpected end.*decimal point/],
        ['1.e5', qr/unexpected character 'e'/], ['1e', qr/exponent/], ['+1', qr/unexpected character '\+'/],
        ['.5', qr/unexpected character '\.'/], ['NaN', qr/unexpected character 'N'/], ['"abc', qr/unterminated string/],
        ['[1] x', qr/unexpected character 'x' \(expected end of input after the JSON value\)/],
        ['{} {}', qr/end of input after/], ["\xef\xbb\xbf[]", qr/U\+FEFF/], ["[\x01]", qr/U\+0001/],
        ["'a'", qr/unexpected character '''/], ['[1,2,3] // comment', qr/unexpected character '\/'/],
    );
    for my $case (@bad) {
        my ($json, $re) = @$case;
        my $err = dec_err($json);
        like($err, qr/^malformed JSON: /, "error prefix for '$json'");
        like($err, $re, "message for '$json'");
    }
    like(dec_err("[1,\n2,\n  x]"), qr/unexpected character 'x' .*at offset 9 \(line 3, column 3\)/, 'position with line and column');
    like(dec_err("[\"\xc3\xa9\", x]"), qr/at offset 7 \(line 1, column 7\)/, 'column counts characters, offset bytes');
    like(dec_err(undef // ''), qr/empty input/, 'undef input');
    like(dec_err('[' x 10000), qr/JSON nesting exceeds 1024 levels at offset 1024/, '10,000 levels of [');
    like(dec_err('{"a":' x 10000), qr/JSON nesting exceeds 1024 levels/, '10,000 levels of {');
    my $ok = ('[' x 1024) . (']' x 1024);
    is(enc(dec($ok)), $ok, '1024 levels are fine');
    like(dec_err(('[' x 1025) . (']' x 1025)), qr/nesting exceeds 1024/, '1025 levels are not');

    my $cyc = {}; $cyc->{self} = $cyc;
    like(enc_err($cyc), qr/nesting exceeds 1024 levels.*cycl/, 'cyclic structure');
    delete $cyc->{self};
    my $cyca = []; push @$cyca, $cyca;
    like(enc_err($cyca), qr/cycl/, 'cyclic array');
    @$cyca = ();
    like(enc_err(bless {}, 'Foo::Bar'), qr/cannot encode object of class Foo::Bar \(no TO_JSON method\)/, 'object without TO_JSON');
    like(enc_err([sub {1}]), qr/cannot encode a CODE reference/, 'code ref');
    like(enc_err(\*STDOUT), qr/GLOB reference/, 'glob ref');
    like(enc_err(*STDOUT), qr/glob/, 'glob');
    like(enc_err(*STDOUT{IO}), qr/cannot encode object of class IO::File|IO reference/, 'IO handle');
    like(enc_err(qr/x/), qr/class Regexp/, 'regexp');
    like(enc_err(9**9**9), qr/non-finite number \(Inf\)/, 'inf');
    like(enc_err(-9**9**9), qr/non-finite number \(-Inf\)/, '-inf');
    my $nan = 9**9**9 / 9**9**9;
    like(enc_err([$nan]), qr/non-finite number \(NaN\)/, 'nan');
    is(enc({ ok => [1, 2] }), '{"ok":[1,2]}', 'interpreter keeps working after errors');
    is_deeply(dec('{"ok":[1,2]}'), { ok => [1, 2] }, 'decoder keeps working after errors');
    like(eval { &PerlLambda::JSON::encode_json->(1, 2); 1 } ? '' : $@, qr/Usage/, 'wrong arity is a usage error');
}

# ---------------------------------------------------------------- TO_JSON, magic
{
    package My::Point; sub new { bless { x => $_[1], y => $_[2] }, $_[0] } sub TO_JSON { { x => $_[0]{x}, y => $_[0]{y} } }
    package My::Str; sub TO_JSON { "str:" . ${$_[0]} }
    package My::Self; sub TO_JSON { $_[0] }
    package My::Dies; sub TO_JSON { die "nope\n" }
    package My::Nested; sub TO_JSON { [My::Point->new(1, 2)] }
    package main;
    is(enc(My::Point->new(1, 2)) =~ /^\{("x":1,"y":2|"y":2,"x":1)\}$/ ? 1 : 0, 1, 'TO_JSON result encoded');
    is(enc([bless \(my $s = 'abc'), 'My::Str']), '["str:abc"]', 'TO_JSON returning a string');
    like(enc_err(bless {}, 'My::Self'), qr/nesting exceeds 1024.*My::Self/, 'TO_JSON returning itself');
    is(eval { enc([bless {}, 'My::Dies']) } // $@, "nope\n", 'die in TO_JSON propagates');
    is(enc(bless {}, 'My::Nested') =~ /^\[\{/ ? 1 : 0, 1, 'nested TO_JSON');
    {
        package My::TiedH; require Tie::Hash; our @ISA = ('Tie::StdHash');
        package My::TiedA; require Tie::Array; our @ISA = ('Tie::StdArray');
        package My::TiedS; sub TIESCALAR { bless [$_[1]], $_[0] } sub FETCH { $_[0][0] }
    }
    tie my %th, 'My::TiedH'; %th = (a => [1], b => 'x');
    is_deeply(dec(enc(\%th)), { a => [1], b => 'x' }, 'tied hash');
    tie my @ta, 'My::TiedA'; @ta = (1, 'two', undef);
    is(enc(\@ta), '[1,"two",null]', 'tied array');
    tie my $ts, 'My::TiedS', 'val';
    is(enc([$ts]), '["val"]', 'tied scalar (get magic)');
    is(enc([$1]), '[null]', 'unset capture var') if !defined $1;
    'abc' =~ /(b)/;
    is(enc([$1]), '["b"]', 'regexp capture variable (magic)');
    my %restricted = (a => 1, b => 2);
    Hash::Util::lock_ref_keys(\%restricted, qw(a b c)) if eval { require Hash::Util; 1 };
    delete $restricted{b};
    is(enc(\%restricted), '{"a":1}', 'restricted hash placeholders skipped');
    my @holes; $holes[2] = 1;
    is(enc(\@holes), '[null,null,1]', 'array holes are null');
    my %it = (a => 1, b => 2, c => 3);
    my ($k1) = each %it;
    enc(\%it);
    my ($k2) = each %it;
    isnt($k2, $k1, 'encoding does not reset the hash iterator');
}

# ---------------------------------------------------------------- C API (dev harness only)
if (defined &PerlLambdaDev::c_encode) {
    is(PerlLambdaDev::c_encode([1, 'a']), '[1,"a"]', 'cpj_encode');
    like(eval { PerlLambdaDev::c_encode([bless {}, 'My::Dies']) } // $@, qr/^nope/, 'cpj_encode traps die in TO_JSON');
    like(eval { PerlLambdaDev::c_encode([sub {}]) } // $@, qr/CODE reference/, 'cpj_encode error');
    is_deeply(PerlLambdaDev::c_decode('{"a":[true]}'), { a => [$PerlLambda::JSON::true] }, 'cpj_decode');
    like(eval { PerlLambdaDev::c_decode('[') } // $@, qr/unexpected end/, 'cpj_decode error');
}

# ---------------------------------------------------------------- big payload
unless ($SMALL) {
    srand(7);
    my @items = map { +{ id => $_, name => "item $_ \x{e9}\x{263a}", price => $_ * 1.25, tags => [qw(a b c)],
        flag => $_ % 2 ? \1 : \0, nested => { list => [1 .. 20], text => 'x' x 100 } } } 1 .. 23000;
    my $json = enc(\@items);
    cmp_ok(length $json, '>', 6_000_000, 'payload is over 6 MB');
    my $back = dec($json);
    is(scalar @$back, 23000, 'all items back');
    is_deeply($back->[12345], { %{ $items[12345] }, flag => $PerlLambda::JSON::false }, 'an item round trips');
    my $again = enc($back);
    is(length $again, length $json, 're-encoded size equal');
    is_deeply(dec($again), $back, 'second round trip');
}

# ---------------------------------------------------------------- compared with JSON::XS
SKIP: {
    skip 'JSON::XS not installed', 1 unless eval { require JSON::XS; 1 };
    my @docs = ('null', 'true', 'false', '0', '-1', '1.5', '-0.0', '1e3', '"x"', '""', '[]', '{}',
        '[1,"2",3.25,null,true,false]', '{"a":{"b":[{"c":"\\u00e9\\ud83d\\ude00"}]}}',
        '"\\n\\t\\"\\\\\\/"', "\"caf\xc3\xa9\"", '[9223372036854775807,-9223372036854775808,18446744073709551615]',
        '{"k\\u00e9y":"v","":0}', '[[[[[[["deep"]]]]]]]', '[0.1,0.2,0.30000000000000004,123456.789e-3]');
    for my $j (@docs) {
        is_deeply(dec($j), JSON::XS::decode_json($j), "decode matches JSON::XS: $j");
    }
    my @values = (undef, 0, 1, -1, 1.5, 0.1, 1e20, 1e-7, -0.0, 1e300, 'str', '', "caf\x{e9}", "\x{263a}",
        "a\"b\\c\n\x00\x1f\x7f/", 9223372036854775807, 18446744073709551615, 3.0, 1 / 7,
        [], {}, [1, 'a', undef], { k => 'v' }, { "\x{263a}" => [1] }, [[[]]], \1, \0);
    for my $v (@values) {
        my $x = JSON::XS->new->utf8->allow_nonref->encode(ref $v eq 'SCALAR' ? ($$v ? JSON::XS::true() : JSON::XS::false()) : $v);
        is(enc($v), $x, 'encode matches JSON::XS: ' . (defined $v ? $x : 'undef'));
    }
}

done_testing;
