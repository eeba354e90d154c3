# The runtime works as an unprivileged user (Lambda runs runtimes as one). Regression guard: the NIO client in
# df28f86 set TCP_NODELAY with ChannelOptions.socketOption, i.e. at SOL_SOCKET level, which is SO_DEBUG and
# needs CAP_NET_ADMIN, so a non-root runtime could not connect to the Runtime API at all.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use PerlLambdaTest;

plan skip_all => 'needs root to switch to an unprivileged user' if $> != 0;
chomp(my $setpriv = `sh -c 'command -v setpriv'`);
plan skip_all => 'needs setpriv (util-linux)' unless $setpriv;
my $uid = 65534;    # nobody
plan skip_all => "the handlers directory is not readable by uid $uid"
    if system($setpriv, "--reuid=$uid", "--regid=$uid", '--clear-groups', 'test', '-r',
              PerlLambdaTest::handlers_dir() . '/state.pl') != 0;

my $fn = PerlLambdaTest->start(handler => 'state.handle',
    runtime_prefix => [ $setpriv, "--reuid=$uid", "--regid=$uid", '--clear-groups' ]);
my $r = $fn->invoke({});
is $r->{status}, 200, 'served' or diag $r->{content};
is $r->{data}{count}, 1, 'the handler ran' or diag $fn->log;
unlike $fn->log, qr/cannot reach the Runtime API/, 'the runtime reached the Runtime API';
my $pid = $fn->runtime_pid;
my ($ruid) = `ps -o ruid= -p $pid` =~ /(\d+)/ if $pid;
is $ruid, $uid, "the runtime ran as uid $uid";
done_testing;
