# Real framework apps, unchanged: a Plack app (Plack::Request/Response, middleware) and a Mojolicious::Lite app,
# each served by plackup and by `perl-lambda serve --function-url` (the .psgi file as the handler); the same
# curl requests must get the same answers.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use Test::More;
use File::Temp qw(tempdir);
use POSIX ();
use Time::HiRes qw(sleep);
use IO::Socket::INET;
use ServeHelper;
use PerlLambdaTest qw(free_port);

plan skip_all => 'plackup and curl are needed (scripts/setup.sh)'
    if system('command -v plackup >/dev/null && command -v curl >/dev/null') != 0;
my $handlers = "$FindBin::Bin/../handlers";
my $tmp = tempdir(CLEANUP => 1);

sub curl {
    my ($url, @args) = @_;
    system('curl', '-s', '-S', '--max-time', '20', '-D', "$tmp/h", '-o', "$tmp/b", @args, $url) == 0 or return { status => 0 };
    my $head = do { local (@ARGV, $/) = "$tmp/h"; <> } // '';
    my $body = do { open my $fh, '<:raw', "$tmp/b" or return ''; local $/; <$fh> } // '';
    my ($status_line, @lines) = split /\r\n/, (split /\r\n\r\n/, $head)[-1];
    my %h;
    for (@lines) { my ($k, $v) = split /:\s*/, $_, 2; push @{ $h{ lc $k } }, $v }
    return { status => ($status_line =~ /(\d{3})/)[0], h => \%h, body => $body };
}

sub plackup {
    my ($app) = @_;
    my $port = free_port();
    my $pid = fork // die;
    if (!$pid) {
        open STDOUT, '>', "$tmp/plackup.log"; open STDERR, '>&', \*STDOUT;
        exec('plackup', '-E', 'deployment', '-s', 'HTTP::Server::PSGI', '--host', '127.0.0.1', '--port', $port, $app)
            or POSIX::_exit(127);
    }
    for (1 .. 200) { last if IO::Socket::INET->new("127.0.0.1:$port"); sleep 0.05 }
    return ($pid, "http://127.0.0.1:$port");
}

# What must be equal: status, body (with each server's own base URL replaced), cookies, content type, location.
sub view {
    my ($r, $base) = @_;
    my $strip = sub { my $s = shift // q(); $s =~ s/\Q$base\E/BASE/g; $s =~ s/Request ID: [\w-]+/Request ID: X/g; $s };
    return { status => $r->{status}, body => $strip->($r->{body}),
             cookies => [ sort map { $strip->($_) } @{ $r->{h}{'set-cookie'} // [] } ],
             type => $r->{h}{'content-type'}[0], location => $strip->($r->{h}{location}[0]) };
}

my $upload = "$tmp/upload.bin";
{ open my $fh, '>:raw', $upload or die; print $fh join '', map { chr(($_ * 31) % 256) } 0 .. 9999 }

my %requests = (
    'psgi_plack.psgi' => [
        [ '/' ], [ '/query?a=1&a=2&b=%E2%9C%93&c=x%20y' ], [ '/form', '--data', 'name=J%C3%BCrgen&x=1&x=2' ],
        [ '/upload', '-F', "file=\@$upload;type=application/octet-stream" ], [ '/login' ], [ '/home', '-H', 'Cookie: session=abc; theme=dark' ],
        [ '/stream' ], [ '/missing' ], [ '/', '-I' ],
    ],
    'psgi_mojo.psgi' => [
        [ '/' ], [ '/hello/w%C3%B6rld?q=1&q=2' ], [ '/echo', '-H', 'Content-Type: application/json', '--data', '{"a":[1,2]}' ],
        [ '/login' ], [ '/me', '-H', 'Cookie: user=alice; lang=perl' ], [ '/bytes' ],
        [ '/upload', '-F', "file=\@$upload" ], [ '/nope' ],
    ],
);

for my $app (sort keys %requests) {
    subtest $app => sub {
        plan skip_all => 'Mojolicious is not installed' if $app =~ /mojo/ && !eval { require Mojolicious; 1 };
        my ($pid, $plack_base) = plackup("$handlers/$app");
        my $s = ServeHelper->start('--function-url', '--task-root', $handlers, $app);
        for my $req (@{ $requests{$app} }) {
            my ($path, @args) = @$req;
            my $want = view(curl("$plack_base$path", @args), $plack_base);
            my $got = view(curl($s->url . $path, @args), $s->url);
            # curl -I writes the head into the body file; Function URLs answer application/json when the app sets no type
            delete @$_{qw(body)} for grep { grep { $_ eq '-I' } @args } $want, $got;
            $got->{type} = undef if !defined $want->{type} && ($got->{type} // '') eq 'application/json';
            is_deeply $got, $want, "@$req: same as under plackup" or diag explain { ours => $got, plackup => $want };
        }
        $s->stop;
        kill 'TERM', $pid;
        waitpid $pid, 0;
    };
}

done_testing;
