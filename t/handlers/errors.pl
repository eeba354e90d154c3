use strict;
use warnings;
use utf8;

package My::Exception {
    use overload '""' => sub { "My::Exception: $_[0]{message}" }, fallback => 1;
    sub new { my ($class, %args) = @_; bless {%args}, $class }
    sub throw { my $class = shift; die $class->new(@_) }
}

package My::PlainError {
    sub new { bless { code => 7 }, shift }
}

package My::NoJSON {
    sub new { bless { secret => 1 }, shift }
}

package My::WithJSON {
    sub new { bless { value => 42 }, shift }
    sub TO_JSON { +{ to_json => $_[0]{value} } }
}

package main;

# One handler for every failure kind, chosen by { kind => ... }, so a single runtime process serves them
# one after another (which also shows it keeps serving). { kind => "ok" } reports the process id.
my %kinds = (
    ok              => sub { +{ ok => 1, pid => $$ } },
    die_string      => sub { die "something went wrong\n" },
    die_located     => sub { die "located failure" },                      # " at .../errors.pl line N.\n"
    die_unicode     => sub { die "Fehler: ünïcödé ☃\n" },
    die_object      => sub { My::Exception->throw(message => 'object failure', code => 500) },
    die_plain_obj   => sub { die My::PlainError->new },
    die_hashref     => sub { die +{ code => 42, reason => 'hash failure' } },
    die_arrayref    => sub { die [ 'array', 'failure' ] },
    die_nested      => sub { level1() },
    exit_zero       => sub { exit 0 },
    exit_three      => sub { exit 3 },
    blessed_no_json => sub { My::NoJSON->new },
    blessed_json    => sub { My::WithJSON->new },
    glob            => sub { +{ fh => \*STDOUT } },
    cycle           => sub { my $h = { name => 'cycle' }; $h->{self} = $h; $h },
    code_not_stream => sub { sub { 42 } },
    scalar_ref      => sub { \"scalar" },
);

sub level1 { level2() }
sub level2 { die "deep failure\n" }

sub handle {
    my ($payload, $context) = @_;
    my $kind = $payload->{kind} // 'ok';
    my $f = $kinds{$kind} or die "unknown kind $kind\n";
    return $f->($payload, $context);
}

1;
