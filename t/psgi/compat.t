# Compatibility measured: AWS::Lambda::PSGI from p5-aws-lambda (the git mirror, with Debian's JSON::XS, Plack,
# JSON::Types...) and ours on the same events and responses: p5-aws-lambda's own fixtures and ours. Where the
# behaviour should match it must; where ours is deliberately different the difference is asserted. A table of
# verdicts is printed at the end.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib", "$FindBin::Bin/../../perl/lib";
use Test::More;
use Config;
use File::Temp qw(tempdir);
use JSON::PP;
use PerlLambdaTest;
use PSGIEvents;
use AWS::Lambda::PSGI;

my $lib = PerlLambdaTest::aws_lambda_lib();
plan skip_all => 'no p5-aws-lambda mirror' unless $lib;
# theirs under plain perl; ours under the perl running this test (plain perl, or the bootstrap with --script)
my $perl = $Config{perlpath};
my @ours = defined &PerlLambda::JSON::encode_json ? ($^X, '--script') : ($^X);
my @missing = grep { system($perl, "-I$lib", "-M$_", '-e1') != 0 } qw(AWS::Lambda::PSGI);
plan skip_all => 'AWS::Lambda::PSGI cannot load here (scripts/setup.sh installs its prerequisites)' if @missing;

my $json = JSON::PP->new->utf8->canonical->allow_nonref;
my $tmp = tempdir(CLEANUP => 1);
my @table;

