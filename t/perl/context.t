# AWS::Lambda::Context as a user builds it in unit tests (prove -I perl/lib t/perl/).
use strict;
use warnings;
use Test::More;
use Time::HiRes ();
use AWS::Lambda::Context;

my $deadline = int(Time::HiRes::time() * 1000) + 3000;
my $ctx = AWS::Lambda::Context->new(
    deadline_ms          => $deadline,
    aws_request_id       => 'req-1',
    invoked_function_arn => 'arn:aws:lambda:us-east-1:123456789012:function:f',
    trace_id             => 'Root=1-abc',
    tenant_id            => 'tenant-7',
    identity             => { cognito_identity_id => 'id-1' },
    client_context       => { custom => { k => 'v' } },
);
isa_ok $ctx, 'AWS::Lambda::Context';
is $ctx->aws_request_id, 'req-1', 'aws_request_id';
is $ctx->deadline_ms, $deadline, 'deadline_ms';
is $ctx->invoked_function_arn, 'arn:aws:lambda:us-east-1:123456789012:function:f', 'invoked_function_arn';
is $ctx->trace_id, 'Root=1-abc', 'trace_id';
is $ctx->tenant_id, 'tenant-7', 'tenant_id';
is_deeply $ctx->identity, { cognito_identity_id => 'id-1' }, 'identity';
is_deeply $ctx->client_context, { custom => { k => 'v' } }, 'client_context';

my $remaining = $ctx->get_remaining_time_in_millis;
cmp_ok $remaining, '>', 2000, 'remaining time > 2 s';
cmp_ok $remaining, '<=', 3000, 'remaining time <= 3 s';
Time::HiRes::sleep(0.05);
cmp_ok $ctx->get_remaining_time_in_millis, '<', $remaining, 'and it goes down';
my $past = AWS::Lambda::Context->new(deadline_ms => 1000);
cmp_ok $past->get_remaining_time_in_millis, '<', 0, 'negative once the deadline has passed';

subtest 'hash-ref constructor and defaults' => sub {
    my $c = AWS::Lambda::Context->new({ deadline_ms => '1234', aws_request_id => 'r' });
    is $c->deadline_ms, 1234, 'deadline_ms from a hash ref';
    is $c->aws_request_id, 'r', 'aws_request_id from a hash ref';
    is $c->invoked_function_arn, '', 'invoked_function_arn defaults to ""';
    is $c->tenant_id, undef, 'tenant_id defaults to undef';
    is $c->identity, undef, 'identity defaults to undef';
    is $c->client_context, undef, 'client_context defaults to undef';
    is(AWS::Lambda::Context->new(deadline_ms => 1)->aws_request_id, '', 'aws_request_id defaults to ""');
    my $clone = $c->new(deadline_ms => 5);
    isa_ok $clone, 'AWS::Lambda::Context', 'new on an instance';
};

subtest 'deadline_ms is required' => sub {
    ok !eval { AWS::Lambda::Context->new(aws_request_id => 'x'); 1 }, 'dies without deadline_ms';
    like $@, qr/deadline_ms is required/, 'with a clear message';
};

subtest 'environment-backed methods' => sub {
    local %ENV = %ENV;
    local @ENV{qw(AWS_LAMBDA_FUNCTION_NAME AWS_LAMBDA_FUNCTION_VERSION AWS_LAMBDA_FUNCTION_MEMORY_SIZE
                  AWS_LAMBDA_LOG_GROUP_NAME AWS_LAMBDA_LOG_STREAM_NAME)}
        = ('fn', '3', '256', '/aws/lambda/fn', 'stream');
    is $ctx->function_name, 'fn', 'function_name';
    is $ctx->function_version, '3', 'function_version';
    is $ctx->memory_limit_in_mb, 256, 'memory_limit_in_mb';
    is $ctx->log_group_name, '/aws/lambda/fn', 'log_group_name';
    is $ctx->log_stream_name, 'stream', 'log_stream_name';
    $ENV{AWS_LAMBDA_FUNCTION_NAME} = 'changed';
    is $ctx->function_name, 'changed', 'read from the environment at call time';

    for my $m (qw(function_name function_version memory_limit_in_mb log_group_name log_stream_name)) {
        my %var = (function_name => 'AWS_LAMBDA_FUNCTION_NAME', function_version => 'AWS_LAMBDA_FUNCTION_VERSION',
                   memory_limit_in_mb => 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', log_group_name => 'AWS_LAMBDA_LOG_GROUP_NAME',
                   log_stream_name => 'AWS_LAMBDA_LOG_STREAM_NAME');
        local $ENV{ $var{$m} };
        delete $ENV{ $var{$m} };
        ok !eval { $ctx->$m; 1 }, "$m dies when $var{$m} is unset";
        like $@, qr/\Q$m\E is not found/, "$m: '$m is not found'";
    }
};

done_testing;
