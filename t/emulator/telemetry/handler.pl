# The function of t/emulator/test_telemetry.py: prints what the event asks for, so the test can find each line in
# the Telemetry API's function records.
use strict;
use warnings;

$| = 1;
print "init: telemetry handler loaded\n";

sub handle {
    my ($event, $context) = @_;
    my $lines = $event->{lines} // 2;
    print "line $_ of ", $context->aws_request_id, "\n" for 1 .. $lines;
    print STDERR "to stderr ", $context->aws_request_id, "\n";
    return { ok => 1, request_id => $context->aws_request_id };
}

1;
