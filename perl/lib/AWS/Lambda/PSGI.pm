package AWS::Lambda::PSGI;
use 5.026000;
use strict;
use warnings;

# PSGI apps behind API Gateway (REST v1, HTTP API v2), ALB (single and multi-value headers) and Function URLs.
# Pure Perl, no prerequisite: the same public methods and results as p5-aws-lambda's AWS::Lambda::PSGI.

our $VERSION = '1.0';
my $NUL8 = "\0" x 8;
my $STREAM_TYPE = 'application/vnd.awslambda.http-integration-response';

sub new {
    my $proto = shift;
    my $class = ref $proto || $proto;
    my $self = bless +{ (@_ == 1 && ref $_[0] eq 'HASH') ? %{ $_[0] } : @_ }, $class;
    $self->{invoke_mode} = uc($self->{invoke_mode}
        // $ENV{PERL5_LAMBDA_PSGI_INVOKE_MODE} || $ENV{AWS_LWA_INVOKE_MODE} || 'BUFFERED');
    return $self;
}

sub prepare_app { return }

sub app {
    return $_[0]->{app} if @_ == 1;
    return $_[0]->{app} = @_ == 2 ? $_[1] : [ @_[1 .. $#_] ];
}

sub to_app {
    my $self = shift;
    $self->prepare_app;
    return sub { $self->call(@_) };
}

# Forwarded headers (X-Forwarded-For/-Proto/-Port) are applied by format_input itself: no middleware needed.
sub wrap {
    my ($self, $app, @args) = @_;
    $app = $app->to_app if ref $app && ref $app ne 'CODE' && eval { $app->can('to_app') };
    if (ref $self) { $self->{app} = $app }
    else           { $self = $self->new({ app => $app, @args }) }
    return $self->to_app;
}

sub call {
    my ($self, $event, $ctx) = @_;
    $ctx ||= do { no warnings 'once'; $AWS::Lambda::context };
    my $env = $self->format_input($event, $ctx);
    my $res = $self->app->($env);
    return $self->_handle_response_stream($res, $env) if $self->{invoke_mode} eq 'RESPONSE_STREAM';
    $res = _collect($res) if ref $res eq 'CODE';
    return $self->format_output($res, $env);
}

# ---- request: event → PSGI env ----

sub _kind {
    my ($e) = @_;
    my $rc = ref $e->{requestContext} eq 'HASH' ? $e->{requestContext} : {};
    return 'alb' if $rc->{elb};
    return 'v2' if ($e->{version} // '') =~ /^2[.]/ || ref $rc->{http} eq 'HASH';
    return 'v1';
}

sub _bytes { my $s = shift // ''; utf8::encode($s) if utf8::is_utf8($s); return $s }
sub _unescape { my $s = shift; $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge; return $s }
sub _escape { my $s = _bytes(shift); $s =~ s/([^A-Za-z0-9\-._~])/sprintf '%%%02X', ord $1/ge; return $s }

# Percent-encodes what may not appear in a URI path/query as is; with $keep a '%' stays (already encoded).
sub _escape_uri {
    my ($s, $keep, $query) = @_;
    $s = _bytes($s);
    my $extra = ($keep ? '%' : '') . ($query ? '?' : '');
    $s =~ s{([^A-Za-z0-9\-._~!\$&'()*+,;=:\@/\Q$extra\E])}{sprintf '%%%02X', ord $1}ge;
    return $s;
}

# JSON booleans as the runtime's decoder makes them (the bootstrap installs their overloading itself)
sub _bool {
    require JSON::PP::Boolean unless defined &{'JSON::PP::Boolean::(0+'};
    return bless \(my $b = $_[0] ? 1 : 0), 'JSON::PP::Boolean';
}

sub format_input {
    my ($self, $e, $ctx) = @_;
    my $kind = _kind($e);
    my $rc = ref $e->{requestContext} eq 'HASH' ? $e->{requestContext} : {};
    my %env = (
        'psgi.version' => [1, 1], 'psgi.errors' => *STDERR, 'psgi.run_once' => '', 'psgi.multithread' => '',
        'psgi.multiprocess' => '', 'psgi.streaming' => 1, 'psgi.nonblocking' => '', 'psgix.harakiri' => '',
        'psgix.input.buffered' => 1, 'aws.lambda.event' => $e, 'aws.lambda.event_type' => $kind,
        'aws.lambda.multi_value' => ($kind ne 'v2' && ref $e->{multiValueHeaders} eq 'HASH') ? 1 : '',
    );
    my ($path, $decoded_path, $query, $script);
    my %h;    # lower-case header name → [values]
    if ($kind eq 'v2') {
        my $http = $rc->{http} // {};
        $env{REQUEST_METHOD} = $http->{method} // 'GET';
        $h{lc $_} = [ $e->{headers}{$_} ] for keys %{ $e->{headers} // {} };
        push @{ $h{cookie} }, @{ $e->{cookies} } if ref $e->{cookies} eq 'ARRAY' && @{ $e->{cookies} };
        $query = _escape_uri($e->{rawQueryString} // '', 1, 1);
        $path = $e->{rawPath} // $http->{path} // '/';
        # rawPath comes encoded (API Gateway) or decoded (Function URLs); http.path is decoded
        if (defined $http->{path} && $http->{path} ne $path)            { $decoded_path = $http->{path} }
        elsif ($path =~ m{[^A-Za-z0-9\-._~!\$&'()*+,;=:\@/%]}
               || $path !~ /%[0-9A-Fa-f]{2}/)                          { $decoded_path = $path; $path = _escape_uri($path) }
        my $stage = $rc->{stage} // '$default';
        if ($stage ne '$default' && ($rc->{domainName} // '.execute-api.') =~ /\.execute-api\./
            && $path =~ m{^/\Q$stage\E(?:/|$)}) {
            $script = "/$stage";
            $path = substr($path, length $script);
            $decoded_path =~ s{^/\Q$stage\E}{} if defined $decoded_path;
        }
    } else {
        $env{REQUEST_METHOD} = $e->{httpMethod} // 'GET';
        my %single = %{ $e->{headers} // {} };
        my %multi = %{ $e->{multiValueHeaders} // {} };
        $h{lc $_} = [ $single{$_} ] for keys %single;
        $h{lc $_} = [ @{ $multi{$_} // [] } ] for keys %multi;
        my %q = (%{ $e->{queryStringParameters} // {} }, %{ $e->{multiValueQueryStringParameters} // {} });
        my @pairs;
        for my $k (sort keys %q) {
            for my $v (ref $q{$k} eq 'ARRAY' ? @{ $q{$k} } : $q{$k}) {
                # ALB passes parameters as the client sent them; API Gateway decodes them
                push @pairs, $kind eq 'alb' ? _escape_uri($k, 1, 1) . '=' . _escape_uri($v // '', 1, 1)
                                            : _escape($k) . '=' . _escape($v // '');
            }
        }
        $query = join '&', @pairs;
        $path = _escape_uri($e->{path} // '/', 1);
        my $full = $rc->{path};
        if ($kind eq 'v1' && defined $full && length $full > length $path) {
            $full = _escape_uri($full, 1);
            if (substr($full, -length $path) eq $path) { $script = substr($full, 0, length($full) - length $path) }
            elsif ($path eq '/')                          { $script = $full }
            elsif (defined $rc->{stage} && $full =~ m{^(/\Q$rc->{stage}\E)/}) { $script = $1 }
            $script =~ s{/$}{} if defined $script;
        }
    }
    $script //= '';
    $env{SCRIPT_NAME} = _unescape(_bytes($script));
    $env{PATH_INFO} = defined $decoded_path ? _bytes($decoded_path) : _unescape($path);
    $env{QUERY_STRING} = $query;
    $env{REQUEST_URI} = _escape_uri($script, 1) . $path . (length $query ? "?$query" : '');

    for my $name (keys %h) {
        my @v = map { _bytes($_) } grep { defined } @{ $h{$name} };
        (my $key = uc $name) =~ tr/-/_/;
        $key = "HTTP_$key" unless $key eq 'CONTENT_TYPE' || $key eq 'CONTENT_LENGTH';
        $env{$key} = join($name eq 'cookie' ? '; ' : ', ', @v);
    }
    my $body = $e->{body} // '';
    my $b64 = $e->{isBase64Encoded};
    $b64 = $$b64 if ref $b64 eq 'SCALAR';    # \0 and \1 as JSON::XS takes them
    $body = $b64 ? _decode_base64($body) : _bytes($body);
    open my $input, '<', \$body or die "cannot open the request body: $!";
    $env{'psgi.input'} = $input;
    $env{CONTENT_LENGTH} = length $body;
    $env{'psgi.url_scheme'} = lc($env{HTTP_X_FORWARDED_PROTO} // 'https') =~ /^(https?)/ ? $1 : 'https';
    my $host = $env{HTTP_HOST} // $rc->{domainName} // 'localhost';
    $env{HTTP_HOST} //= $host;
    ($env{SERVER_NAME} = $host) =~ s/:\d+$//;
    $env{SERVER_PORT} = $env{HTTP_X_FORWARDED_PORT} // ($host =~ /:(\d+)$/ ? $1 : $env{'psgi.url_scheme'} eq 'https' ? 443 : 80);
    $env{SERVER_PROTOCOL} = ($kind eq 'v2' ? $rc->{http}{protocol} : $rc->{protocol}) // 'HTTP/1.1';
    my @xff = split /\s*,\s*/, $env{HTTP_X_FORWARDED_FOR} // '';
    $env{REMOTE_ADDR} = ($kind eq 'v2' ? $rc->{http}{sourceIp} : $rc->{identity}{sourceIp}) // $xff[-1] // '127.0.0.1';
    if ($ctx) {
        $env{'aws.lambda.context'} = $ctx;
        $env{'psgix.request_id'} = $env{HTTP_X_REQUEST_ID} = $ctx->aws_request_id;
    }
    return \%env;
}

# ---- response: PSGI response → the event's response format ----

# A delayed response run to completion: [status, headers, body] with the writer's output as the body.
sub _collect {
    my ($delayed) = @_;
    my $res;
    $delayed->(sub {
        my ($r) = @_;
        return $res = $r if @$r >= 3;
        $res = [ $r->[0], $r->[1], [] ];
        return AWS::Lambda::PSGI::Writer->new(sub { push @{ $res->[2] }, $_[0] }, sub { });
    });
    die "the PSGI application did not call its responder (non-blocking responses are not supported)\n" unless $res;
    return $res;
}

sub _body_bytes {
    my ($body) = @_;
    my $content = '';
    if (ref $body eq 'ARRAY') {
        $content = join '', map { _bytes($_) } grep { defined } @$body;
    } elsif (defined $body) {
        local $/ = \65536;
        while (defined(my $buf = $body->getline)) { $content .= _bytes($buf) }
        $body->close;
    }
    return $content;
}

sub _header_pairs {
    my ($headers) = @_;
    my @pairs;
    for (my $i = 0; $i + 1 < @{ $headers // [] }; $i += 2) { push @pairs, [ lc $headers->[$i], "$headers->[$i + 1]" ] }
    return @pairs;
}

sub _is_text {
    my ($type) = @_;
    return $type =~ m{^(?:text/|application/(?:json|javascript|ecmascript|xml|x-www-form-urlencoded|graphql)\b|[^;]*\+(?:json|xml)\b)}i;
}

# Every casing of "set-cookie" in turn: single-value ALB responses keep each cookie under its own key.
sub _cookie_key {
    my ($n) = @_;
    my @c = split //, 'set-cookie';
    my @letters = grep { $c[$_] =~ /[a-z]/ } 0 .. $#c;
    $c[ $letters[$_] ] = uc $c[ $letters[$_] ] for grep { $n & (1 << $_) } 0 .. $#letters;
    return join '', @c;
}

sub format_output {
    my ($self, $response, $env) = @_;
    my ($status, $headers, $body) = @$response;
    my $kind = $env ? $env->{'aws.lambda.event_type'} // 'v1' : 'v1';
    my (%single, %multi, %joined, @cookies);
    for my $p (_header_pairs($headers)) {
        my ($k, $v) = @$p;
        $single{$k} = $v;
        push @{ $multi{$k} }, $v;
        if ($k eq 'set-cookie') { push @cookies, $v }
        else { $joined{$k} = exists $joined{$k} ? "$joined{$k}, $v" : $v }
    }
    my $content = _body_bytes($body);
    $content = '' if $env && ($env->{REQUEST_METHOD} // '') eq 'HEAD';
    my $type = $single{'content-type'} // 'application/octet-stream';
    my $binary = !_is_text($type) || exists $single{'content-encoding'};
    if (!$binary) {
        my $text = $content;
        if (utf8::decode($text)) { $content = $text } else { $binary = 1 }
    }
    $content = _encode_base64($content) if $binary;
    my %out = (isBase64Encoded => _bool($binary), statusCode => 0 + $status, body => "$content",
               headers => \%single, multiValueHeaders => \%multi);
    if ($kind eq 'v2') {
        $out{headers} = \%joined;
        $out{cookies} = \@cookies;
    } elsif ($kind eq 'alb') {
        $out{statusDescription} = "$status " . _reason($status);
        unless ($env->{'aws.lambda.multi_value'}) {
            $out{headers} = \%joined;
            $joined{ _cookie_key($_) } = $cookies[$_] for 0 .. $#cookies;
        }
    }
    return \%out;
}

my %REASON = (200 => 'OK', 201 => 'Created', 202 => 'Accepted', 204 => 'No Content', 301 => 'Moved Permanently',
    302 => 'Found', 303 => 'See Other', 304 => 'Not Modified', 307 => 'Temporary Redirect', 308 => 'Permanent Redirect',
    400 => 'Bad Request', 401 => 'Unauthorized', 403 => 'Forbidden', 404 => 'Not Found', 405 => 'Method Not Allowed',
    409 => 'Conflict', 413 => 'Payload Too Large', 500 => 'Internal Server Error', 502 => 'Bad Gateway',
    503 => 'Service Unavailable');
sub _reason { $REASON{ $_[0] } // 'Unknown' }

# ---- streaming: the HTTP integration response format (JSON prelude, 8 NUL bytes, the body) ----

sub _format_response_stream {
    my ($self, $status, $headers) = @_;
    my (%h, @cookies);
    for my $p (_header_pairs($headers)) {
        my ($k, $v) = @$p;
        if ($k eq 'set-cookie') { push @cookies, $v }
        else { $h{$k} = exists $h{$k} ? "$h{$k}, $v" : $v }
    }
    return +{ statusCode => 0 + $status, headers => \%h, cookies => \@cookies };
}

sub _handle_response_stream {
    my ($self, $response, $env) = @_;
    my $head = $env && ($env->{REQUEST_METHOD} // '') eq 'HEAD';
    if (ref $response ne 'CODE') {
        my $orig = $response;
        $response = sub { $_[0]->($orig) };
    }
    return sub {
        my $lambda_responder = shift;
        $response->(sub {
            my ($status, $headers, $body) = @{ $_[0] };
            my $writer = $lambda_responder->($STREAM_TYPE);
            $writer->write(_json_encode($self->_format_response_stream($status, $headers)) . $NUL8);
            my $psgi = AWS::Lambda::PSGI::Writer->new(sub { $writer->write(_bytes($_[0])) unless $head },
                                                      sub { $writer->close });
            return $psgi unless defined $body;
            if (ref $body eq 'ARRAY') { $psgi->write($_) for grep { defined } @$body }
            else {
                local $/ = \65536;
                while (defined(my $chunk = $body->getline)) { $psgi->write($chunk) }
                $body->close;
            }
            $psgi->close;
            return;
        });
    };
}

sub _json_encode {
    return PerlLambda::JSON::encode_json($_[0]) if defined &PerlLambda::JSON::encode_json;
    require JSON::PP;
    return JSON::PP->new->utf8->canonical->encode($_[0]);
}

# ---- base64: MIME::Base64 when it loads, else pack('u') ----

sub _encode_base64 {
    my ($bytes) = @_;
    return MIME::Base64::encode_base64($bytes, '') if eval { require MIME::Base64; 1 };
    my $out = '';
    $out .= substr(pack('u', $1), 1, -1) while $bytes =~ /(.{1,45})/gs;
    $out =~ tr{` -_}{AA-Za-z0-9+/};
    my $pad = (3 - length($bytes) % 3) % 3;
    substr($out, -$pad) = '=' x $pad if $pad;
    return $out;
}

sub _decode_base64 {
    my ($text) = @_;
    return MIME::Base64::decode_base64($text) if eval { require MIME::Base64; 1 };
    $text =~ tr{A-Za-z0-9+/}{}cd;
    $text =~ tr{A-Za-z0-9+/}{ -_};
    my $out = '';
    $out .= unpack('u', chr(32 + length($1) * 3 / 4) . $1) while $text =~ /(.{1,60})/gs;
    return $out;
}

package AWS::Lambda::PSGI::Writer;
# The writer a PSGI app gets from a responder called without a body.

sub new { my ($class, $write, $close) = @_; return bless { write => $write, close => $close, closed => 0 }, $class }
sub write {
    my ($self, $data) = @_;
    die "write failed: the response is already closed\n" if $self->{closed};
    $self->{write}->($data) if defined $data && length $data;
    return 1;
}
sub close {
    my ($self) = @_;
    return 1 if $self->{closed}++;
    $self->{close}->();
    return 1;
}
sub poll_cb { my ($self, $cb) = @_; $cb->($self) }

1;
__END__

=encoding utf-8

=head1 NAME

AWS::Lambda::PSGI - PSGI applications on Lambda: API Gateway (REST and HTTP APIs), ALB and Function URLs

=head1 SYNOPSIS

    use AWS::Lambda::PSGI;
    my $app = require "$ENV{LAMBDA_TASK_ROOT}/app.psgi";
    my $func = AWS::Lambda::PSGI->wrap($app);
    sub handle { return $func->(@_) }
    1;

or give the C<.psgi> file itself as the handler (C<_HANDLER=app.psgi>) to perl-lambda's bootstrap.

With C<PERL5_LAMBDA_PSGI_INVOKE_MODE=RESPONSE_STREAM> (or C<AWS_LWA_INVOKE_MODE>) responses are streamed in
the HTTP integration response format that Function URLs with C<InvokeMode: RESPONSE_STREAM> expect.

=head1 DIFFERENCES FROM p5-aws-lambda

Query strings are percent-encoded, HTTP API v2 C<cookies> become C<HTTP_COOKIE>, every C<Set-Cookie> is kept
(C<cookies> for v2, one key per cookie for single-value ALB), C<psgi.streaming> is true in both modes,
C<SCRIPT_NAME> is the REST stage or base path, C<REQUEST_URI> is percent-encoded and includes C<SCRIPT_NAME>,
env values are bytes.

=cut
