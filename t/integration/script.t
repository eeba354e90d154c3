# bootstrap --script FILE runs a perl script in the embedded interpreter with the runtime's modules.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use File::Temp qw(tempdir);
use PerlLambdaTest;

my $bootstrap = PerlLambdaTest::bootstrap_path();
my $dir = tempdir(CLEANUP => 1);
open my $fh, '>', "$dir/s.pl" or die;
print $fh <<'PL';
use strict; use warnings;
use AWS::Lambda; use AWS::Lambda::Context; use AWS::Lambda::ResponseWriter;
my $c = AWS::Lambda::Context->new(deadline_ms => 1000 * (time + 5), aws_request_id => 'rid');
printf "%s %s %d %s\n", $AWS::Lambda::VERSION, $c->aws_request_id, $c->get_remaining_time_in_millis > 0, "@ARGV";
exit 3 if $ARGV[0] eq 'exit';
die "died\n" if $ARGV[0] eq 'die';
PL
close $fh;

my $out = `'$bootstrap' --script '$dir/s.pl' a b 2>&1`;
is $?, 0, 'exit status 0';
like $out, qr/^\d+\.\d+\.\d+ rid 1 a b$/, 'modules load, arguments passed';
$out = `'$bootstrap' --script '$dir/s.pl' exit 2>&1`;
is $? >> 8, 3, 'exit code propagates';
$out = `'$bootstrap' --script '$dir/s.pl' die 2>&1`;
isnt $? >> 8, 0, 'die exits non-zero';
like $out, qr/^died$/m, 'and prints the error';
done_testing;
