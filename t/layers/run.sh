#!/usr/bin/env bash
# The runtime layers of every architecture and perl (`make layer ARCH=… PERL=…`, dist/perl-lambda-layer-*.zip),
# each as Lambda would run it: unzipped and bind-mounted at /opt of an old-glibc Debian root with no perl (bullseye,
# glibc 2.31, older than provided.al2023's 2.34: amd64 for x86_64, arm64 for arm64, whose binaries run under
# qemu-user through binfmt_misc), served by the real AWS RIE of the same architecture, started inside that root with
# /opt/bootstrap as the runtime. Checked per layer: the bundled perl is the requested version (bin/perl and $^V in
# a handler), hello, die, streaming, a PSGI app, XS modules, JSON logs, and an init error.
# usage: t/layers/run.sh LAYER.zip...   (file names tell arch and perl: perl-lambda-layer-<arch>-perl<ver>.zip)
set -uo pipefail
cd "$(dirname "$0")/../.."
source t/lib/tap.sh
source t/docker/engine.sh     # bullseye_rootfs (the x86_64 test root)
source scripts/chroots.sh     # chroot_ensure bullseye-arm64, chroot_qemu
work=$(mktemp -d /var/tmp/perl-lambda-layers.XXXXXX)
cleanup() {
    stop_pids
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
wait_port() { for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
invoke() { curl -sS --max-time 120 -XPOST "http://127.0.0.1:$1/2015-03-31/functions/function/invocations" -d "$2" 2>&1; }

[ $# -gt 0 ] || { echo "usage: $0 LAYER.zip..."; exit 2; }
if ! unshare --mount --propagation private true 2>/dev/null; then
    echo "1..0 # SKIP unshare --mount is not permitted here: no layer can be mounted at /opt"; exit 0
fi

# enter ROOT LAYER TASK RIE CMD...: CMD chrooted in ROOT with LAYER at /opt, TASK at /var/task and the RIE binary at
# /var/rie/aws-lambda-rie (private mounts, gone with the namespace); perl hidden, as on provided.al2023.
cat >"$work/enter.sh" <<'SH'
#!/bin/sh
r=$1 layer=$2 task=$3 rie=$4; shift 4
mount --bind "$layer" "$r/opt" && mount --bind "$task" "$r/var/task" && mount --bind "$rie" "$r/var/rie" \
    && mount --rbind /dev "$r/dev" && mount -t proc proc "$r/proc" && mount -t tmpfs tmpfs "$r/tmp" || exit 1
for f in "$r"/usr/bin/perl "$r"/usr/bin/perl5.*; do [ -e "$f" ] && { mount --bind /dev/null "$f" || exit 1; }; done
for d in "$r"/usr/lib/*-linux-gnu/perl-base; do [ -d "$d" ] && { mount -t tmpfs none "$d" || exit 1; }; done
exec chroot "$r" /usr/bin/env -i PATH=/usr/bin:/bin LAMBDA_TASK_ROOT=/var/task "$@"
SH
chmod +x "$work/enter.sh"

task=$work/task
mkdir -p "$task" "$work/rie"
cat >"$task/handler.pl" <<'PL'
use strict;
use warnings;
use Config;
use AWS::Lambda::PSGI;
my $app = AWS::Lambda::PSGI->wrap(sub { [200, ['Content-Type' => 'text/plain'], ["psgi says $_[0]{PATH_INFO}"]] });
sub handle {
    my ($p, $context) = @_;
    my $op = $p->{op} // 'hello';
    return +{ hello => 'lambda', perl => sprintf('%vd', $^V), archname => $Config{archname} } if $op eq 'hello';
    die "boom on purpose\n" if $op eq 'die';
    if ($op eq 'xs') {
        require POSIX; require List::Util; require Digest::MD5; require Storable;
        return +{ xs => join ' ', 'sum=' . List::Util::sum(1, 2, 3), 'floor=' . POSIX::floor(2.5),
                  'md5=' . Digest::MD5::md5_hex('abc'), 'storable=' . Storable::thaw(Storable::freeze([42]))->[0] };
    }
    if ($op eq 'log') { print "printed on stdout\n"; print STDERR "printed on stderr\n"; return +{ logged => 1 } }
    return sub { my $w = shift->('text/plain'); $w->write("chunk $_\n") for 1 .. 3; $w->close } if $op eq 'stream';
    return $app->($p->{event}, $context) if $op eq 'psgi';
    die "unknown op $op\n";
}
1;
PL
printf 'use strict;\ndie "init failed on purpose\\n";\nsub handle { 1 }\n1;\n' >"$task/init_die.pl"
event='{"version":"2.0","rawPath":"/from-layer","rawQueryString":"","headers":{"host":"x"},"isBase64Encoded":false,'
event+='"requestContext":{"http":{"method":"GET","path":"/from-layer","protocol":"HTTP/1.1","sourceIp":"127.0.0.1"}}}'

port=$(free_port 9600)
for zip in "$@"; do
    name=$(basename "$zip" .zip)
    if [[ ! $name =~ ^perl-lambda-layer-(x86_64|arm64)-perl([0-9]+\.[0-9]+)$ ]]; then
        nok "$zip: a layer zip named perl-lambda-layer-<arch>-perl<ver>.zip"; continue
    fi
    arch=${BASH_REMATCH[1]} perl=${BASH_REMATCH[2]}
    t0=$SECONDS
    case $arch in
        x86_64) bullseye_rootfs "$work" >/dev/null || { nok "$name: the x86_64 bullseye root"; continue; }
                root=$BULLSEYE_ROOTFS archname=x86_64-linux ;;
        arm64)  root=$(chroot_ensure bullseye-arm64) || { nok "$name: the arm64 bullseye root"; continue; }
                archname=aarch64-linux ;;
    esac
    cp .cache/bin/aws-lambda-rie-$arch "$work/rie/aws-lambda-rie"
    mkdir -p "$root/opt" "$root/var/task" "$root/var/rie"
    opt=$work/opt-$arch-$perl
    rm -rf "$opt"; mkdir -p "$opt"; unzip -q "$zip" -d "$opt"
    inside=(unshare --mount --propagation private "$work/enter.sh" "$root" "$opt" "$task" "$work/rie")

    out=$("${inside[@]}" sh -c 'command -v perl || echo "no perl"; ldd --version 2>&1 | head -1; /opt/bin/perl -e "printf q(%vd), \$^V"' 2>&1)
    check "$name: the root has no perl and glibc 2.31" "no perl"$'\n'"ldd (Debian GLIBC 2.31-" "$out"
    check "$name: /opt/bin/perl is perl $perl" $'\n'"$perl." "$out"
    out=$("${inside[@]}" /opt/bootstrap --version 2>&1)
    check "$name: /opt/bootstrap --version" "perl-lambda bootstrap" "$out"

    log=$work/rie-$name.log
    "${inside[@]}" AWS_LAMBDA_LOG_FORMAT=JSON /var/rie/aws-lambda-rie --runtime-interface-emulator-address "127.0.0.1:$port" \
        /opt/bootstrap handler.handle >"$log" 2>&1 &
    pids+=($!)
    wait_port "$port"
    out=$(invoke "$port" '{}')
    check "$name: hello under the $arch RIE, perl $perl, $archname" "\"hello\":\"lambda\"" "$out" "$log"
    check "$name: ... \$^V" "\"perl\":\"$perl." "$out"
    check "$name: ... \$Config{archname}" "\"archname\":\"$archname" "$out"
    check "$name: a die is the function's error" '"errorMessage":"boom on purpose' "$(invoke "$port" '{"op":"die"}')" "$log"
    check "$name: XS modules load (POSIX, List::Util, Digest::MD5, Storable)" \
        '{"xs":"sum=6 floor=2 md5=900150983cd24fb0d6963f7d28e17f72 storable=42"}' "$(invoke "$port" '{"op":"xs"}')" "$log"
    check "$name: a streaming handler (buffered by the RIE)" $'chunk 1\nchunk 2\nchunk 3' "$(invoke "$port" '{"op":"stream"}')" "$log"
    check "$name: a PSGI app through AWS::Lambda::PSGI" '"body":"psgi says /from-layer"' \
        "$(invoke "$port" "{\"op\":\"psgi\",\"event\":$event}")" "$log"
    check "$name: ... JSON logs: the handler's output as structured lines" '"logged":1' "$(invoke "$port" '{"op":"log"}')" "$log"
    sleep 0.5
    check "$name: ... stdout as an INFO line" '"level":"INFO"' "$(grep -o '{[^}]*"message":"printed on stdout[^}]*}' "$log")"
    check "$name: ... stderr as an ERROR line" '"level":"ERROR"' "$(grep -o '{[^}]*"message":"printed on stderr[^}]*}' "$log")"
    kill "${pids[-1]}" 2>/dev/null; wait "${pids[-1]}" 2>/dev/null
    port=$((port + 1))

    log=$work/rie-$name-init.log
    "${inside[@]}" /var/rie/aws-lambda-rie --runtime-interface-emulator-address "127.0.0.1:$port" \
        /opt/bootstrap init_die.handle >"$log" 2>&1 &
    pids+=($!)
    wait_port "$port"
    check "$name: an init error is reported as such" '"errorMessage":"init failed on purpose' "$(invoke "$port" '{}')" "$log"
    kill "${pids[-1]}" 2>/dev/null; wait "${pids[-1]}" 2>/dev/null
    port=$((port + 1))
    echo "# $name: $((SECONDS - t0)) s"
done
echo "1..$((pass + fail))"
[ "$fail" -eq 0 ]
