#!/usr/bin/env bash
# Images of another architecture and perl than this machine's (`perl-lambda image build --arch arm64 --perl 5.40`,
# `images/build.sh --arch arm64 --perl 5.40`), on a private Docker engine that starts with only the OS image:
#   arm64, perl 5.40   a stand-in for debian:trixie-slim of platform linux/arm64 (debian_image in engine.sh);
#                      `perl-lambda image build` on a folder holding only handler.pl builds
#                      perl-lambda:base-arm64-perl5.40 from the bootstrap-arm64-perl5.40 and aws-lambda-rie-arm64
#                      that `make layer ARCH=arm64 PERL=5.40` leaves beside perl-lambda, then the function's image;
#                      `docker run --platform linux/arm64 -p` + curl on the RIE path answers from aarch64 and
#                      perl 5.40 (everything arm64 runs under qemu-user through binfmt_misc); images/build.sh makes
#                      the same base and the build image (gcc, make, cpanm installed by apt under qemu)
#   x86_64, perl 5.40  the same with an amd64 trixie stand-in and bootstrap-x86_64-perl5.40, served by perl-lambda
# The stand-ins are debootstrapped once (with perl: see debian_rootfs in engine.sh) and cached in /var/cache/perl-lambda.
# usage: t/docker/platforms.sh [BIN_DIR]   (default .build/release; run `make layer` for arm64/5.40 and
#        x86_64/5.40 with the same BIN_DIR first: `make platform-test` does)
set -uo pipefail
cd "$(dirname "$0")/../.."
bin=$(cd "${1:-.build/release}" && pwd -P)   # as perl-lambda names the files beside itself (.build/release is a link)
cli=$bin/perl-lambda
source t/lib/tap.sh
source t/docker/engine.sh
source scripts/chroots.sh     # chroot_qemu
need_binaries "$bin"
started=$SECONDS
work=$(mktemp -d /var/tmp/perl-lambda-platforms.XXXXXX)
cleanup() { engine_stop; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { local p=$1; while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done; echo "$p"; }
wait_http() { for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.2; done; return 1; }
invoke() { curl -sS --max-time 60 -XPOST "http://127.0.0.1:$1/2015-03-31/functions/function/invocations" -d "$2" 2>&1; }

for f in bootstrap-arm64-perl5.40 aws-lambda-rie-arm64 bootstrap-x86_64-perl5.40; do
    [ -x "$bin/$f" ] || { echo "no $bin/$f: run scripts/layer.sh for arm64 5.40 and x86_64 5.40 with $bin first" >&2; exit 1; }
done
chroot_qemu || { echo "qemu-aarch64 cannot be registered with binfmt_misc: arm64 images cannot run here" >&2; exit 1; }
engine_start "$work/engine" || { echo "the Docker engine does not start" >&2; exit 1; }

fn=$work/arch-fn
mkdir -p "$fn"
cat >"$fn/handler.pl" <<'PL'
use strict;
use warnings;
use Config;
use POSIX ();
sub handle {
    my ($event) = @_;
    die "boom on $Config{archname}\n" if $event->{die};
    return +{ perl => sprintf('%vd', $^V), machine => (POSIX::uname())[4], archname => $Config{archname},
              greeting => $ENV{GREETING} // 'unset' };
}
1;
PL

# run_platform IMAGE PLATFORM → port; the container's id in $work/cid
run_platform() {
    local port; port=$(free_port 9700)
    docker run -d --platform "$2" -p "$port:8080" -e GREETING=hi "$1" >"$work/cid" 2>"$work/run.err" || cat "$work/run.err" >&2
    wait_http "$port" || true
    echo "$port"
}

# what the command refuses, before anything is built
out=$("$cli" image build "$fn" --perl /usr/bin/perl 2>&1)
check "image build --perl PROGRAM without --bundle-runtime: --perl is a version" \
    "--perl is the image's perl, 5.36 or 5.40, not '/usr/bin/perl'" "$out"
out=$("$cli" image build "$fn" --arch arm64 --bundle-runtime 2>&1)
check "image build --arch arm64 --bundle-runtime: refused (the bundled runtime is this machine's)" \
    "--bundle-runtime bundles this machine's runtime (x86_64)" "$out"
lonely=$work/lonely
mkdir -p "$lonely" && cp "$cli" "$lonely/"
out=$("$lonely/perl-lambda" image build "$fn" --arch arm64 --perl 5.40 2>&1)
check "arm64, no bootstrap-arm64-perl5.40 beside perl-lambda: says how to make it" \
    "there is no bootstrap at $lonely/bootstrap-arm64-perl5.40 to build it from: \`make layer ARCH=arm64 PERL=5.40\`" "$out"
cp "$bin/bootstrap-arm64-perl5.40" "$lonely/"
out=$("$lonely/perl-lambda" image build "$fn" --arch arm64 --perl 5.40 2>&1)
check "arm64, no aws-lambda-rie-arm64 beside perl-lambda: says where it comes from" \
    "there is no AWS RIE for arm64 at $lonely/aws-lambda-rie-arm64" "$out"

# ---- arm64, perl 5.40 ----
t0=$SECONDS
out=$(DOCKER_BUILD_ARGS="--network host" "$cli" image build "$fn" --arch arm64 --perl 5.40 --tag arch-fn:arm64 2>&1)
check "arm64: on an engine without debian:trixie-slim, says what to pull" \
    "\`docker pull --platform linux/arm64 debian:trixie-slim\`" "$out"
debian_image debian:trixie-slim trixie arm64 || { nok "arm64 trixie stand-in imported"; exit 1; }
check "the engine holds only the arm64 trixie stand-in" "debian:trixie-slim arm64" \
    "$(docker images --format '{{.Repository}}:{{.Tag}}' | tr '\n' ' ')$(docker image inspect --format '{{.Architecture}}' debian:trixie-slim)"
echo "# arm64 stand-in ready: $((SECONDS - t0)) s"
t0=$SECONDS
out=$(DOCKER_BUILD_ARGS="--network host" "$cli" image build "$fn" --arch arm64 --perl 5.40 --tag arch-fn:arm64 2>&1)
check "arm64: perl-lambda:base-arm64-perl5.40 built first, from the bootstrap beside perl-lambda, under --platform linux/arm64" \
    ">> building perl-lambda:base-arm64-perl5.40 (once) from $bin/bootstrap-arm64-perl5.40 on debian:trixie-slim (linux/arm64)" "$out"
check "arm64: the base image's bootstrap ran under qemu at build time" "bootstrap runs perl 5.40" "$out"
check "arm64: then the function's image, with the docker run line ($((SECONDS - t0)) s)" \
    ">> run it: docker run --platform linux/arm64 -p 9000:8080 arch-fn:arm64" "$out"
check "arm64: the image is arm64" "arm64" "$(docker image inspect --format '{{.Architecture}}' arch-fn:arm64 2>&1)"
port=$(run_platform arch-fn:arm64 linux/arm64)
body=$(invoke "$port" '{}')
check "arm64: docker run --platform linux/arm64 -p $port:8080 + curl on the RIE path → aarch64" '"machine":"aarch64"' "$body"
check "arm64: ... perl 5.40" '"perl":"5.40.' "$body"
check "arm64: ... \$Config{archname} aarch64-linux" '"archname":"aarch64-linux' "$body"
check "arm64: ... docker run -e reaches the function (through the AWS RIE)" '"greeting":"hi"' "$body"
check "arm64: a die is the function's error" '"errorMessage":"boom on aarch64-linux' "$(invoke "$port" '{"die":1}')"
check "arm64: served by the arm64 AWS RIE (no perl-lambda in arm64 images)" "no perl-lambda" \
    "$(docker exec "$(cat "$work/cid")" sh -c 'ls /usr/local/bin/perl-lambda 2>/dev/null || echo no perl-lambda; ls /usr/local/bin')"
docker rm -f "$(cat "$work/cid")" >/dev/null
out=$(DOCKER_BUILD_ARGS="--network host" "$cli" image build "$fn" --arch arm64 --perl 5.40 --tag arch-fn:arm64 2>&1)
if [[ "$out" != *"building perl-lambda:base"* && "$out" == *">> built arch-fn:arm64"* ]]; then
    ok "arm64: second image build uses perl-lambda:base-arm64-perl5.40, not built again"
else
    nok "arm64: second image build uses perl-lambda:base-arm64-perl5.40" "$out"
fi
t0=$SECONDS
if out=$(DOCKER_BUILD_ARGS="--network host" images/build.sh --bin "$bin" --arch arm64 --perl 5.40 2>&1); then
    ok "images/build.sh --arch arm64 --perl 5.40 ($((SECONDS - t0)) s)"
else
    nok "images/build.sh --arch arm64 --perl 5.40" "$(echo "$out" | tail -20)"
fi
check "images/build.sh: perl-lambda:build-arm64-perl5.40 is arm64, with cpanm" "arm64 cpanm" \
    "$(docker image inspect --format '{{.Architecture}}' perl-lambda:build-arm64-perl5.40 2>&1) $(docker run --rm --platform linux/arm64 --entrypoint sh perl-lambda:build-arm64-perl5.40 -c 'command -v cpanm >/dev/null && echo cpanm' 2>&1)"
# a cpanfile: its deps stage runs FROM perl-lambda:build-arm64-perl5.40 (cpanm under qemu); Try::Tiny is vendored
# in local/ as a `carton install` would leave it (no CPAN mirror is reachable here)
cfn=$work/cpan-fn
cp -r t/docker/cpan "$cfn" && mkdir -p "$cfn/local/lib/perl5/Try"
cp "$(perl -MTry::Tiny -e 'print $INC{"Try/Tiny.pm"}')" "$cfn/local/lib/perl5/Try/Tiny.pm"
out=$("$cli" image build "$cfn" --arch arm64 --perl 5.40 --tag cpan-fn:arm64 2>&1)
check "arm64 with a cpanfile: installed in a stage FROM perl-lambda:build-arm64-perl5.40" \
    "(cpanfile: installing dependencies in perl-lambda:build-arm64-perl5.40)" "$out"
port=$(run_platform cpan-fn:arm64 linux/arm64)
body=$(invoke "$port" '{}')
check "arm64 cpanfile function: Try::Tiny from /var/task/local" '"from":"/var/task/local/lib/perl5/Try/Tiny.pm"' "$body"
check "arm64 cpanfile function: ... core modules from the arm64 perl 5.40" '"strict":"/usr/share/perl/5.40' "$body"
docker rm -f "$(cat "$work/cid")" >/dev/null

# ---- x86_64, perl 5.40 ----
t0=$SECONDS
docker rmi debian:trixie-slim >/dev/null
debian_image debian:trixie-slim trixie amd64 || { nok "amd64 trixie stand-in imported"; exit 1; }
echo "# amd64 stand-in ready: $((SECONDS - t0)) s"
t0=$SECONDS
out=$(DOCKER_BUILD_ARGS="--network host" "$cli" image build "$fn" --perl 5.40 --tag arch-fn:x86_64 2>&1)
check "x86_64 --perl 5.40: perl-lambda:base-x86_64-perl5.40 built from bootstrap-x86_64-perl5.40" \
    ">> building perl-lambda:base-x86_64-perl5.40 (once) from $bin/bootstrap-x86_64-perl5.40 on debian:trixie-slim (linux/amd64)" "$out"
check "x86_64 --perl 5.40: the function's image ($((SECONDS - t0)) s)" ">> built arch-fn:x86_64" "$out"
port=$(run_platform arch-fn:x86_64 linux/amd64)
body=$(invoke "$port" '{}')
check "x86_64 --perl 5.40: docker run -p $port:8080 + curl → perl 5.40 on x86_64" '"perl":"5.40.' "$body"
check "x86_64 --perl 5.40: ... x86_64" '"machine":"x86_64"' "$body"
check "x86_64 --perl 5.40: served by perl-lambda serve" "/usr/local/bin/perl-lambda" \
    "$(docker exec "$(cat "$work/cid")" sh -c 'ls /usr/local/bin/perl-lambda')"
docker rm -f "$(cat "$work/cid")" >/dev/null

echo "# platforms: $((SECONDS - started)) s"
echo "1..$((pass + fail))"
[ "$fail" -eq 0 ]
