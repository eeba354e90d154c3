# Results round-trip through the real RIE: hello, echo of every JSON type, unicode (byte-exact), state.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Encode qw(encode_utf8);
use PerlLambdaTest;

subtest 'hello' => sub {
    my $fn = PerlLambdaTest->start(handler => 'hello.handle');
    my $r = $fn->invoke({});
    is $r->{status}, 200, 'status 200';
    is_deeply $r->{data}, { hello => 'lambda' }, 'the handler result' or diag $r->{content};
    like $fn->log, qr/^END RequestId: [0-9a-f-]{36}$/m, 'the RIE logged the END of the request';
};

subtest 'echo: every JSON type round-trips' => sub {
    my $fn = PerlLambdaTest->start(handler => 'echo.handle');
    my $json = PerlLambdaTest::json();
    my @events = (
        { nested => { list => [ 1, [ 2, [ 3, { deep => 'x' } ] ] ], empty_hash => {}, empty_list => [] } },
        { ints => [ 0, -1, 42, 2147483648, 9007199254740993, -9223372036854775808 ] },
        { floats => [ 1.5, -0.25, 1e-7, 6.02e23 ] },
        { bools => [ JSON::PP::true(), JSON::PP::false() ], null => undef },
        { strings => [ '', ' ', "tab\tnew\nline", 'quote"back\\slash', '/slash', "\x01ctl", '0', '00', '1.0' ] },
        [ 'top', 'level', 'array' ],
        'a bare string',
        12345,
        JSON::PP::true(),
        undef,
    );
    for my $event (@events) {
        my $sent = $json->encode($event);
        my $r = $fn->invoke_raw($sent);
        is $r->{status}, 200, "status for $sent";
        is_deeply $r->{data}, $json->decode($sent), "round trip of $sent" or diag "got $r->{content}";
    }
    # booleans must stay booleans and null must stay null (is_deeply alone would accept 1/0/"")
    my $r = $fn->invoke({ t => JSON::PP::true(), f => JSON::PP::false(), n => undef });
    like $r->{content}, qr/"t":true/,  'true stays true';
    like $r->{content}, qr/"f":false/, 'false stays false';
    like $r->{content}, qr/"n":null/,  'null stays null';
    # numbers must stay numbers, strings strings
    $r = $fn->invoke_raw('{"i":7,"s":"7","f":2.5,"fs":"2.5"}');
    like $r->{content}, qr/"i":7[,}]/, 'integer stays a JSON number';
    like $r->{content}, qr/"s":"7"/, 'numeric string stays a string';
    like $r->{content}, qr/"f":2\.5[,}]/, 'float stays a JSON number';
    like $r->{content}, qr/"fs":"2\.5"/, 'float-looking string stays a string';
};

subtest 'echo.describe: how the event is decoded into Perl' => sub {
    my $fn = PerlLambdaTest->start(handler => 'echo.describe');
    my $r = $fn->invoke_raw('{"a":[1,2.5,"3",true,false,null],"s":"str","n":-7}');
    is_deeply $r->{data},
        { a => [ 'number:1', 'number:2.5', 'string:3', 'bool:1', 'bool:0', 'undef' ], s => 'string:str', n => 'number:-7' },
        'numbers are numbers, strings strings, booleans objects, null undef' or diag $r->{content};
};

subtest 'unicode in and out, byte-exact' => sub {
    my $fn = PerlLambdaTest->start(handler => 'unicode.handle');
    my $s = "h\x{e9}\x{65e5}\x{672c}\x{1F42A}";    # é 日 本 🐪 (a 4-byte UTF-8 character, a surrogate pair in \u form)
    my $r = $fn->invoke_raw(encode_utf8(qq({"s":"$s"})));
    is $r->{status}, 200, 'status 200';
    my $expected = encode_utf8(qq(["$s",5,[104,233,26085,26412,128042],"Grüße, 世界 🐪"]));
    is $r->{content}, $expected, 'raw UTF-8 out, characters counted as characters';
    # the same event sent as \u escapes decodes to the same characters
    $r = $fn->invoke_raw('{"s":"h\u00e9\u65e5\u672c\ud83d\udc2a"}');
    is $r->{content}, $expected, '\u escapes (with a surrogate pair) decode to the same characters';
};

subtest 'state persists across invocations in one process' => sub {
    my $fn = PerlLambdaTest->start(handler => 'state.handle');
    my @r = map { $fn->invoke({})->{data} } 1 .. 3;
    is_deeply [ map { $_->{count} } @r ], [ 1, 2, 3 ], 'package counter increments';
    is scalar(keys %{ { map { $_->{pid} => 1 } @r } }), 1, 'one process served them all';
    is $r[0]{pid}, $fn->runtime_pid, 'that process is the RIE\'s runtime child';
};

done_testing;
