package PerlLambda::Host;
# The Perl half of the bootstrap: handler loading, the per-invocation call and error documents.
# Embedded in the bootstrap binary; the C shim (Sources/CPerl/cperl.c) calls these functions.
use strict;
use warnings;

# Booleans decoded from JSON are JSON::PP::Boolean objects (as with JSON::XS). Their overloading is
# what JSON::PP::Boolean.pm installs; done here without loading overload.pm (a millisecond of cold
# start). A JSON::PP::Boolean loaded later by the handler (JSON::PP, Types::Serialiser) is unaffected.
unless (defined &{'JSON::PP::Boolean::(0+'}) {
    no strict 'refs';
    my $nil = sub { };
    *{'JSON::PP::Boolean::(('} = $nil;
    *{'JSON::PP::Boolean::()'} = $nil;
    ${'JSON::PP::Boolean::()'} = 1;  # fallback => 1
    *{'JSON::PP::Boolean::(0+'} = sub { ${ $_[0] } };
    *{'JSON::PP::Boolean::(++'} = sub { $_[0] = ${ $_[0] } + 1 };
    *{'JSON::PP::Boolean::(--'} = sub { $_[0] = ${ $_[0] } - 1 };
}

our $FUNC;            # the loaded handler (code ref)
our $MAX_FRAMES = 50; # stackTrace length cap

# load($task_root, $file, $function): require "$task_root/$file" and find $function, like
# AWS::Lambda::Bootstrap; $function undef: $file is a PSGI app. The handler string was parsed by the Swift
# side (HandlerName in Sources/LambdaWire, the one place its grammar lives); an invalid one arrives as
# (undef, $message) and is reported like any other init error.
# Dies with the same messages as AWS::Lambda does on failure.
sub load {
    my ($task_root, $file, $name) = @_;
    die "$name\n" unless defined $file;
    # The runtime's embedded modules (the @INC hook in front) keep precedence; then the task root and
    # the dependencies installed with `cpanm -L local` / carton that travel with the function.
    my $hook = ref $INC[0] ? shift @INC : undef;
    unshift @INC, $task_root unless grep { !ref && $_ eq $task_root } @INC;
    if (-d "$task_root/local/lib/perl5") { require lib; lib->import("$task_root/local/lib/perl5") }
    unshift @INC, $hook if $hook;
    return load_psgi($task_root, $file) unless defined $name;
    {
        package main;
        require "${task_root}/${file}";
    }
    my $f = $name =~ /::/ ? (defined &{$name} ? \&{$name} : undef) : main->can($name);
    $f // die "handler $name is not found";
    $FUNC = $f;
    return 1;
}

# A PSGI file as the handler (_HANDLER=app.psgi): loaded like Plack::Util::load_psgi, served through
# AWS::Lambda::PSGI (which reads the event type from each event).
sub load_psgi {
    my ($task_root, $handler) = @_;
    my $path = $handler =~ m{\A/} ? $handler : "$task_root/$handler";
    die "Can't locate $handler in $task_root: $!\n" unless -f $path;
    local $0 = $path;
    $ENV{PLACK_ENV} //= 'deployment';    # as plackup/Starman set it; Mojolicious returns its PSGI app then
    my $app = _do_psgi($path);
    die $@ if $@;
    $app = $app->to_app if ref $app && ref $app ne 'CODE' && eval { $app->can('to_app') };
    die "$handler does not return a PSGI application (a code reference)\n" unless ref $app eq 'CODE';
    require AWS::Lambda::PSGI;
    $FUNC = AWS::Lambda::PSGI->wrap($app);
    return 1;
}

sub _do_psgi {
    package main;
    my $app = do $_[0];
    die "$_[0]: $!\n" if !defined $app && !$@ && $!;
    return $app;
}

# invoke($payload, $context, $can_stream)
#   → (RESULT, $result) | (ERROR, $error_type, $error_document_json) | (STREAMED) when the response was streamed
# (constants the C shim defines, cperl_internal.h's cperl_invoke_kind)
# The C shim installs _on_die as the die hook ($SIG{__DIE__}) for the duration of invoke; it keeps the
# frames of the latest die in $TRACE for the error document's stackTrace.
our $TRACE;
sub _on_die { $TRACE = _frames() }

sub invoke {
    my ($payload, $context, $can_stream) = @_;
    local $AWS::Lambda::context = $context;
    # _X_AMZN_TRACE_ID is the invocation's trace id, present only while it is served
    # (%ENV is only touched when a trace id is or was there: each %ENV change costs a setenv).
    my $trace_id = $context->{trace_id};
    if (defined $trace_id) { $ENV{_X_AMZN_TRACE_ID} = $trace_id }
    elsif (exists $ENV{_X_AMZN_TRACE_ID}) { delete $ENV{_X_AMZN_TRACE_ID} }
    $TRACE = undef;
    my $result;
    my $ok = eval { $result = $FUNC->($payload, $context); 1 };
    my @outcome = !$ok ? _failure($@, $TRACE)
        : ref $result eq 'CODE' && $can_stream ? _stream($result)
        : (RESULT, $result);
    _end_invocation();
    return @outcome;
}