# Runs the cases through one implementation in its own perl: format_input views and call() results.
my $driver = <<'PERL';
use strict; use warnings; use JSON::PP; use AWS::Lambda::PSGI;
my $j = JSON::PP->new->utf8->canonical->allow_nonref;
my $cases = $j->decode(do { local $/; <STDIN> });
my @out;
for my $c (@$cases) {
    my $psgi = AWS::Lambda::PSGI->new;
    my $env = $psgi->format_input($c->{event});
    my $in = $env->{'psgi.input'};
    my %view = (body => do { local $/; scalar <$in> } // '', map { $_ => $env->{$_} } grep { /^[A-Z_]+$/ && !/^HTTP_X_REQUEST_ID$/ } keys %$env);
    my $res = $c->{response};
    my $app = sub { [ $res->[0], $res->[1], [ map { pack 'H*', $_ } @{ $res->[2] } ] ] };
    my $result = AWS::Lambda::PSGI->wrap($app)->($c->{event});
    push @out, { env => \%view, result => $j->decode(JSON::PP->new->utf8->canonical->allow_blessed->convert_blessed->encode($result)) };
}
print $j->encode(\@out);
PERL

sub run_impl {
    my ($inc, $cases, @perl) = @_;
    open my $fh, '>', "$tmp/cases.json" or die; print $fh $json->encode($cases); close $fh;
    open my $dr, '>', "$tmp/driver.pl" or die; print $dr $driver; close $dr;
    local $ENV{PERL5LIB} = $inc;    # `bootstrap --script` takes no -I
    my $cmd = join ' ', map { "'$_'" } @perl, "$tmp/driver.pl";
    my $out = `$cmd < '$tmp/cases.json' 2>'$tmp/stderr'`;
    return $json->decode($out);
}

my $mirror = $ENV{P5_AWS_LAMBDA_MIRROR} // '/work/.mirror/shogo82148+p5-aws-lambda/repo';
my @fixtures = grep { /\.json$/ } split /\n/, `git -C '$mirror' ls-tree --name-only HEAD t/testdata/`;
my $text = [ 200, [ 'Content-Type' => 'text/plain', 'Header-Name' => 'v1', 'header-name' => 'v2' ], [ unpack 'H*', "Hello \xE2\x9C\x93" ] ];
my $binary = [ 200, [ 'Content-Type' => 'image/png' ], [ unpack 'H*', join '', map { chr } 0 .. 255 ] ];
my $euc = [ 200, [ 'Content-Type' => 'text/plain' ], [ unpack 'H*', "\xC8\xFE\xC6\xFD" ] ];
my $cookies = [ 200, [ 'Content-Type' => 'text/plain', 'Set-Cookie' => 'a=1', 'Set-Cookie' => 'b=2' ], [ unpack 'H*', 'ok' ] ];

my @cases;
for my $f (@fixtures) {
    my $event = $json->decode(scalar `git -C '$mirror' show HEAD:$f`);
    (my $name = $f) =~ s{.*/|\.json$}{}g;
    push @cases, map { { name => "$name / $_->[0]", event => $event, response => $_->[1], kind => 'fixture' } }
        [ text => $text ], [ binary => $binary ], [ 'euc-jp' => $euc ];
}
for my $type (@PSGIEvents::TYPES) {
    push @cases, { name => "$type / cookies", kind => 'cookies', type => $type, response => $cookies,
                   event => PSGIEvents::event($type, path => '/p', headers => [ Cookie => 'x=1; y=2' ]) };
    push @cases, { name => "$type / query", kind => 'query', type => $type, response => $text,
                   event => PSGIEvents::event($type, path => '/p', query => 'q=a%26b&r=%2B') };
}

my $theirs = run_impl($lib, \@cases, $perl);
my $ours = run_impl("$FindBin::Bin/../../perl/lib", \@cases, @ours);
is scalar @$ours, scalar @cases, 'all cases ran';

my @same_env = qw(REQUEST_METHOD PATH_INFO CONTENT_TYPE body);
for my $i (0 .. $#cases) {
    my ($c, $t, $o) = ($cases[$i], $theirs->[$i], $ours->[$i]);
    subtest $c->{name} => sub {
        is $o->{env}{$_}, $t->{env}{$_}, "same $_" for @same_env;
        my @hdr = grep { /^HTTP_/ && $_ ne 'HTTP_COOKIE' } keys %{ $t->{env} };
        is_deeply { map { $_ => $o->{env}{$_} } @hdr }, { map { $_ => $t->{env}{$_} } @hdr }, 'same HTTP_* headers';
        my @notes;
        if ($c->{kind} eq 'fixture') {
            is_deeply [ sort map { "@$_" } PSGIEvents::query_pairs($o->{env}{QUERY_STRING}) ],
                      [ sort map { "@$_" } PSGIEvents::query_pairs($t->{env}{QUERY_STRING}) ], 'same query parameters';
            is $o->{env}{SCRIPT_NAME}, $t->{env}{SCRIPT_NAME}, 'same SCRIPT_NAME';
            my %view = (%{ $o->{result} });
            delete @view{qw(cookies statusDescription)};
            # v2-shaped events: ours joins repeated headers in `headers` (theirs keeps the last one)
            $view{headers} = $t->{result}{headers} if ($c->{event}{version} // '') eq '2.0' || $c->{event}{requestContext}{elb};
            is_deeply \%view, $t->{result}, 'same result for the same response';
            push @notes, 'REQUEST_URI ' . ($o->{env}{REQUEST_URI} eq $t->{env}{REQUEST_URI} ? 'same' : "ours $o->{env}{REQUEST_URI}, theirs $t->{env}{REQUEST_URI}");
        } elsif ($c->{kind} eq 'cookies') {
            is $o->{env}{HTTP_COOKIE}, 'x=1; y=2', 'ours: the request cookies';
            my @ours = $c->{type} =~ /^(?:v2|url)$/ ? @{ $o->{result}{cookies} } : @{ $o->{result}{multiValueHeaders}{'set-cookie'} };
            is_deeply \@ours, [ 'a=1', 'b=2' ], 'ours: both Set-Cookie in the field the front door reads';
            if ($c->{type} =~ /^(?:v2|url)$/) {
                ok !defined $t->{env}{HTTP_COOKIE}, 'theirs: v2 cookies are lost (documented difference)';
                ok !$t->{result}{cookies}, 'theirs: no `cookies` in v2 results: only the last Set-Cookie reaches the client';
                push @notes, 'v2 cookies: ours kept, theirs lost';
            } elsif ($c->{type} eq 'alb') {
                is scalar(grep { lc eq 'set-cookie' } keys %{ $o->{result}{headers} }), 2, 'ours: single-value ALB gets both cookies';
                push @notes, 'single-value ALB: ours sends both cookies, theirs the last';
            } else {
                is_deeply $t->{result}{multiValueHeaders}{'set-cookie'}, [ 'a=1', 'b=2' ], 'theirs: same in multiValueHeaders';
            }
        } else {
            # REST API parameters come decoded except '+', which API Gateway passes as the client sent it: both
            # implementations hand it on, so the app form-decodes it as a space; every other character survives
            my @want = $c->{type} eq 'v1' ? ([ q => 'a&b' ], [ r => ' ' ]) : ([ q => 'a&b' ], [ r => '+' ]);
            my @ours = PSGIEvents::query_pairs($o->{env}{QUERY_STRING});
            is_deeply [ sort map { "@$_" } @ours ], [ sort map { "@$_" } @want ], "ours: parameters survive ($o->{env}{QUERY_STRING})";
            my %theirs = map { @$_ } PSGIEvents::query_pairs($t->{env}{QUERY_STRING});
            is $theirs{r}, ' ', "theirs: the same '+'" if $c->{type} eq 'v1';
            my $theirs_ok = eq_array([ sort map { "@$_" } PSGIEvents::query_pairs($t->{env}{QUERY_STRING}) ], [ sort map { "@$_" } @want ]);
            push @notes, "query: ours $o->{env}{QUERY_STRING}, theirs $t->{env}{QUERY_STRING} (" . ($theirs_ok ? 'same parameters' : 'parameters broken') . ")";
        }
        push @table, [ $c->{name}, join '; ', @notes ];
    };
}

diag sprintf "%-45s %s", @$_ for [ 'case', 'notes (everything else equal)' ], @table;
done_testing;
