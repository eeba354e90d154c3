# A .psgi file as the handler (_HANDLER=psgi_app.psgi) inside the bootstrap, with nothing installed: every front
# door's events through `perl-lambda serve`'s Invoke API, and under the real AWS RIE when it is available.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use Test::More;
use ServeHelper;
use PSGIEvents;
use PSGICases;

my $handlers = "$FindBin::Bin/../handlers";

# invoke(JSON bytes) → result bytes, for one runtime host
sub matrix_through {
    my ($invoke) = @_;
    my $call = sub { PSGIEvents::json_decode($invoke->(PSGIEvents::json_encode(PSGIEvents::event(@_)))) };
    for my $type (@PSGIEvents::TYPES) {
        subtest $type => sub {
            PSGICases::matrix($type, sub { PSGIEvents::response($_[0], $call->(@_)) }, single_cookie_headers => sub {
                my %h = %{ $call->($type, path => $_[0])->{headers} };
                return map { $h{$_} } sort grep { lc eq 'set-cookie' } keys %h;
            });
        };
    }
}

subtest 'perl-lambda serve, Invoke API' => sub {
    my $s = ServeHelper->start('--task-root', $handlers, 'psgi_app.psgi');
    matrix_through(sub {
        my $r = $s->request(POST => '/2015-03-31/functions/function/invocations', [ 'Content-Type' => 'application/json' ], $_[0]);
        die "function error: $r->{body}\n" if ServeHelper::header($r, 'x-amz-function-error');
        return $r->{body};
    });
    unlike $s->log, qr/Runtime\.\w+Error|Can't locate/, 'no init or runtime errors';
    $s->stop;
};

subtest 'the real AWS RIE' => sub {
    my $rie = "$FindBin::Bin/../../.cache/bin/aws-lambda-rie";
    plan skip_all => 'no RIE (scripts/fetch-rie.sh)' unless -x $rie;
    require PerlLambdaTest;
    local $ENV{PERL_LAMBDA_BOOTSTRAP} = $ENV{PERL_LAMBDA_BOOTSTRAP}
        // (ServeHelper::bin() =~ s{/perl-lambda$}{/bootstrap}r);
    my $fn = PerlLambdaTest->start(handler => 'psgi_app.psgi');
    matrix_through(sub { $fn->invoke_raw($_[0])->{content} });
    $fn->stop;
};

subtest 'init errors of .psgi handlers' => sub {
    my $s = ServeHelper->start('--task-root', $handlers, 'no_such_app.psgi');
    my $r = $s->request(POST => '/2015-03-31/functions/function/invocations', [], '{}');
    is ServeHelper::header($r, 'x-amz-function-error'), 'Unhandled', 'a missing .psgi is an init error';
    like $r->{body}, qr/no_such_app\.psgi/, 'naming the file';
    $s->stop;
};

done_testing;
