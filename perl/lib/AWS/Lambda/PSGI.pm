package AWS::Lambda::PSGI;
use 5.026000;
use strict;
use warnings;

# PSGI apps behind API Gateway (REST v1, HTTP API v2), ALB (single and multi-value headers) and Function URLs.
# Pure Perl, no prerequisite: the same public methods and results as p5-aws-lambda's AWS::Lambda::PSGI (inside
# perl-lambda's bootstrap, C functions it registers do the hot parts, with the same results).
#
# Every web request on Lambda passes through here, so the per-request path is written for speed
# (bench/psgi_adapter.pl measures it against p5-aws-lambda's module: half its time or less; under plain perl
# except streamed REST and ALB events, which p5-aws-lambda runs through its cheaper, and for them wrong, HTTP API
# conversion, while the env of ours costs more than half its whole request (ALB: 5.8 µs against 10.5). Inside
# perl-lambda's bootstrap the env and the streamed prelude come from C: see _format_input_xs). No regex is built per
# request, strings that need no percent-encoding or decoding are found by one tr/// and used as they are,
# percent-encoding goes through tables, header names map to env keys through a cache, header maps go in by
# slices, and no closure or object is built that the request does not need.

our $VERSION = '1.0';
my $NUL8 = "\0" x 8;
my $STREAM_TYPE = 'application/vnd.awslambda.http-integration-response';

# Characters to percent-encode. Paths and raw query strings: what RFC 3986 does not allow in them ('%' kept when
# the string is already encoded). Decoded REST query parameters: also what would change the query's structure
# ('&', '=', '#', '%'); '+' stays '+', as API Gateway passes it (a form-encoded space to the app). The classes are
# written out in each substitution and tr///: a regex object interpolated into a pattern costs 35% more.
my %PCT = map { chr($_) => sprintf('%%%02X', $_) } 0 .. 255;
my %UNPCT = map { my $c = $_; map { (sprintf('%02X', $c) => chr $c), (sprintf('%02x', $c) => chr $c),
                                    (sprintf('%X%x', $c >> 4, $c & 15) => chr $c), (sprintf('%x%X', $c >> 4, $c & 15) => chr $c) } 1 } 0 .. 255;

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