# Also called by the C shim when a handler called exit (the end of invoke was skipped).
sub _end_invocation { delete $ENV{_X_AMZN_TRACE_ID} if exists $ENV{_X_AMZN_TRACE_ID} }

sub _failure {
    my ($err, $trace) = @_;
    my ($type, $json, $message) = error_document($err, $trace);
    print STDERR _printable($err, $message);
    return (ERROR, $type, $json);
}

# A handler returned sub { my $responder = shift; my $w = $responder->($type); $w->write(...); $w->close }.
# The native writer sends chunks as they are written; a die after the responder was called ends the
# stream with error trailers, a die before it is an ordinary error response.
sub _stream {
    my ($code) = @_;
    require AWS::Lambda::ResponseWriter;
    my $writer;
    $TRACE = undef;
    my $ok = eval {
        $code->(sub {
            my $content_type = shift // 'application/octet-stream';
            die "the streaming responder was called twice\n" if $writer;
            _stream_start($content_type);
            return $writer = AWS::Lambda::ResponseWriter->_native;
        });
        1;
    };
    if ($ok) {
        return _failure("the streaming handler returned without calling its responder\n", $TRACE)
            unless $writer;
        $writer->close;
        return (STREAMED);
    }
    my $err = $@;
    return _failure($err, $TRACE) unless $writer;
    my ($type, $json, $message) = error_document($err, $TRACE);
    print STDERR _printable($err, $message);
    # after close the response is complete: the error is only logged
    unless ($writer->{closed}) {
        $writer->{closed} = 1;
        _stream_finish($type, $json);
    }
    return (STREAMED);
}

sub _printable {
    my ($err, $message) = @_;
    $message .= "\n" unless $message =~ /\n\z/;
    return $message;
}

# error_document($err, $frames) → ($type, $json, $message): the document's JSON text comes from _document (the C shim
# hands it to the runtime's ErrorDocument, the one place its shape is written).
# errorType: the exception's class for blessed exceptions, else "Error" (as AWS::Lambda).
# errorMessage: "$err" as AWS::Lambda; unblessed references are JSON-encoded instead.
sub error_document {
    my ($err, $frames) = @_;
    my $type = _blessed($err) // 'Error';
    my $message;
    if (ref $err && !_blessed($err)) {
        $message = eval { PerlLambda::JSON::encode_json($err) } // "$err";
    } else {
        $message = "$err";
    }
    return ($type, _document($type, $message, $frames // []), $message);
}

# Called from the __DIE__ hook: one "FUNCTION at FILE line N" per frame between the die and the handler call.
sub _frames {
    my @frames;
    for (my $i = 1; @frames < $MAX_FRAMES; $i++) {
        my (undef, $file, $line) = caller($i) or last;
        last if $file eq __FILE__;
        my $sub = (caller($i + 1))[3] // 'main';
        push @frames, "$sub at $file line $line";
    }
    return \@frames;
}

# init_error_document($err) for load failures.
sub init_error_document {
    my ($err) = @_;
    my ($type, $json, $message) = error_document($err, []);
    print STDERR _printable($err, $message);
    return ($type, $json);
}

# With structured (JSON) logs the runtime ties STDOUT and STDERR so each print reaches it in order,
# tagged with its stream (see OutputCapture in Sources/LambdaRuntime).
sub capture_output {
    tie *STDOUT, 'PerlLambda::Host::Output', 1;
    tie *STDERR, 'PerlLambda::Host::Output', 2;
    return 1;
}

package PerlLambda::Host::Output;

sub TIEHANDLE { my ($class, $fd) = @_; return bless { fd => $fd }, $class }
sub PRINT {
    my $self = shift;
    my $text = join(defined $, ? $, : '', @_);
    $text .= $\ if defined $\;
    PerlLambda::Host::_output($self->{fd}, $text);
    return 1;
}
sub PRINTF { my $self = shift; my $fmt = shift; return $self->PRINT(sprintf($fmt, @_)) }
sub WRITE {
    my ($self, $buf, $len, $offset) = @_;
    $len //= length $buf;
    PerlLambda::Host::_output($self->{fd}, substr($buf, $offset // 0, $len));
    return $len;
}
sub FILENO   { $_[0]{fd} }
sub BINMODE  { 1 }
sub CLOSE    { 1 }
sub OPEN     { 1 }
sub EOF      { 1 }
sub UNTIE    { }
sub READLINE { undef }
sub GETC     { undef }
sub READ     { 0 }

1;
