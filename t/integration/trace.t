# _X_AMZN_TRACE_ID under the RIE: it is set only during an invocation (from Lambda-Runtime-Trace-Id) and
# never leaks from one invocation into the next.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use PerlLambdaTest;

my $sent = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
my $fn = PerlLambdaTest->start(handler => 'trace.handle', env => { _X_AMZN_TRACE_ID => 'Root=from-the-environment' });

my $r1 = $fn->invoke({ set => 'Root=set-by-the-handler' }, 'X-Amzn-Trace-Id' => $sent);
my $t1 = $r1->{data} or BAIL_OUT("no result: $r1->{content}");
is $t1->{at_load}, 'Root=from-the-environment', 'at load time the process environment is untouched';
if (defined $t1->{trace_id}) {
    is $t1->{trace_id}, $sent, 'the RIE forwarded X-Amzn-Trace-Id: the context has it';
    is $t1->{value}, $sent, '$ENV{_X_AMZN_TRACE_ID} is the invocation\'s';
    is $t1->{child}, $sent, 'and child processes see it';
} else {
    note 'this RIE does not forward X-Amzn-Trace-Id (no Lambda-Runtime-Trace-Id header)';
    is $t1->{value}, undef, 'no trace id for this invocation: $ENV{_X_AMZN_TRACE_ID} unset (not the process\'s)';
    is $t1->{exists}, 0, 'not even present in %ENV';
    is $t1->{child}, '', 'child processes do not see one either';
}

my $r2 = $fn->invoke({});
my $t2 = $r2->{data};
is $t2->{value}, undef, 'what the handler set during invocation 1 is gone in invocation 2';
is $t2->{child}, '', 'also for child processes';
is $t2->{trace_id}, undef, 'no trace id sent, none in the context';

done_testing;
