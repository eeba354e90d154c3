# Runs in the image built by images/source.Dockerfile on the perl:5.40-slim stand-in: reports which perl the
# bootstrap embeds, where its core modules come from, and that a die and JSON booleans still work there.
use strict;
use warnings;
use JSON::PP ();

sub handle {
    my ($payload, $context) = @_;
    die "boom from perl $^V\n" if $payload->{die};
    return +{ perl => sprintf("%vd", $^V), strict => $INC{'strict.pm'}, flag => JSON::PP::true,
              request_id => $context->aws_request_id };
}

1;
