# AWS::Lambda::Bootstrap (prove -I perl/lib t/perl/): AWS::Lambda's ENTRYPOINT line
#   [ "/usr/local/bin/perl", "-MAWS::Lambda::Bootstrap", "-e", "bootstrap(@ARGV)" ]
# hands over to perl-lambda's bootstrap, with the same arguments and environment; other programs named
# bootstrap (AWS::Lambda's own /opt/bootstrap) are passed over; inside our bootstrap the module is harmless.
use strict;
use warnings;
use Test::More;
no warnings 'once';   # package variables of the module under test, read once
use File::Temp qw(tempdir);
use File::Basename qw(dirname);
use Cwd qw(abs_path);

my $root = abs_path(dirname(__FILE__) . '/../..');
my $lib = "$root/perl/lib";
my $tmp = tempdir(CLEANUP => 1);

sub write_exe {
    my ($path, $text) = @_;
    mkdir dirname($path);
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $text;
    close $fh;
    chmod 0755, $path;
    return $path;
}

# What the exec'd program saw: its arguments, one environment variable and its $0.
my $report = q{echo "args=$*|env=${SHIM_TEST-unset}|api=${AWS_LAMBDA_RUNTIME_API-unset}|me=$0"};
# a perl-lambda launcher (the first lines `perl-lambda package` writes into a layer / function zip)
my $ours = write_exe("$tmp/ours/bootstrap", "#!/bin/sh\n# perl-lambda runtime layer: Lambda runs /opt/bootstrap\n$report\n");
# AWS::Lambda's layer bootstrap: runs this very module again; exec'ing it would loop
write_exe("$tmp/theirs/bootstrap", "#!/bin/sh\nexec perl -MAWS::Lambda::Bootstrap -e 'bootstrap(\@ARGV)' \"\$@\"\n");
# a binary named bootstrap that is not ours (an ELF without the version marker), and one that is
write_exe("$tmp/elf-other/bootstrap", "\x7fELF" . ("\0" x 5000) . "some other runtime 1.0\0");
my $elf = write_exe("$tmp/elf-ours/bootstrap", "\x7fELF" . ("\0" x (1 << 20)) . "perl-lambda bootstrap 0.1.0\0");

sub shim {  # runs AWS::Lambda's ENTRYPOINT line line under plain perl, with PATH and extra settings
    my ($path, $pre, @args) = @_;
    local $ENV{PATH} = "$path:/usr/bin:/bin";
    local $ENV{SHIM_TEST} = 'kept';
    local $ENV{AWS_LAMBDA_RUNTIME_API} = '127.0.0.1:9001';
    my @cmd = ($^X, "-I$lib", '-MAWS::Lambda::Bootstrap', '-e',
               "\@AWS::Lambda::Bootstrap::SEARCH = (); $pre; bootstrap(\@ARGV)", @args);
    return run(@cmd);
}

sub run {  # (output with stderr, exit status) of a command run without a shell
    my @cmd = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) { open STDERR, '>&', \*STDOUT; exec { $cmd[0] } @cmd; die "exec $cmd[0]: $!\n" }
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    return ($out, $? >> 8);
}

{
    my ($out, $status) = shim("$tmp/theirs:$tmp/elf-other:$tmp/ours", '', 'handler.handle');
    is $out, "args=handler.handle|env=kept|api=127.0.0.1:9001|me=$ours\n",
        "exec's perl-lambda's bootstrap with the same arguments and environment, passing over others named bootstrap";
    is $status, 0, 'the exit status is the bootstrap\'s';
}
{
    my ($out) = shim("$tmp/theirs", "\@AWS::Lambda::Bootstrap::SEARCH = ('$tmp/ours')", 'a.b', 'c');
    is $out, "args=a.b c|env=kept|api=127.0.0.1:9001|me=$ours\n", 'after PATH, the fixed places (/usr/local/bin, /var/runtime, /opt)';
}
{
    local $ENV{PATH} = "$tmp/elf-other:$tmp/elf-ours";
    require AWS::Lambda::Bootstrap;
    is AWS::Lambda::Bootstrap::find_bootstrap(), $elf, 'an ELF counts when it carries the bootstrap\'s version string';
    is_deeply \@AWS::Lambda::Bootstrap::SEARCH, ['/usr/local/bin', '/var/runtime', '/opt'], 'the places searched after PATH';
}
{
    my ($out, $status) = shim("$tmp/theirs", '');
    like $out, qr/\AAWS::Lambda::Bootstrap: no perl-lambda bootstrap found \(looked on PATH and in \): install/,
        'no bootstrap: a clear error';
    isnt $status, 0, '... and a failing exit status';
}
{
    # outside Lambda: the image's entrypoint answers the Invoke API (perl-lambda serve / the RIE)
    my $entry = write_exe("$tmp/entry/lambda-entrypoint.sh", "#!/bin/sh\necho \"entrypoint \$*\"\n");
    local $ENV{AWS_LAMBDA_RUNTIME_API};
    my ($out) = shim("$tmp/ours", "delete \$ENV{AWS_LAMBDA_RUNTIME_API}; \$AWS::Lambda::Bootstrap::ENTRYPOINT = '$entry'",
                     'handler.handle');
    is $out, "entrypoint handler.handle\n", 'no AWS_LAMBDA_RUNTIME_API: execs /lambda-entrypoint.sh with the arguments';
    ($out) = shim("$tmp/ours", "\$AWS::Lambda::Bootstrap::ENTRYPOINT = '$entry'", 'handler.handle');
    like $out, qr/^args=handler\.handle\|/, 'on Lambda (AWS_LAMBDA_RUNTIME_API set) the bootstrap, not the entrypoint';
}
{
    my ($out) = run($^X, "-I$lib", '-e', 'use AWS::Lambda::Bootstrap qw(nope)');
    like $out, qr/exports only bootstrap, not nope/, 'unknown imports are refused';
    ($out) = run($^X, "-I$lib", '-e', 'use AWS::Lambda::Bootstrap (); print defined &main::bootstrap ? "yes" : "no"');
    is $out, 'no', 'use AWS::Lambda::Bootstrap () imports nothing';
}

# Inside perl-lambda's bootstrap (the embedded copy): loading it is harmless, calling it dies.
my $bootstrap = $ENV{PERL_LAMBDA_BOOTSTRAP} // "$root/.build/release/bootstrap";
SKIP: {
    skip "no bootstrap at $bootstrap (make release)", 3 unless $bootstrap && -x $bootstrap;
    my $script = write_exe("$tmp/inside.pl", <<'PL');
use AWS::Lambda::Bootstrap;
print "loaded from $INC{'AWS/Lambda/Bootstrap.pm'}\n";
eval { bootstrap('handler.handle') };
print "died: $@";
PL
    local $ENV{PATH} = "$tmp/ours:$ENV{PATH}";
    my ($out) = run($bootstrap, '--script', $script);
    unlike $out, qr{\Q$lib\E}, 'the embedded copy is loaded, not one from the file system';
    like $out, qr/^loaded from /m, 'use AWS::Lambda::Bootstrap works inside the bootstrap';
    like $out, qr/^died: AWS::Lambda::Bootstrap::bootstrap: this is already the perl-lambda bootstrap/m,
        'bootstrap() there dies instead of exec\'ing a second runtime';
}

done_testing;
