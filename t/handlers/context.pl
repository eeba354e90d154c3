use strict;
use warnings;
use Time::HiRes ();

# Reports every method of the context (env-backed ones may die: reported as { died => MESSAGE }).
sub handle {
    my ($payload, $context) = @_;
    my %r = (class => ref($context), now_ms => int(Time::HiRes::time() * 1000));
    for my $m (qw(aws_request_id deadline_ms get_remaining_time_in_millis invoked_function_arn function_name
                  function_version memory_limit_in_mb log_group_name log_stream_name identity client_context
                  tenant_id)) {
        my $v = eval { $context->$m };
        $r{$m} = $@ ? { died => "$@" } : $v;
    }
    $r{same_as_global} = (defined $AWS::Lambda::context && $AWS::Lambda::context == $context) ? 1 : 0;
    return \%r;
}

1;
