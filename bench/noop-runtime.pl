#!/usr/bin/perl
# The floor for warm-invoke benchmarks: a Runtime API client that does nothing but GET /next and
# POST "{}" back over one raw keep-alive socket. No JSON, no HTTP library.
use strict;
use warnings;
use IO::Socket::INET;

my ($host, $port) = split /:/, $ENV{AWS_LAMBDA_RUNTIME_API} // die "AWS_LAMBDA_RUNTIME_API not set\n";
my $sock = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Proto => 'tcp') or die "connect: $!\n";
$sock->setsockopt(6, 1, 1); # TCP_NODELAY
my $buf = '';

sub read_response {
    my ($headers, $len);
    while (1) {
        if (!defined $headers && (my $end = index($buf, "\r\n\r\n")) >= 0) {
            $headers = substr($buf, 0, $end + 4, '');
            ($len) = $headers =~ /^content-length:\s*(\d+)/mi;
            $len //= 0;
        }
        if (defined $headers && length($buf) >= $len) {
            my $body = substr($buf, 0, $len, '');
            return ($headers, $body);
        }
        sysread($sock, $buf, 65536, length $buf) or die "runtime api closed\n";
    }
}

while (1) {
    syswrite $sock, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: $host\r\n\r\n";
    my ($h) = read_response();
    my ($id) = $h =~ /^lambda-runtime-aws-request-id:\s*(\S+)/mi;
    syswrite $sock, "POST /2018-06-01/runtime/invocation/$id/response HTTP/1.1\r\nHost: $host\r\nContent-Length: 2\r\n\r\n{}";
    read_response();
}
