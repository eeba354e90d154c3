package AWS::Lambda::ResponseWriter;
use 5.026000;
use strict;
use warnings;

# The writer a streaming handler's responder returns: $w->write($bytes) ... $w->close.
# Inside perl-lambda's bootstrap each write is sent to the Runtime API as it happens. For unit tests,
# new(write => sub { ... }, close => sub { ... }) collects what a handler streams.

sub new {
    my $proto = shift;
    my $class = ref $proto || $proto;
    my %args = (@_ == 1 && ref $_[0] eq 'HASH') ? %{ $_[0] } : @_;
    return bless +{ %args, closed => 0 }, $class;
}

# The bootstrap's own writer, bound to the current invocation's response stream.
sub _native { return bless +{ closed => 0, native => 1 }, shift }

sub write {
    my ($self, $data) = @_;
    if ($self->{closed}) {
        require Carp;
        Carp::croak("write failed: already closed");
    }
    return "0E0" if !defined $data || length($data) == 0;
    if ($self->{native}) { PerlLambda::Host::_stream_write($data) }
    elsif ($self->{write}) { $self->{write}->($data) }
    else { $self->{buffer} .= $data }
    return 1;
}

sub close {
    my $self = shift;
    return if $self->{closed};
    $self->{closed} = 1;
    if ($self->{native}) { PerlLambda::Host::_stream_finish() }
    elsif ($self->{close}) { $self->{close}->() }
    return 1;
}

1;
__END__

=encoding utf-8

=head1 NAME

AWS::Lambda::ResponseWriter - the writer of a streamed Lambda response

=head1 SYNOPSIS

    sub handle {
        my ($payload, $context) = @_;
        return sub {
            my $responder = shift;
            my $writer = $responder->('text/plain');
            $writer->write("chunk $_\n") for 1 .. 3;
            $writer->close;
        };
    }

Writing after C<close> dies; closing twice is a no-op; a handler that returns without closing is closed
for it; a C<die> after the first write ends the stream with Lambda's error trailers.

=cut
