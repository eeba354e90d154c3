use strict;
use warnings;
use Time::HiRes ();

# Streaming handlers at their edges; the event's "case" picks one (t/psgi/streaming.t).
our $KEPT;    # a writer kept across invocations
my %cases = (
    timed => sub {
        my ($p) = @_;
        return sub {
            my $w = $_[0]->('text/plain');
            for my $i (1 .. ($p->{n} // 4)) {
                $w->write(sprintf "chunk %d %.3f\n", $i, Time::HiRes::time());
                Time::HiRes::sleep($p->{pause} // 0.3);
            }
            $w->close;
        };
    },
    die_mid_stream => sub { sub { my $w = $_[0]->('text/plain'); $w->write("partial\n"); die "boom mid-stream\n" } },
    die_before_responder => sub { sub { die "boom before\n" } },
    never_responds => sub { sub { return } },
    write_after_close => sub { sub { my $w = $_[0]->('text/plain'); $w->write("done\n"); $w->close; $w->write("late\n") } },
    close_twice => sub { sub { my $w = $_[0]->('text/plain'); $w->write("once\n"); $w->close; $w->close } },
    left_open => sub { sub { my $w = $_[0]->('text/plain'); $w->write("open\n") } },
    responder_twice => sub { sub { my $w = $_[0]->('text/plain'); $w->write("first\n"); $_[0]->('text/plain') } },
    keep_writer => sub { sub { $KEPT = $_[0]->('text/plain'); $KEPT->write("kept\n"); $KEPT->close } },
    use_kept_writer => sub { $KEPT->write("from the past\n"); return { wrote => 1 } },
    wide_chars => sub { sub { my $w = $_[0]->('text/plain'); $w->write("caf\x{e9} \x{2713}\n") } },
);

sub handle {
    my ($payload) = @_;
    my $case = $cases{ $payload->{case} // 'timed' } or die "unknown case\n";
    return $case->($payload);
}
1;
