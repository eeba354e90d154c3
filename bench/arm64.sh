#!/usr/bin/env bash
# The arm64 bootstrap (perl 5.40) against AWS::Lambda, both run under the same qemu-user in the cached trixie-arm64
# root (scripts/chroots.sh), with the arm64 RIE: bench/runtime.pl's cold start (spawn -> first GET /next) and warm
# invokes/s. Under emulation only the ratios mean anything. AWS::Lambda's lib/ comes from AWS_LAMBDA_LIB or the
# git mirror on the development machines; its JSON::XS and Try::Tiny are Debian's arm64 packages, unpacked into
# the root on first use.
# usage: bench/arm64.sh [BIN_DIR]   (BIN_DIR: the host's release build, for packaging; default .build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/chroots.sh
scripts/layer.sh arm64 5.40 "${1:-.build/release}" >/dev/null   # builds (or reuses) the arm64 bootstrap
root=$(chroot_ensure trixie-arm64)
if [ ! -e "$root/usr/lib/aarch64-linux-gnu/perl5/5.40/JSON/XS.pm" ]; then
    # not in the root's package list: the layer must not depend on them
    host=$(chroot_ensure trixie-amd64)
    CHROOT_BINDS="$root:/target" chroot_run "$host" sh -c '
        set -e
        export APT_CONFIG=/var/cache/perl-lambda-trixie-arm64/apt.conf
        apt-get install -y -qq --download-only --no-install-recommends libjson-xs-perl libtry-tiny-perl >/dev/null
        for deb in /var/cache/perl-lambda-trixie-arm64/archives/*.deb; do
            dpkg-deb --fsys-tarfile "$deb" | tar -x --keep-directory-symlink -C /target
        done
        rm -f /var/cache/perl-lambda-trixie-arm64/archives/*.deb'
fi
b=$root/build/bench
rm -rf "$b"; mkdir -p "$b/bench" "$b/examples" "$b/rie"
cp bench/runtime.pl bench/noop-runtime.pl "$b/bench/"
cp -r examples/hello "$b/examples/"
cp .cache/bin/aws-lambda-rie-arm64 "$b/rie/aws-lambda-rie"
lib=${AWS_LAMBDA_LIB:-}
mirror=/work/.mirror/shogo82148+p5-aws-lambda/repo
if [ -n "$lib" ]; then cp -r "$lib" "$b/aws-lambda-lib"
elif [ -d "$mirror" ]; then mkdir -p "$b/x" && git -C "$mirror" archive HEAD lib | tar -x -C "$b/x" && mv "$b/x/lib" "$b/aws-lambda-lib"
else echo "# no AWS::Lambda source (AWS_LAMBDA_LIB): the bootstrap alone"; fi
theirs=; [ -d "$b/aws-lambda-lib" ] && theirs=/build/bench/aws-lambda-lib
# chroot_run clears the environment: the settings go in as arguments
chroot_run "$root" sh -c 'cd /build/bench && [ -n "$1" ] && export AWS_LAMBDA_LIB=$1
    PERL_LAMBDA_BOOTSTRAP=/build/arm64/bootstrap PERL_LAMBDA_RIE=/build/bench/rie/aws-lambda-rie \
    BENCH_COLD_RUNS=$2 BENCH_WARM=$3 BENCH_ROUNDS=$4 BENCH_INVOKES=0 perl bench/runtime.pl' \
    sh "$theirs" "${BENCH_COLD_RUNS:-10}" "${BENCH_WARM:-300}" "${BENCH_ROUNDS:-3}"
