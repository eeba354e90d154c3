package PSGIEvents;
# Events as each AWS front door sends them for one HTTP request, and the HTTP response each would make of a
# function's result. Used by t/psgi/*.t under plain perl and inside the bootstrap (`bootstrap --script`).
#
#   my $event = PSGIEvents::event('v2', method => 'GET', path => '/a%20b', query => 'q=%E2%9C%93',
#                                 headers => [ 'Cookie' => 'a=1; b=2' ], body => $bytes, content_type => 'image/png');
#   my ($status, $headers, $body) = PSGIEvents::response('v2', $result);   # headers: [[lc name, value], ...]
use strict;
use warnings;

our @TYPES = qw(v1 v2 alb alb-multi url);

sub json_encode { defined &PerlLambda::JSON::encode_json ? PerlLambda::JSON::encode_json($_[0]) : _pp()->encode($_[0]) }
sub json_decode { defined &PerlLambda::JSON::decode_json ? PerlLambda::JSON::decode_json($_[0]) : _pp()->decode($_[0]) }
my $PP;
sub _pp { require JSON::PP; $PP //= JSON::PP->new->utf8->canonical->allow_nonref }

sub unescape { my ($s, $plus) = @_; $s =~ tr/+/ / if $plus; $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge; $s }
sub chars { my $s = shift; utf8::decode($s); $s }

# Decoded (key, value) pairs of a query string, in order.
sub query_pairs {
    my ($q) = @_;
    return map { my ($k, $v) = split /=/, $_, 2; [ unescape($k, 1), unescape($v // '', 1) ] } grep { length } split /&/, $q // '';
}

sub b64 { require MIME::Base64; MIME::Base64::encode_base64($_[0], '') }
sub unb64 { require MIME::Base64; MIME::Base64::decode_base64($_[0]) }

sub is_text { ($_[0] // '') =~ m{^(?:text/|application/json)} }

sub event {
    my ($type, %r) = @_;
    my $method = $r{method} // 'GET';
    my $path = $r{path} // '/';                # as sent (percent-encoded)
    my $query = $r{query} // '';               # as sent
    my @headers = (Host => 'example.test', 'User-Agent' => 'psgi-test', @{ $r{headers} // [] });
    push @headers, 'Content-Type' => $r{content_type} if $r{content_type};
    my $body = $r{body};
    my $binary = defined $body && !is_text($r{content_type});
    my $event_body = !defined $body ? undef : $binary ? b64($body) : chars($body);
    my %h1; my %hm;
    for (my $i = 0; $i < @headers; $i += 2) { $h1{ lc $headers[$i] } = $headers[$i + 1]; push @{ $hm{ lc $headers[$i] } }, $headers[$i + 1] }
    $h1{'x-forwarded-proto'} = 'https'; $hm{'x-forwarded-proto'} = ['https'];
    my @pairs = query_pairs($query);
    my @raw = map { [ split /=/, $_, 2 ] } grep { length } split /&/, $query;
    if ($type eq 'v2' || $type eq 'url') {
        my @cookies = map { split /;\s*/ } @{ delete($hm{cookie}) // [] };
        delete $h1{cookie};
        my %joined = map { $_ => join ',', @{ $hm{$_} } } keys %hm;
        my %qs; push @{ $qs{ $_->[0] } }, $_->[1] for @pairs;
        my $decoded_path = chars(unescape($path));
        my $ev = { version => '2.0', routeKey => '$default', rawPath => $type eq 'url' ? $decoded_path : $path,
                   rawQueryString => $query, headers => \%joined, isBase64Encoded => $binary ? \1 : \0,
                   requestContext => { http => { method => $method, path => $decoded_path, protocol => 'HTTP/1.1',
                                                 sourceIp => '192.0.2.7', userAgent => 'psgi-test' },
                                       domainName => $type eq 'url' ? 'abc.lambda-url.us-east-1.on.aws' : 'abc.execute-api.us-east-1.amazonaws.com',
                                       requestId => 'req-1', routeKey => '$default', stage => '$default' } };
        $ev->{cookies} = \@cookies if @cookies;
        $ev->{queryStringParameters} = { map { $_ => chars(join ',', @{ $qs{$_} }) } keys %qs } if %qs;
        $ev->{body} = $event_body if defined $event_body;
        return $ev;
    }
    if ($type eq 'v1') {
        my (%q1, %qm);
        for (@pairs) { $q1{ chars($_->[0]) } = chars($_->[1]); push @{ $qm{ chars($_->[0]) } }, chars($_->[1]) }
        return { resource => '/{proxy+}', path => $path, httpMethod => $method, headers => \%h1, multiValueHeaders => \%hm,
                 queryStringParameters => %q1 ? \%q1 : undef, multiValueQueryStringParameters => %qm ? \%qm : undef,
                 requestContext => { path => "/prod$path", stage => 'prod', protocol => 'HTTP/1.1', httpMethod => $method,
                                     identity => { sourceIp => '192.0.2.7' }, requestId => 'req-1' },
                 body => $event_body, isBase64Encoded => $binary ? \1 : \0 };
    }
    # ALB: query parameters and path as the client sent them
    my $ev = { requestContext => { elb => { targetGroupArn => 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/0' } },
               httpMethod => $method, path => $path, body => $event_body // '', isBase64Encoded => $binary ? \1 : \0 };
    $h1{'x-forwarded-for'} = '192.0.2.7'; $hm{'x-forwarded-for'} = ['192.0.2.7'];
    if ($type eq 'alb-multi') {
        my %qm; push @{ $qm{ $_->[0] } }, $_->[1] // '' for @raw;
        @$ev{qw(multiValueHeaders multiValueQueryStringParameters)} = (\%hm, \%qm);
    } else {
        my %q1 = map { $_->[0] => $_->[1] // '' } @raw;
        $h1{cookie} = join '; ', @{ $hm{cookie} } if $hm{cookie};
        @$ev{qw(headers queryStringParameters)} = (\%h1, \%q1);
    }
    return $ev;
}

# What the front door makes of a buffered result: (status, [[lc name, value]...], body bytes).
sub response {
    my ($type, $res) = @_;
    my @h;
    if ($type eq 'v2' || $type eq 'url') {
        push @h, map { [ lc $_, $res->{headers}{$_} ] } sort keys %{ $res->{headers} // {} };
        push @h, map { [ 'set-cookie', $_ ] } @{ $res->{cookies} // [] };
    } elsif ($type eq 'v1' || $type eq 'alb-multi') {
        my %multi = %{ $res->{multiValueHeaders} // {} };
        push @h, map { my $k = $_; map { [ lc $k, $_ ] } @{ $multi{$k} } } sort keys %multi;
        push @h, map { [ lc $_, $res->{headers}{$_} ] } grep { !$multi{$_} } sort keys %{ $res->{headers} // {} } if $type eq 'v1';
    } else {
        push @h, map { [ lc $_, $res->{headers}{$_} ] } sort keys %{ $res->{headers} // {} };
    }
    my $body = $res->{body} // '';
    if ($res->{isBase64Encoded}) { $body = unb64($body) } else { utf8::encode($body) }
    return ($res->{statusCode}, \@h, $body);
}

sub header_values { my ($h, $name) = @_; map { $_->[1] } grep { $_->[0] eq lc $name } @$h }

1;
