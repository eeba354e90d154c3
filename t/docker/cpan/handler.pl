# Needs a non-core module, declared in the cpanfile. The test vendors it into local/lib/perl5 (no CPAN
# mirror is reachable there); `cpanm --installdeps -L local .` finds it satisfied, as it would after a
# `carton install` committed with the function.
use strict;
use warnings;
use Try::Tiny;

sub handle {
    my ($payload) = @_;
    my $r = try { die "boom\n" } catch { "caught $_" };
    chomp $r;
    return { module => 'Try::Tiny', version => $Try::Tiny::VERSION, from => $INC{'Try/Tiny.pm'}, strict => $INC{'strict.pm'},
             result => $r };
}
1;
