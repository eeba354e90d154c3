# Handler output under the RIE: text (in order, per request), AWS_LAMBDA_LOG_FORMAT=JSON lines,
# AWS_LAMBDA_LOG_LEVEL filtering.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use PerlLambdaTest;

my $json = PerlLambdaTest::json();
my @expected_text = map { $_ % 2 ? "line $_ stdout" : "line $_ stderr" } 1 .. 6;

subtest 'text format: stdout and stderr lines in order, inside the request' => sub {
    my $fn = PerlLambdaTest->start(handler => 'logging.handle');
    for my $round (1 .. 2) {
        my $r = $fn->invoke({ lines => 6 });
        is_deeply $r->{data}, { printed => 6 }, "round $round: result";
        my $id = ($fn->request_ids)[-1];
        my $section = $fn->request_log($id);
        ok defined $section, "round $round: START/END section for $id" or next;
        my @lines = grep { !/\(rapid\)/ } split /\n/, $section;
        is_deeply \@lines, [ (map { "$_ $id" } @expected_text), "warned $id" ],
            "round $round: all lines, in the order printed (stdout unbuffered), between START and END";
    }
};

subtest 'JSON format' => sub {
    my $fn = PerlLambdaTest->start(handler => 'logging.handle', env => { AWS_LAMBDA_LOG_FORMAT => 'JSON' });
    $fn->invoke({ lines => 6 });
    my $id = ($fn->request_ids)[-1];
    my @lines = grep { !/\(rapid\)/ } split /\n/, $fn->request_log($id) // '';
    is scalar(@lines), 7, 'seven lines';
    my @records = map { eval { $json->decode($_) } } @lines;
    is scalar(@records), 7, 'every line is JSON' or diag join "\n", @lines;
    for my $rec (@records) {
        is_deeply [ sort keys %$rec ], [qw(level message requestId timestamp)], 'the four fields' or last;
    }
    is_deeply [ map { $_->{requestId} } @records ], [ ($id) x 7 ], 'requestId is the invocation\'s';
    like $_->{timestamp}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'ISO 8601 timestamp' for $records[0];
    my %level = map { $_->{message} => $_->{level} } @records;
    is_deeply \%level, { (map { ("$_ $id" => /stdout/ ? 'INFO' : 'ERROR') } @expected_text), "warned $id" => 'ERROR' },
        'stdout lines INFO, stderr lines ERROR, messages without the newline';
    my @stdout = grep { /stdout/ } map { $_->{message} } @records;
    my @stderr = grep { /stderr|warned/ } map { $_->{message} } @records;
    is_deeply \@stdout, [ map { "$_ $id" } grep { /stdout/ } @expected_text ], 'stdout lines in order';
    is_deeply \@stderr, [ (map { "$_ $id" } grep { /stderr/ } @expected_text), "warned $id" ], 'stderr lines in order';
    is_deeply [ map { $_->{message} } @records ], [ (map { "$_ $id" } @expected_text), "warned $id" ],
        'stdout and stderr lines interleaved in the order printed';

    # the runtime's own messages are JSON too, with the request id
    my $e = PerlLambdaTest->start(handler => 'errors.handle', env => { AWS_LAMBDA_LOG_FORMAT => 'JSON' });
    $e->invoke({ kind => 'die_string' });
    $e->invoke({ kind => 'exit_three' });
    my @ids = $e->request_ids;
    my @err = map { eval { $json->decode($_) } } grep { /^\{/ } split /\n/, $e->request_log($ids[0]) // '';
    ok((grep { $_->{message} eq 'something went wrong' && $_->{level} eq 'ERROR' && $_->{requestId} eq $ids[0] } @err),
        'the printed handler error is a JSON ERROR line of its request') or diag explain \@err;
    my @exit = map { eval { $json->decode($_) } } grep { /^\{/ } split /\n/, $e->request_log($ids[1]) // '';
    ok((grep { $_->{message} =~ /exit\(3\)/ && $_->{requestId} eq $ids[1] } @exit), 'so is the exit notice')
        or diag explain \@exit;
    my @plain = grep { !/\(rapid\)/ && !/^\{/ } split /\n/, $e->log;
    @plain = grep { !/^(START|END|REPORT) RequestId/ } @plain;
    is_deeply \@plain, [], 'no plain-text runtime lines in JSON mode';
};

subtest 'AWS_LAMBDA_LOG_LEVEL=ERROR suppresses INFO lines' => sub {
    my $fn = PerlLambdaTest->start(handler => 'logging.handle',
        env => { AWS_LAMBDA_LOG_FORMAT => 'JSON', AWS_LAMBDA_LOG_LEVEL => 'ERROR' });
    my $r = $fn->invoke({ lines => 6 });
    is_deeply $r->{data}, { printed => 6 }, 'the handler still runs';
    my $id = ($fn->request_ids)[-1];
    my @records = map { eval { $json->decode($_) } // { bad => $_ } } grep { !/\(rapid\)/ } split /\n/, $fn->request_log($id) // '';
    is_deeply [ map { $_->{message} } @records ], [ (map { "$_ $id" } grep { /stderr/ } @expected_text), "warned $id" ],
        'only the ERROR (stderr) lines remain';
    is_deeply [ grep { ($_->{level} // '') ne 'ERROR' } @records ], [], 'no INFO lines';
};

subtest 'AWS_LAMBDA_LOG_LEVEL=DEBUG keeps INFO lines' => sub {
    my $fn = PerlLambdaTest->start(handler => 'logging.handle',
        env => { AWS_LAMBDA_LOG_FORMAT => 'JSON', AWS_LAMBDA_LOG_LEVEL => 'DEBUG' });
    $fn->invoke({ lines => 2 });
    my $id = ($fn->request_ids)[-1];
    my @records = map { eval { $json->decode($_) } // {} } grep { !/\(rapid\)/ } split /\n/, $fn->request_log($id) // '';
    is_deeply [ sort map { $_->{level} // '?' } @records ], [qw(ERROR ERROR INFO)], 'INFO and ERROR lines';
};

done_testing;
