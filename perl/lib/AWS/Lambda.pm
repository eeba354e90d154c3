package AWS::Lambda;
use 5.026000;
use strict;
use warnings;

our $VERSION = "0.10.0";

# The AWS::Lambda::Context of the invocation being served (undef between invocations).
our $context;

1;
__END__

=encoding utf-8

=head1 NAME

AWS::Lambda - Perl handlers on AWS Lambda, served by the perl-lambda runtime

=head1 SYNOPSIS

    # handler.pl
    use AWS::Lambda;

    sub handle {
        my ($payload, $context) = @_;
        # $AWS::Lambda::context is the same object as $context while a request is served
        return +{ hello => "lambda" };
    }
    1;

=head1 DESCRIPTION

perl-lambda's C<bootstrap> provides this package itself: C<use AWS::Lambda;> works in a function with
nothing installed from CPAN. To unit-test handlers with plain C<perl> or C<prove>, put this distribution's
C<perl/lib> on C<@INC> (C<prove -I/path/to/perl-lambda/perl/lib t/>) or install it with C<make install-perl-lib>.

=cut
