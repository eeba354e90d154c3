# use AWS::Lambda works with plain perl and provides $AWS::Lambda::context.
use strict;
use warnings;
use Test::More;

use_ok 'AWS::Lambda';
use_ok 'AWS::Lambda::Context';
use_ok 'AWS::Lambda::ResponseWriter';
like $AWS::Lambda::VERSION, qr/^\d+\.\d+\.\d+$/, "version $AWS::Lambda::VERSION";
is $AWS::Lambda::context, undef, '$AWS::Lambda::context is undef outside an invocation';

# a handler that uses the global the way AWS::Lambda documents it
my $handler = sub { return +{ id => $AWS::Lambda::context->aws_request_id, arg => $_[1]->aws_request_id } };
my $ctx = AWS::Lambda::Context->new(deadline_ms => 1, aws_request_id => 'rid');
my $result = do { local $AWS::Lambda::context = $ctx; $handler->({}, $ctx) };
is_deeply $result, { id => 'rid', arg => 'rid' }, 'handlers can use $AWS::Lambda::context';
ok(!system($^X, (map { "-I$_" } @INC), '-e', 'use strict; use warnings FATAL => "all"; use AWS::Lambda; exit 0'),
   'loads cleanly under warnings FATAL');
done_testing;