# The handler: call's body itself (and _stream's), bound to $self, unless a subclass overrides call (a closure
# that calls call costs one sub call more per request: 0.1–0.4 µs, 2–4% of a request). Keep the two in step.
sub to_app {
    my $self = shift;
    $self->prepare_app;
    return sub { $self->call(@_) } if $self->can('call') != \&call;
    return sub {
        my $env = $self->format_input($_[0], $_[1] || do { no warnings 'once'; $AWS::Lambda::context });
        my $res = $self->{app}->($env);
        if ($self->{invoke_mode} eq 'RESPONSE_STREAM') {    # _stream, inlined
            my $head = ($env->{REQUEST_METHOD} // '') eq 'HEAD';
            return sub { _stream_out($_[0], $res, $head) } if ref $res ne 'CODE';
            return sub { my $r = $_[0]; $res->(sub { _stream_out($r, $_[0], $head) }) };
        }
        $res = _collect($res) if ref $res eq 'CODE';
        return $self->format_output($res, $env);
    };
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
    my $env = $self->format_input($event, $ctx || do { no warnings 'once'; $AWS::Lambda::context });
    my $res = $self->{app}->($env);
    return _stream($res, $env) if $self->{invoke_mode} eq 'RESPONSE_STREAM';
    $res = _collect($res) if ref $res eq 'CODE';
    return $self->format_output($res, $env);
}

# ---- request: event → PSGI env ----

# utf8::encode only for character strings: a byte string (not flagged) is already what the env needs.
sub _bytes { my $s = $_[0] // ''; utf8::encode($s) if utf8::is_utf8($s); return $s }
sub _unescape { my $s = $_[0]; $s =~ s/%([0-9A-Fa-f]{2})/$UNPCT{$1}/g; return $s }
sub _escape_path_keep {
    my $s = $_[0] // '';
    utf8::encode($s) if utf8::is_utf8($s);
    $s =~ s/([^A-Za-z0-9\-._~!\$&'()*+,;=:\@\/%])/$PCT{$1}/g;
    return $s;
}
sub _escape_query_keep {
    my $s = $_[0] // '';
    utf8::encode($s) if utf8::is_utf8($s);
    $s =~ s/([^A-Za-z0-9\-._~!\$&'()*+,;=:\@\/%?])/$PCT{$1}/g;
    return $s;
}
sub _escape_param {
    my $s = $_[0] // '';
    utf8::encode($s) if utf8::is_utf8($s);
    $s =~ s/([^A-Za-z0-9\-._~!\$'()*+,;:\@\/?])/$PCT{$1}/g;
    return $s;
}
# format_input tests each string with tr/// over the same sets first (counting the characters outside a set
# costs a third of a regex match) and leaves the strings that need nothing, nearly all, as they are.

# Header name → env key, cached (bounded: names come from clients). The keys are stored as shared hash-key
# strings (taken from a hash's keys), which carry their hash value: storing them into the env is 13% faster.
my %HKEY;
sub _hkey {
    my ($name) = @_;
    (my $key = uc $name) =~ tr/-/_/;
    $key = "HTTP_$key" unless $key eq 'CONTENT_TYPE' || $key eq 'CONTENT_LENGTH';
    %HKEY = () if keys %HKEY >= 4096;
    my %shared = ($key => 1);
    return $HKEY{$name} = (keys %shared)[0];
}

# A single-value header map into the env, in two slices (no per-header statement: 0.94 µs for ten headers,
# against 1.21 µs in a loop): a name not yet in %HKEY lands under the key '' and non-ASCII values are found in
# the values joined; either sends the map through _headers_bytes. (A null value becomes undef, not absent.)
sub _single_headers {
    my ($env, $h) = @_;
    no warnings 'uninitialized';
    @$env{ @HKEY{ keys %$h } } = values %$h;
    if (exists $env->{''} || join('', values %$h) =~ /[^\x00-\x7F]/) {
        delete $env->{''};
        _headers_bytes($env, $h);
    }
    return;
}

# A multi-value header map (and the names of the single-value one that it lacks): one value each (the usual) or
# several, joined with ', ' (a Cookie header's with '; ').
# Empty, null or non-array values stand out as "\x{100}", which the non-ASCII check then finds too, and go
# through _headers_bytes with new names and non-ASCII. The loop body is kept to the fewest operations: 1.5 µs
# for eight headers (a slice through map costs 1.9 µs; a sub call for the one joined header 0.4 µs more).
sub _multi_headers {
    my ($env, $multi, $single) = @_;
    no warnings 'uninitialized';
    my ($all, $both) = ('', 0);
    for my $k (keys %$multi) {
        my $vs = $multi->{$k};
        ++$both if $single && exists $single->{$k};
        $all .= $env->{ $HKEY{$k} // '' } = ref $vs ne 'ARRAY' ? "\x{100}" : @$vs == 1 ? $vs->[0] // "\x{100}"
                                          : @$vs && !grep(!defined, @$vs) ? join(', ', @$vs) : "\x{100}";
    }
    if (exists $env->{''} || $all =~ /[^\x00-\x7F]/) {
        delete $env->{''};
        delete @$env{ map { $HKEY{$_} // () } keys %$multi };
        _headers_bytes($env, undef, $multi);
    } elsif (defined $env->{HTTP_COOKIE}) {
        my $c = $multi->{cookie} // $multi->{Cookie} // $multi->{ (grep { lc eq 'cookie' } keys %$multi)[0] };
        $env->{HTTP_COOKIE} = join '; ', @$c if ref $c eq 'ARRAY' && @$c > 1;
    }
    # names only in headers (never in AWS's events, which have the same names in both), counted in the loop
    _headers_bytes($env, $single, $multi) if $single && $both != keys %$single;
    return;
}

# The header maps into the env, the slow way: when some value has non-ASCII (format_input collects the values and
# checks them once: a regex per value would cost a fifth more) or a name is new. Character strings are UTF-8
# encoded; a name in both maps takes its multiValueHeaders values.
sub _headers_bytes {
    my ($env, $single, $multi) = @_;
    if ($single) {
        for my $k (keys %$single) {
            next if $multi && exists $multi->{$k};
            $env->{ $HKEY{$k} // _hkey($k) } = _bytes($single->{$k} // next);
        }
    }
    if ($multi) {
        for my $k (keys %$multi) {
            my $vs = $multi->{$k};
            my @v = map { _bytes($_) } grep { defined } ref $vs eq 'ARRAY' ? @$vs : $vs;
            $env->{ $HKEY{$k} // _hkey($k) } = _join_values($k, \@v) if @v;
        }
    }
    return;
}

# The values of a multi-value header as one (undef when there is none): cookies joined as in a Cookie header.
sub _join_values {
    my ($name, $vs) = @_;
    return $vs unless ref $vs eq 'ARRAY';
    my @v = grep { defined } @$vs;
    return @v ? join(lc $name eq 'cookie' ? '; ' : ', ', @v) : undef;
}

# QUERY_STRING from a parameter map (names sorted: the map has no order). API Gateway REST decodes parameters,
# except '+', which it passes as the client sent it (a form-encoded space); ALB passes them as sent.
sub _query {
    my ($q, $alb) = @_;
    my $query = '';    # appended to (half the time of pushing pairs and joining them)
    for my $k (sort keys %$q) {
        my $vs = $q->{$k};
        if ($alb) {
            my $ek = $k =~ tr/A-Za-z0-9\-._~!$&'()*+,;=:@\/%?//c ? _escape_query_keep($k) : $k;
            for my $v (ref $vs eq 'ARRAY' ? @$vs : $vs) {
                $query .= "&$ek=" . (!defined $v ? '' : $v =~ tr/A-Za-z0-9\-._~!$&'()*+,;=:@\/%?//c ? _escape_query_keep($v) : $v);
            }
        } else {
            my $ek = $k =~ tr/A-Za-z0-9\-._~!$'()*+,;:@\/?//c ? _escape_param($k) : $k;
            for my $v (ref $vs eq 'ARRAY' ? @$vs : $vs) {
                $query .= "&$ek=" . (!defined $v ? '' : $v =~ tr/A-Za-z0-9\-._~!$'()*+,;:@\/?//c ? _escape_param($v) : $v);
            }
        }
    }
    return length $query ? substr($query, 1) : '';
}

# psgi.version: one read-only array for every request
my @VERSION = (1, 1);
Internals::SvREADONLY($_, 1) for @VERSION;
Internals::SvREADONLY(@VERSION, 1);

# psgi.input of requests without a body: one empty handle, opened again only when an app closed or moved it
# (opening an in-memory handle costs 0.5 µs, a fourteenth of a request).
my $EMPTY_BODY = '';
open my $EMPTY_INPUT, '<', \$EMPTY_BODY or die "cannot open an in-memory handle: $!";
sub _empty_input {
    no warnings;
    return $EMPTY_INPUT if tell($EMPTY_INPUT) == 0 && length $EMPTY_BODY == 0;
    $EMPTY_BODY = '';
    open $EMPTY_INPUT, '<', \$EMPTY_BODY or die "cannot open an in-memory handle: $!";
    return $EMPTY_INPUT;
}

# format_input: inside perl-lambda's bootstrap the env comes from C (PerlLambda::Host::_psgi_env,
# Sources/CPerl/psgi_env.c): the same env as _format_input_pp's, byte for byte (t/psgi/xs_env.t compares them),
# for every front door, in a fraction of its time (the env was 6.9 µs of a 9.8 µs streamed REST request; a
# streamed ALB request went from 8.5 to 5.0 µs). The C code declines (undef) the events it is not sure to convert
# exactly as the Perl code does (tied or blessed containers, non-string values, non-ASCII header values, ...), and
# those go through _format_input_pp. Under plain perl format_input is _format_input_pp itself: no extra call.
{ no warnings 'once'; *format_input = defined &PerlLambda::Host::_psgi_env ? \&_format_input_xs : \&_format_input_pp }

sub _format_input_xs {
    my ($self, $e, $ctx) = @_;
    my $env = PerlLambda::Host::_psgi_env($e, \@VERSION, $EMPTY_INPUT, \$EMPTY_BODY) // return _format_input_pp(@_);
    # a request without a body has its psgi.input from C already (0.3 µs less); else as _format_input_pp does
    if (!exists $env->{'psgi.input'}) {
        my $body = $e->{body};
        if (!defined $body || !length $body) { @$env{qw(psgi.input CONTENT_LENGTH)} = (_empty_input(), 0) }
        else {
            my $b64 = $e->{isBase64Encoded};
            $b64 = $$b64 if ref $b64 eq 'SCALAR';
            if ($b64) { $body = _decode_base64($body) }
            else      { utf8::encode($body) if utf8::is_utf8($body) }
            open my $input, '<', \$body or die "cannot open the request body: $!";
            @$env{qw(psgi.input CONTENT_LENGTH)} = ($input, length $body);
        }
    }
    if ($ctx) {
        $env->{'aws.lambda.context'} = $ctx;
        $env->{'psgix.request_id'} = $env->{HTTP_X_REQUEST_ID} = $ctx->aws_request_id;
    }
    return $env;
}

sub _format_input_pp {
    my ($self, $e, $ctx) = @_;
    my $rc = $e->{requestContext};
    $rc = {} if ref $rc ne 'HASH';
    my $http = $rc->{http};
    my ($kind, $method, $path, $pinfo, $query, $script, $remote, $proto, %env);
    if ($rc->{elb}) { $kind = 'alb' }
    elsif (ref $http eq 'HASH' || (defined $e->{version} && substr($e->{version}, 0, 2) eq '2.')) { $kind = 'v2' }
    else { $kind = 'v1' }

    if ($kind eq 'v2') {
        $http = {} if ref $http ne 'HASH';
        $method = $http->{method};
        _single_headers(\%env, $e->{headers}) if ref $e->{headers} eq 'HASH';
        my $cookies = $e->{cookies};
        if (ref $cookies eq 'ARRAY' && @$cookies) {
            my $c = _bytes(join '; ', grep { defined } @$cookies);
            $env{HTTP_COOKIE} = defined $env{HTTP_COOKIE} ? "$env{HTTP_COOKIE}; $c" : $c;
        }
        $query = $e->{rawQueryString} // '';
        $query = _escape_query_keep($query) if $query =~ tr/A-Za-z0-9\-._~!$&'()*+,;=:@\/%?//c;
        # rawPath comes encoded (API Gateway) or decoded (Function URLs); http.path is decoded
        my $decoded = $http->{path};
        $path = $e->{rawPath} // $decoded // '/';
        if (defined $decoded && $decoded ne $path) {
            $pinfo = _bytes($decoded);
            $path = _escape_path_keep($path) if $path =~ tr/A-Za-z0-9\-._~!$&'()*+,;=:@\/%//c;
        } elsif (!($path =~ tr/A-Za-z0-9\-._~!$&'()*+,;=:@\///c)) {
            $pinfo = $path;    # nothing encoded, nothing to encode
        } elsif ($path =~ tr/A-Za-z0-9\-._~!$&'()*+,;=:@\/%//c || $path !~ /%[0-9A-Fa-f]{2}/) {
            $pinfo = $path;    # decoded (a Function URL's): encoded for REQUEST_URI
            utf8::encode($pinfo) if utf8::is_utf8($pinfo);
            $path = $pinfo;
            if ($path =~ tr/A-Za-z0-9\-._~!$&'()*+,;=:@\/ //c) { $path =~ s/([^A-Za-z0-9\-._~!\$&'()*+,;=:\@\/])/$PCT{$1}/g }
            else { $path =~ s/ /%20/g }    # spaces only, the usual: 0.15 µs instead of 0.4 through the table
        } else {
            $pinfo = _unescape($path);
        }
        my $stage = $rc->{stage};
        if (defined $stage && $stage ne '$default' && index($rc->{domainName} // '.execute-api.', '.execute-api.') >= 0
            && $path =~ m{^/\Q$stage\E(?:/|$)}) {
            $script = "/$stage";
            $path = substr($path, length $script);
            $pinfo =~ s{^/\Q$stage\E}{};
        }
        $remote = $http->{sourceIp};
        $proto = $http->{protocol};
    } else {
        $method = $e->{httpMethod};
        # both header maps: a name in multiValueHeaders wins over the same name in headers
        my $multi = $e->{multiValueHeaders};
        my $h = $e->{headers};
        $h = undef if ref $h ne 'HASH';
        if (ref $multi eq 'HASH') {
            _multi_headers(\%env, $multi, $h);
            $env{'aws.lambda.multi_value'} = 1;
        } else {
            $multi = undef;
            _single_headers(\%env, $h) if $h;
        }
        # the same for query parameters
        my $q = $e->{multiValueQueryStringParameters};
        $q = undef if ref $q ne 'HASH';
        my $sq = $e->{queryStringParameters};
        if (ref $sq eq 'HASH' && %$sq) {
            if (!$q) { $q = $sq }
            elsif (grep { !exists $q->{$_} } keys %$sq) { $q = { %$sq, %$q } }
        }
        $query = $q && %$q ? _query($q, $kind eq 'alb') : '';
        $path = $e->{path} // '/';
        $path = _escape_path_keep($path) if $path =~ tr/A-Za-z0-9\-._~!$&'()*+,;=:@\/%//c;
        ($pinfo = $path) =~ s/%([0-9A-Fa-f]{2})/$UNPCT{$1}/g if index($path, '%') >= 0;
        $pinfo //= $path;
        # REST: requestContext.path is the path with the stage or base path in front
        my $full = $rc->{path};
        if ($kind eq 'v1' && defined $full && length $full > length $path) {
            $full = _escape_path_keep($full) if $full =~ tr/A-Za-z0-9\-._~!$&'()*+,;=:@\/%//c;
            if (substr($full, -length $path) eq $path) { $script = substr($full, 0, length($full) - length $path) }
            elsif ($path eq '/')                          { $script = $full }
            elsif (defined $rc->{stage} && $full =~ m{^(/\Q$rc->{stage}\E)/}) { $script = $1 }
            chop $script if defined $script && substr($script, -1) eq '/';
        }
        $remote = ref $rc->{identity} eq 'HASH' ? $rc->{identity}{sourceIp} : undef;
        $proto = $rc->{protocol};
    }

    my ($body, $input) = $e->{body};
    if (!defined $body || !length $body) {
        no warnings;    # the check of _empty_input inlined: it is true for nearly every request
        ($body, $input) = ('', tell($EMPTY_INPUT) == 0 && length $EMPTY_BODY == 0 ? $EMPTY_INPUT : _empty_input());
    }
    else {
        my $b64 = $e->{isBase64Encoded};
        $b64 = $$b64 if ref $b64 eq 'SCALAR';    # \0 and \1 as JSON::XS takes them
        if ($b64) { $body = _decode_base64($body) }
        else      { utf8::encode($body) if utf8::is_utf8($body) }
        open $input, '<', \$body or die "cannot open the request body: $!";
    }

    my $scheme = $env{HTTP_X_FORWARDED_PROTO};
    $scheme = !defined $scheme || $scheme eq 'https' ? 'https' : $scheme eq 'http' ? 'http'
            : lc($scheme) =~ /^(https?)/ ? $1 : 'https';
    my $host = $env{HTTP_HOST} //= $rc->{domainName} // 'localhost';
    my ($server, $port) = ($host, $env{HTTP_X_FORWARDED_PORT});
    if ((my $colon = rindex $host, ':') >= 0) {
        if (substr($host, $colon + 1) =~ /^[0-9]+\z/) { $server = substr $host, 0, $colon; $port //= substr $host, $colon + 1 }
    }
    if (!defined $remote) {
        # the last address of X-Forwarded-For (ALB's events have no source IP)
        my $xff = $env{HTTP_X_FORWARDED_FOR};
        if (defined $xff) {
            $remote = substr $xff, rindex($xff, ',') + 1;
            $remote = $xff =~ /([^,\s]+)[\s,]*\z/ ? $1 : undef if $remote =~ tr/ \t,//;
        }
        $remote = '127.0.0.1' if !defined $remote || !length $remote;
    }
    $script //= '';
    @env{qw(psgi.version psgi.errors psgi.run_once psgi.multithread psgi.multiprocess psgi.streaming
            psgi.nonblocking psgix.input.buffered aws.lambda.event aws.lambda.event_type
            REQUEST_METHOD SCRIPT_NAME PATH_INFO QUERY_STRING REQUEST_URI psgi.input CONTENT_LENGTH
            psgi.url_scheme SERVER_NAME SERVER_PORT SERVER_PROTOCOL REMOTE_ADDR)}
        = (\@VERSION, *STDERR, '', '', '', 1, '', 1, $e, $kind, $method // 'GET',
           index($script, '%') < 0 ? $script : _unescape($script), $pinfo, $query,
           $script . $path . (length $query ? "?$query" : ''), $input, length $body, $scheme, $server,
           $port // ($scheme eq 'https' ? 443 : 80), $proto // 'HTTP/1.1', $remote);
    if ($ctx) {
        $env{'aws.lambda.context'} = $ctx;
        $env{'psgix.request_id'} = $env{HTTP_X_REQUEST_ID} = $ctx->aws_request_id;
    }
    return \%env;
}

# ---- response: PSGI response → the event's response format ----

my %REASON = (200 => 'OK', 201 => 'Created', 202 => 'Accepted', 204 => 'No Content', 301 => 'Moved Permanently',
    302 => 'Found', 303 => 'See Other', 304 => 'Not Modified', 307 => 'Temporary Redirect', 308 => 'Permanent Redirect',
    400 => 'Bad Request', 401 => 'Unauthorized', 403 => 'Forbidden', 404 => 'Not Found', 405 => 'Method Not Allowed',
    409 => 'Conflict', 413 => 'Payload Too Large', 500 => 'Internal Server Error', 502 => 'Bad Gateway',
    503 => 'Service Unavailable');

# A delayed response run to completion: [status, headers, body] with the writer's output as the body.
sub _collect {
    my ($delayed) = @_;
    my $res;
    $delayed->(sub {
        my ($r) = @_;
        return $res = $r if @$r >= 3;
        $res = [ $r->[0], $r->[1], [] ];
        return AWS::Lambda::PSGI::Writer->new(AWS::Lambda::PSGI::Chunks->new($res->[2]));
    });
    die "the PSGI application did not call its responder (non-blocking responses are not supported)\n" unless $res;
    return $res;
}

# The body as bytes: chunks that are character strings are UTF-8 encoded (one by one: joined with byte
# strings they would mix encodings).
sub _body_bytes {
    my ($body) = @_;
    return '' unless defined $body;
    if (ref $body eq 'ARRAY') {
        my $content = @$body == 1 ? $body->[0] // '' : join '', grep { defined } @$body;
        return $content unless utf8::is_utf8($content);    # no chunk is a character string
        return join '', map { _bytes($_) } grep { defined } @$body;
    }
    my $content = '';
    local $/ = \65536;
    while (defined(my $buf = $body->getline)) { utf8::encode($buf) if utf8::is_utf8($buf); $content .= $buf }
    $body->close;
    return $content;
}

# Content types sent as text (when the body is UTF-8), else base64. The answer is cached per Content-Type value
# (bounded: an app has a few): a hash lookup costs a sixth of the match.
my %IS_TEXT;
sub _is_text {
    %IS_TEXT = () if keys %IS_TEXT >= 256;
    return $IS_TEXT{ $_[0] } = $_[0] =~ m{^(?:text/|application/(?:json|javascript|ecmascript|xml|x-www-form-urlencoded|graphql)\b|[^;]*\+(?:json|xml)\b)}i ? 1 : 0;
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
    my $kind = $env && $env->{'aws.lambda.event_type'} || 'v1';
    # v2 and single-value ALB results take repeated headers joined and Set-Cookie apart
    my $join = $kind eq 'v2' || ($kind eq 'alb' && !$env->{'aws.lambda.multi_value'});
    my (%headers, %multi, @cookies);
    if ($headers) {
        # one foreach over the list, names and values in turn: 5% fewer instructions than a loop over the pairs
        my ($i, $k, $v) = (0);
        for (@$headers) {
            if (!($i++ & 1)) { $k = lc }
            elsif (!exists $multi{$k}) {
                $multi{$k} = [ $v = "$_" ];
                if ($join && $k eq 'set-cookie') { push @cookies, $v } else { $headers{$k} = $v }
            } else {
                push @{ $multi{$k} }, $v = "$_";
                if (!$join)                { $headers{$k} = $v }
                elsif ($k eq 'set-cookie') { push @cookies, $v }
                else                       { $headers{$k} .= ", $v" }
            }
        }
    }
    my $content;
    if (ref $body eq 'ARRAY') {
        $content = @$body == 1 ? $body->[0] // '' : join '', grep { defined } @$body;
        $content = _body_bytes($body) if utf8::is_utf8($content);    # some chunk is a character string
    } else {
        $content = _body_bytes($body);
    }
    $content = '' if $env && ($env->{REQUEST_METHOD} // '') eq 'HEAD';
    my $type = $multi{'content-type'};
    # text as characters when it is UTF-8 (utf8::decode checks, and leaves invalid input as it was), else base64
    my $binary = !$type || !($IS_TEXT{ $type->[-1] } // _is_text($type->[-1])) || exists $multi{'content-encoding'}
              || ($content =~ tr/\x80-\xFF// && !utf8::decode($content));
    $content = _encode_base64($content) if $binary;
    my %out = (isBase64Encoded => $binary ? \1 : \0, statusCode => 0 + $status, body => $content,
               headers => \%headers, multiValueHeaders => \%multi);
    if ($kind eq 'v2') {
        $out{cookies} = \@cookies;
    } elsif ($kind eq 'alb') {
        $out{statusDescription} = "$status " . ($REASON{$status} // 'Unknown');
        $headers{ _cookie_key($_) } = $cookies[$_] for 0 .. $#cookies;
    }
    return \%out;
}

# ---- streaming: the HTTP integration response format (JSON prelude, 8 NUL bytes, the body) ----

# The streamed response: a code ref the runtime calls with its responder (a function, not a method: the method
# call cost 0.1 µs per request).
sub _stream {
    my ($response, $env) = @_;
    my $head = $env && ($env->{REQUEST_METHOD} // '') eq 'HEAD';
    return sub { _stream_out($_[0], $response, $head) } if ref $response ne 'CODE';
    return sub { my $r = $_[0]; $response->(sub { _stream_out($r, $_[0], $head) }) };
}
# p5-aws-lambda's name and arguments for it
sub _handle_response_stream { my ($self, $response, $env) = @_; return _stream($response, $env) }

# Repeated headers joined, cookies apart, every string escaped; non-ASCII goes out as UTF-8 (characters, or
# bytes taken as Latin-1, as JSON encoders do).
my %JSON_ESC = ((map { chr($_) => sprintf('\u%04x', $_) } 0 .. 31), '"' => '\"', '\\' => '\\\\',
                "\n" => '\n', "\r" => '\r', "\t" => '\t');
sub _json_str { my $s = "$_[0]"; utf8::encode($s); $s =~ s/(["\\\x00-\x1f])/$JSON_ESC{$1}/g; return qq("$s") }
sub _prelude {
    my ($status, $headers) = @_;
    my (@names, %h, @cookies);
    for (my $i = 0; $i < $#$headers; $i += 2) {
        my $k = lc $headers->[$i];
        if ($k eq 'set-cookie') { push @cookies, $headers->[$i + 1] }
        elsif (exists $h{$k})   { $h{$k} .= ", $headers->[$i + 1]" }
        else                    { push @names, $k; $h{$k} = "$headers->[$i + 1]" }
    }
    return '{"statusCode":' . (0 + $status) . ',"headers":{' . join(',', map { _json_str($_) . ':' . _json_str($h{$_}) } @names)
         . '},"cookies":[' . join(',', map { _json_str($_) } @cookies) . "]}$NUL8";
}

# Writes [status, headers, body] to the runtime's writer: an array body goes out with the prelude in one write;
# without a body, the app gets a writer.
# The prelude JSON is built here: its shape is fixed (a number, an object and an array of strings), and JSON::PP
# under plain perl would cost more than the rest of the request. The usual response (no repeated header, nothing
# JSON escapes) is written straight into the string in one pass over the list (names kept in a string to find
# repeats), checked afterwards with one match over the list joined: 0.7 µs for two headers, against 0.85 µs with
# a pass over the pairs and 1.4 µs through a hash. Any other goes through _prelude.
# Inside the bootstrap the usual prelude comes from C (PerlLambda::Host::_psgi_prelude: 0.2 µs against 0.8), the
# same bytes (t/psgi/xs_env.t compares them); the constant folds the branch away where there is none.
use constant XS_PRELUDE => defined &PerlLambda::Host::_psgi_prelude;
sub _stream_out {
    my ($lambda_responder, $res, $head) = @_;
    my ($status, $headers, $body) = @$res;
    my ($names, $h, $c, $i, $k, $prelude) = ("\0", '', '', 0);
    $prelude = PerlLambda::Host::_psgi_prelude($status, $headers) if XS_PRELUDE;
    if ($headers && !defined $prelude) {
        for my $v (@$headers) {
            if (!($i++ & 1))                    { $k = lc $v }
            elsif ($k eq 'set-cookie')          { $c .= qq(,"$v") }
            elsif (index($names, "\0$k\0") < 0) { $names .= "$k\0"; $h .= qq(,"$k":"$v") }
            else                                { $prelude = _prelude($status, $headers); last }
        }
        $prelude = _prelude($status, $headers)
            if !defined $prelude && ($i & 1 || join('', @$headers) =~ /["\\\x00-\x1F\x80-\x{10FFFF}]/);
    }
    $prelude //= '{"statusCode":' . (0 + $status) . ',"headers":{' . substr($h, length $h ? 1 : 0)
               . '},"cookies":[' . substr($c, length $c ? 1 : 0) . "]}$NUL8";
    my $writer = $lambda_responder->($STREAM_TYPE);
    if (!defined $body) {
        $writer->write($prelude);
        return AWS::Lambda::PSGI::Writer->new($writer, $head);
    }
    if (ref $body eq 'ARRAY') {
        if ($head) { $writer->write($prelude) }
        elsif (@$body == 1 && defined $body->[0] && !utf8::is_utf8($body->[0])) { $writer->write($prelude . $body->[0]) }
        else { $writer->write($prelude . _body_bytes($body)) }
    } else {
        $writer->write($prelude);
        if ($head) { $body->close }
        else {
            local $/ = \65536;
            while (defined(my $chunk = $body->getline)) {
                next unless length $chunk;
                utf8::encode($chunk) if utf8::is_utf8($chunk);
                $writer->write($chunk);
            }
            $body->close;
        }
    }
    $writer->close;
    return;
}

# ---- base64: MIME::Base64 when it loads (checked once), else pack('u') ----

our $HAVE_MIME_BASE64;
sub _encode_base64 {
    $HAVE_MIME_BASE64 //= eval { require MIME::Base64; 1 } ? 1 : 0;
    return $HAVE_MIME_BASE64 ? MIME::Base64::encode_base64($_[0], '') : _encode_base64_pp($_[0]);
}
sub _decode_base64 {
    $HAVE_MIME_BASE64 //= eval { require MIME::Base64; 1 } ? 1 : 0;
    return $HAVE_MIME_BASE64 ? MIME::Base64::decode_base64($_[0]) : _decode_base64_pp($_[0]);
}

sub _encode_base64_pp {
    my ($bytes) = @_;
    my $out = '';
    $out .= substr(pack('u', $1), 1, -1) while $bytes =~ /(.{1,45})/gs;
    $out =~ tr{` -_}{AA-Za-z0-9+/};
    my $pad = (3 - length($bytes) % 3) % 3;
    substr($out, -$pad) = '=' x $pad if $pad;
    return $out;
}

sub _decode_base64_pp {
    my ($text) = @_;
    $text =~ tr{A-Za-z0-9+/}{}cd;
    $text =~ tr{A-Za-z0-9+/}{ -_};
    my $out = '';
    $out .= unpack('u', chr(32 + length($1) * 3 / 4) . $1) while $text =~ /(.{1,60})/gs;
    return $out;
}

package AWS::Lambda::PSGI::Writer;
# The writer a PSGI app gets from a responder called without a body: writes go to the target's write (the
# runtime's writer, or the chunks of a buffered response), bytes only, nothing for HEAD requests.

sub new { my ($class, $target, $head) = @_; return bless { target => $target, head => $head, closed => 0 }, $class }
sub write {
    my ($self, $data) = @_;
    die "write failed: the response is already closed\n" if $self->{closed};
    return 1 if $self->{head} || !defined $data || !length $data;
    if (utf8::is_utf8($data)) { my $b = $data; utf8::encode($b); $data = $b }
    $self->{target}->write($data);
    return 1;
}
sub close {
    my ($self) = @_;
    return 1 if $self->{closed}++;
    $self->{target}->close;
    return 1;
}
sub poll_cb { my ($self, $cb) = @_; $cb->($self) }

package AWS::Lambda::PSGI::Chunks;
# The target of a buffered response's writer: collects the chunks into the body array.
sub new { my ($class, $chunks) = @_; return bless { chunks => $chunks }, $class }
sub write { push @{ $_[0]{chunks} }, $_[1]; 1 }
sub close { 1 }

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

The results of p5-aws-lambda's C<format_input> and C<format_output> (C<isBase64Encoded> as C<\1>/C<\0>, REST
query parameters passed on with C<+> as C<+>), except: C<psgi.streaming> is true in both modes; C<REQUEST_URI>
includes C<SCRIPT_NAME> (the REST stage or base path) and stays percent-encoded for Function URLs; REST
parameters that would change the query's structure or may not appear in a URI are percent-encoded; HTTP API v2
C<cookies> become C<HTTP_COOKIE>; every C<Set-Cookie> is kept (C<cookies> for v2, one key per cookie for
single-value ALB); streaming converts REST and ALB events as buffered mode does; env values are bytes.

=cut
