# Every AWS::Lambda::Context method as a handler sees it under the RIE.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes ();
use PerlLambdaTest;

my %env = (
    AWS_LAMBDA_FUNCTION_NAME        => 'ctx-fn',
    AWS_LAMBDA_FUNCTION_VERSION     => '42',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE => '512',
    AWS_LAMBDA_LOG_GROUP_NAME       => '/aws/lambda/ctx-fn',
    AWS_LAMBDA_LOG_STREAM_NAME      => '2026/11/29/[42]abcdef',
    AWS_LAMBDA_FUNCTION_TIMEOUT     => '30',    # the RIE's deadline
    AWS_REGION                      => 'eu-west-1',
);
my $fn = PerlLambdaTest->start(handler => 'context.handle', env => \%env);

my $before = Time::HiRes::time() * 1000;
my $r = $fn->invoke({});
my $after = Time::HiRes::time() * 1000;
my $c = $r->{data} or BAIL_OUT("no result: $r->{content}");
my ($start_id) = $fn->request_ids;

is $c->{class}, 'AWS::Lambda::Context', 'context class';
like $c->{aws_request_id}, qr/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'aws_request_id is a uuid';
is $c->{aws_request_id}, $start_id, 'and the one of the RIE\'s START line';
is $c->{function_name}, 'ctx-fn', 'function_name';
is $c->{function_version}, '42', 'function_version';
is $c->{memory_limit_in_mb}, 512, 'memory_limit_in_mb';
like $r->{content}, qr/"memory_limit_in_mb":512[,}]/, 'memory_limit_in_mb is a number';
is $c->{log_group_name}, '/aws/lambda/ctx-fn', 'log_group_name';
is $c->{log_stream_name}, '2026/11/29/[42]abcdef', 'log_stream_name';
like $c->{invoked_function_arn}, qr/^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:ctx-fn$/, 'invoked_function_arn (the RIE makes one up)';
is $c->{identity}, undef, 'identity: none sent';
is $c->{client_context}, undef, 'client_context: none sent';
is $c->{tenant_id}, undef, 'tenant_id: none sent';
is $c->{same_as_global}, 1, '$AWS::Lambda::context is the same object';

# deadline: the RIE sets now + 30 s
my $deadline = $c->{deadline_ms};
like $deadline, qr/^\d{13}$/, 'deadline_ms is epoch milliseconds';
cmp_ok $deadline, '>', $before + 25_000, 'deadline about 30 s ahead (lower bound)';
cmp_ok $deadline, '<=', $after + 30_000 + 1000, 'deadline about 30 s ahead (upper bound)';
my $remaining = $c->{get_remaining_time_in_millis};
cmp_ok $remaining, '>', 25_000, 'remaining time > 25 s';
cmp_ok $remaining, '<=', 30_000, 'remaining time <= 30 s';
cmp_ok abs(($deadline - $c->{now_ms}) - $remaining), '<', 50, 'remaining = deadline - now (as the handler measured)';

# a second invoke gets a new id and a new deadline
my $c2 = $fn->invoke({})->{data};
isnt $c2->{aws_request_id}, $c->{aws_request_id}, 'each invocation has its own request id';
cmp_ok $c2->{deadline_ms}, '>=', $deadline, 'and its own deadline';
is_deeply [ $fn->request_ids ], [ $c->{aws_request_id}, $c2->{aws_request_id} ], 'ids match the RIE\'s START lines in order';

done_testing;
