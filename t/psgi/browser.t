# One page of a PSGI app opened in headless Chromium through `perl-lambda serve --function-url`: the HTML, its
# stylesheet and a binary image are each a Function URL invocation. The screenshot is checked: its size and the
# colours the stylesheet and the image paint where they should be.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use ServeHelper;

my ($chromium) = grep { system("command -v $_ >/dev/null 2>&1") == 0 } qw(chromium chromium-browser google-chrome);
plan skip_all => 'no chromium (scripts/setup.sh installs it)' unless $chromium;
plan skip_all => 'no ImageMagick convert' if system('command -v convert >/dev/null 2>&1') != 0;

my $tmp = tempdir(CLEANUP => 1);
my $s = ServeHelper->start('--function-url', '--task-root', "$FindBin::Bin/../handlers", 'psgi_app.psgi');
my $shot = "$tmp/page.png";
my @cmd = ($chromium, '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars',
           '--no-first-run', '--user-data-dir=' . "$tmp/profile", '--window-size=800,600', "--screenshot=$shot",
           $s->url . '/page');
my $out = `timeout 90 @cmd 2>&1`;
ok -s $shot, 'chromium wrote a screenshot' or diag $out;

sub pixel {
    my ($x, $y) = @_;
    my $p = `convert '$shot' -format '%[pixel:p{$x,$y}]' info: 2>&1`;
    return $p =~ /\((\d+),(\d+),(\d+)/ ? [ $1, $2, $3 ] : $p =~ /#([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})/ ? [ map { hex } $1, $2, $3 ] : [ $p ];
}
sub near {
    my ($got, $want, $name) = @_;
    my $ok = @$got == 3 && !grep { abs($got->[$_] - $want->[$_]) > 12 } 0 .. 2;
    ok $ok, $name or diag "got (@$got), want (@$want)";
}

my ($w, $h) = split ' ', `convert '$shot' -format '%w %h' info:`;
is "$w x $h", '800 x 600', 'screenshot size';
near pixel(20, 20), [ 200, 30, 30 ], 'page background from style.css (red)';
near pixel(200, 175), [ 30, 60, 200 ], 'the box from style.css (blue)';
near pixel(430, 120), [ 0, 160, 0 ], 'the BMP image served base64 through the Function URL (green)';
near pixel(700, 500), [ 200, 30, 30 ], 'background elsewhere';

my @paths = $s->log =~ /^START RequestId/mg;
ok @paths >= 3, 'page, stylesheet and image were each an invocation (' . scalar(@paths) . ')';
$s->stop;
done_testing;
