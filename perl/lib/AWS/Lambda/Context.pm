package AWS::Lambda::Context;
use 5.026000;
use strict;
use warnings;

# The per-invocation context handed to handlers as their second argument.
# The runtime builds it from the Runtime API's /next headers; tests may build one with new().

sub new {
    my $proto = shift;
    my $class = ref $proto || $proto;
    my %args = (@_ == 1 && ref $_[0] eq 'HASH') ? %{ $_[0] } : @_;
    my $deadline_ms = $args{deadline_ms} // die 'deadline_ms is required';
    return bless +{
        deadline_ms          => 0 + $deadline_ms,
        invoked_function_arn => $args{invoked_function_arn} // '',
        aws_request_id       => $args{aws_request_id} // '',
        trace_id             => $args{trace_id},
        tenant_id            => $args{tenant_id},
        identity             => $args{identity},
        client_context       => $args{client_context},
    }, $class;
}

sub get_remaining_time_in_millis {
    my $self = shift;
    require Time::HiRes;
    return $self->{deadline_ms} - Time::HiRes::time() * 1000;
}

sub deadline_ms          { $_[0]{deadline_ms} }
sub aws_request_id       { $_[0]{aws_request_id} }
sub invoked_function_arn { $_[0]{invoked_function_arn} }
sub trace_id             { $_[0]{trace_id} }
sub tenant_id            { $_[0]{tenant_id} }

# Decoded Lambda-Runtime-Cognito-Identity (a hash ref) or undef.
sub identity       { $_[0]{identity} }
# Decoded Lambda-Runtime-Client-Context (a hash ref) or undef.
sub client_context { $_[0]{client_context} }

sub function_name      { $ENV{AWS_LAMBDA_FUNCTION_NAME}        // die 'function_name is not found' }
sub function_version   { $ENV{AWS_LAMBDA_FUNCTION_VERSION}     // die 'function_version is not found' }
sub memory_limit_in_mb { 0 + ($ENV{AWS_LAMBDA_FUNCTION_MEMORY_SIZE} // die 'memory_limit_in_mb is not found') }
sub log_group_name     { $ENV{AWS_LAMBDA_LOG_GROUP_NAME}       // die 'log_group_name is not found' }
sub log_stream_name    { $ENV{AWS_LAMBDA_LOG_STREAM_NAME}      // die 'log_stream_name is not found' }

1;
__END__

=encoding utf-8

=head1 NAME

AWS::Lambda::Context - the context object of one Lambda invocation

=head1 SYNOPSIS

    sub handle {
        my ($payload, $context) = @_;
        return +{
            request_id   => $context->aws_request_id,
            remaining_ms => $context->get_remaining_time_in_millis,
            function     => $context->function_name,
        };
    }

    # in a unit test
    my $ctx = AWS::Lambda::Context->new(deadline_ms => 1000 * (time + 3), aws_request_id => 'test');

=head1 METHODS

C<aws_request_id>, C<deadline_ms>, C<get_remaining_time_in_millis>, C<invoked_function_arn>,
C<function_name>, C<function_version>, C<memory_limit_in_mb>, C<log_group_name>, C<log_stream_name>,
C<identity>, C<client_context>, C<tenant_id>, C<trace_id>. The environment-backed ones die when their
variable is not set, as AWS::Lambda's do.

=cut
