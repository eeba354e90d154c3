use strict;
use warnings;

# What a long-lived production function does on every invocation: reads its context (trace id, client context,
# identity, tenant), logs, sometimes streams, sometimes dies, sometimes asks a child process for the trace id.
my $served = 0;

sub handle {
    my ($payload, $context) = @_;
    $served++;
    my $kind = $payload->{kind} // 'plain';
    print "invocation $served ", $context->aws_request_id, "\n";
    warn "warned $served\n" if $served % 7 == 0;
    my %r = (
        n      => $served,
        trace  => $ENV{_X_AMZN_TRACE_ID},
        tenant => $context->tenant_id,
        custom => $context->client_context && $context->client_context->{custom}{n},
        ident  => $context->identity && $context->identity->{cognitoIdentityId},
        left   => $context->get_remaining_time_in_millis > 0 ? 1 : 0,
    );
    if ($kind eq 'child') {
        chomp($r{child} = `printenv _X_AMZN_TRACE_ID`);
    } elsif ($kind eq 'die') {
        die { code => $served };
    } elsif ($kind eq 'stream') {
        return sub {
            my $w = shift->('application/json');
            $w->write("[$served,");
            $w->write(qq("$r{trace}"]));
            $w->close;
        };
    }
    return \%r;
}

1;
