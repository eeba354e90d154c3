package AWS::Lambda::Bootstrap;
# AWS::Lambda's entry point, kept for Dockerfiles written for it:
#
#   ENTRYPOINT [ "/usr/local/bin/perl", "-MAWS::Lambda::Bootstrap", "-e", "bootstrap(@ARGV)" ]
#
# bootstrap(@ARGV) hands over to the perl-lambda bootstrap: it execs it with the same arguments (the handler)
# and environment, so the function runs in perl-lambda's runtime, not in this perl. The bootstrap is looked up
# on PATH, then in /usr/local/bin, /var/runtime and /opt; a file there counts only when it is perl-lambda's
# (its binary, or the launcher of a layer or function zip), so AWS::Lambda's own /opt/bootstrap, which runs
# this very line, is never exec'd in a loop.
#
# Outside Lambda (no AWS_LAMBDA_RUNTIME_API: `docker run -p 9000:8080 IMAGE`) it execs /lambda-entrypoint.sh
# instead, when the image has one, as that image's own ENTRYPOINT would run: perl-lambda's images then answer
# the Invoke API on port 8080 (`perl-lambda serve` with this bootstrap), AWS's provided images run their RIE.
#
# Inside the perl-lambda bootstrap (where PerlLambda::Host is loaded) `use AWS::Lambda::Bootstrap` is
# harmless, as it is never needed there; calling bootstrap() there dies.
use strict;
use warnings;

our $VERSION = '0.1.0';
our @EXPORT = ('bootstrap');
our @SEARCH = ('/usr/local/bin', '/var/runtime', '/opt');

sub import {
    my ($class, @names) = @_;
    my $caller = caller;
    for my $name (@names ? @names : @EXPORT) {
        die "AWS::Lambda::Bootstrap exports only bootstrap, not $name\n" unless $name eq 'bootstrap';
        no strict 'refs';
        *{"${caller}::bootstrap"} = \&bootstrap;
    }
}

# The perl-lambda bootstrap: the first candidate that is perl-lambda's, or undef.
sub find_bootstrap {
    my @dirs = ((grep { length } split /:/, $ENV{PATH} // ''), @SEARCH);
    for my $dir (@dirs) {
        my $path = "$dir/bootstrap";
        return $path if -f $path && -x _ && is_perl_lambda($path);
    }
    return undef;
}

# perl-lambda's bootstrap binary carries its version string ("perl-lambda bootstrap 0.1.0"); the launcher of a
# layer or function zip (a sh script) says it is the perl-lambda runtime. Reading a 14 MB binary for the
# marker takes about 5 ms, once per cold start of such an image.
sub is_perl_lambda {
    my ($path) = @_;
    open my $fh, '<:raw', $path or return 0;
    my ($tail, $first) = ('', 1);
    local $/ = \(1 << 20);
    while (defined(my $chunk = <$fh>)) {
        my $text = $tail . $chunk;
        if ($first) {
            return $text =~ /\A#![^\n]*\n# perl-lambda runtime/ ? 1 : 0 if substr($text, 0, 2) eq '#!';
            return 0 unless substr($text, 0, 4) eq "\x7fELF";
            $first = 0;
        }
        return 1 if index($text, 'perl-lambda bootstrap ') >= 0;
        $tail = substr($text, -32);
    }
    return 0;
}

sub bootstrap {
    die "AWS::Lambda::Bootstrap::bootstrap: this is already the perl-lambda bootstrap, which runs the handler itself\n"
        if defined &PerlLambda::Host::load;
    our $ENTRYPOINT //= '/lambda-entrypoint.sh';
    if (!length($ENV{AWS_LAMBDA_RUNTIME_API} // '') && -x $ENTRYPOINT) {
        exec { $ENTRYPOINT } $ENTRYPOINT, @_;
        die "AWS::Lambda::Bootstrap: cannot run $ENTRYPOINT: $!\n";
    }
    my $path = find_bootstrap()
        // die "AWS::Lambda::Bootstrap: no perl-lambda bootstrap found (looked on PATH and in "
             . join(', ', @SEARCH) . "): install perl-lambda's bootstrap there (images/build.sh, or COPY it into "
             . "/usr/local/bin), or set ENTRYPOINT to it\n";
    exec { $path } $path, @_;
    die "AWS::Lambda::Bootstrap: cannot run $path: $!\n";
}

1;
