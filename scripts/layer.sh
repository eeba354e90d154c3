#!/usr/bin/env bash
# Builds the runtime layer for one architecture and perl: dist/perl-lambda-layer-<arch>-perl<ver>.zip
# (`make layer ARCH=x86_64|arm64 PERL=5.36|5.40`). Each layer is `perl-lambda package --layer` run where the
# target's files are, so it bundles that root's loader, glibc, libperl and core modules:
#   x86_64 5.36  this machine (Debian bookworm's perl 5.36), the release build in BIN_DIR
#   x86_64 5.40  the cached trixie-amd64 root (scripts/chroots.sh): its Swift 6.0.3 builds the bootstrap natively
#   arm64  5.40  cross-compiled in trixie-amd64 for aarch64 against the trixie-arm64 root (the sysroot: arm64
#                glibc, libperl 5.40 and Debian's aarch64 Swift runtime), then packaged inside trixie-arm64
#   arm64  5.36  the same against the bookworm-arm64 root (glibc 2.36, perl 5.36), with trixie-arm64's Swift
#                runtime (and Sources/CProcess/isoc23.c for the glibc 2.38 symbols it calls)
# perl-lambda itself (an x86_64 binary) runs inside the roots: natively in trixie-amd64, and in trixie-arm64
# through this machine's own loader and libraries copied beside it (the perl and ldconfig it asks are the root's
# arm64 ones, run by qemu through binfmt_misc).
# Beside perl-lambda in BIN_DIR it also leaves what `perl-lambda image build --arch ARCH --perl PERL` and
# `images/build.sh --arch ARCH --perl PERL` put into that architecture's base image: the bootstrap as
# bootstrap-<arch>-perl<ver> (x86_64/5.36 is BIN_DIR's own `bootstrap`), and for arm64 the arm64 AWS RIE as
# aws-lambda-rie-arm64 (the local server of arm64 images: perl-lambda itself is an x86_64 program).
# usage: scripts/layer.sh ARCH PERL [BIN_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:?usage: scripts/layer.sh ARCH PERL [BIN_DIR]} perl=${2:?usage: scripts/layer.sh ARCH PERL [BIN_DIR]}
bin=$(cd "${3:-.build/release}" && pwd)
source scripts/chroots.sh
out=dist/perl-lambda-layer-$arch-perl$perl.zip
mkdir -p dist
t0=$SECONDS
[ -x "$bin/perl-lambda" ] || { echo "no $bin/perl-lambda: make release first" >&2; exit 1; }

# sources ROOT: the working tree's files (tracked and new, not ignored) at ROOT/build/src, for the root's Swift
# (tar keeps their times, so the build there stays incremental)
sources() {
    local dst=$1/build/src
    rm -rf "$dst"; mkdir -p "$dst"
    git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -C "$dst" -xf -
}

# host_cli ROOT: perl-lambda with this machine's loader and libraries at ROOT/build/host (runs in any root)
host_cli() {
    local dst=$1/build/host lib
    rm -rf "$dst"; mkdir -p "$dst"
    cp "$bin/perl-lambda" "$dst/"
    for lib in $(ldd "$bin/perl-lambda" | grep -o '/[^ ]*'); do cp -L "$lib" "$dst/"; done
    cat >"$dst/run" <<'SH'
#!/bin/sh
d=/build/host
exec "$d"/ld-linux-x86-64.so.2 --library-path "$d" "$d/perl-lambda" "$@"
SH
    chmod +x "$dst/run"
}

# swift_in ROOT ARGS...: chroot_run ROOT ARGS (a swift build), its progress lines left out; fails when it fails (a
# bootstrap left over from an earlier build must not be packaged)
swift_in() {
    local log status=0
    log=$(mktemp /tmp/perl-lambda-layer-build.XXXXXX)
    chroot_run "$@" >"$log" 2>&1 || status=$?
    grep -v -e '^\[' -e 'SDKSettings.json' "$log" || true
    rm -f "$log"
    [ $status -eq 0 ] || { echo "swift build failed (status $status)" >&2; exit 1; }
}

# perl_version ROOT: the root's perl (5.40 …)
perl_version() { chroot_run "$1" perl -e 'printf "%vd", $^V' | cut -d. -f1,2; }

case $arch/$perl in
    x86_64/5.36)
        have=$(perl -e 'printf "%vd", $^V' | cut -d. -f1,2)
        [ "$have" = 5.36 ] || { echo "this machine's perl is $have, not 5.36 (x86_64/5.36 is built on Debian bookworm)" >&2; exit 1; }
        "$bin/perl-lambda" package --layer --bootstrap "$bin/bootstrap" -o "$out"
        ;;
    x86_64/5.40)
        root=$(chroot_ensure trixie-amd64)
        [ "$(perl_version "$root")" = 5.40 ] || { echo "$root has no perl 5.40" >&2; exit 1; }
        sources "$root"; host_cli "$root"
        echo "# swift build (Swift 6.0.3, trixie-amd64) → $root/build/x86_64"
        t1=$SECONDS
        swift_in "$root" sh -c 'cd /build/src && swift build -c release --static-swift-stdlib --product bootstrap \
            --scratch-path /build/x86_64'
        echo "# build: $((SECONDS - t1)) s"
        [ -x "$root/build/x86_64/release/bootstrap" ] || { echo "the x86_64 bootstrap did not build" >&2; exit 1; }
        chroot_run "$root" /build/host/run package --layer --bootstrap /build/x86_64/release/bootstrap -o /build/layer.zip
        mv "$root/build/layer.zip" "$out"
        cp "$root/build/x86_64/release/bootstrap" "$bin/bootstrap-x86_64-perl$perl"
        ;;
    arm64/5.40|arm64/5.36)
        root=$(chroot_ensure trixie-amd64)
        swiftsdk=$(chroot_ensure trixie-arm64)
        extra=
        if [ "$perl" = 5.40 ]; then
            sysroot=$swiftsdk
        else
            # bookworm's perl 5.36 and glibc 2.36; trixie's aarch64 Swift runtime needs the C23 strtol shims
            sysroot=$(chroot_ensure bookworm-arm64)
            extra="-Xcc -DPERL_LAMBDA_ISOC23_SHIMS"
        fi
        [ "$(perl_version "$sysroot")" = "$perl" ] || { echo "$sysroot has no perl $perl" >&2; exit 1; }
        sources "$root"; host_cli "$sysroot"
        echo "# swift build --triple aarch64-unknown-linux-gnu (Swift 6.0.3, trixie-amd64, sysroot $sysroot)"
        t1=$SECONDS
        # -sdk: where the Glibc module's headers are; -resource-dir: the aarch64 swiftmodules and static runtime
        # (swift_static, where -static-stdlib looks for static-stdlib-args.lnk); lld links any architecture
        CHROOT_BINDS="$sysroot:/sysroot $swiftsdk:/swiftsdk" swift_in "$root" sh -c 'cd /build/src && \
            PERL_CORE_DIR=/sysroot/usr/lib/aarch64-linux-gnu/perl/$1/CORE \
            swift build -c release --static-swift-stdlib --product bootstrap --scratch-path /build/arm64-perl$1 \
            --triple aarch64-unknown-linux-gnu --sdk /sysroot -Xswiftc -sdk -Xswiftc /sysroot \
            -Xswiftc -resource-dir -Xswiftc /swiftsdk/usr/libexec/swift/lib/swift_static -Xswiftc -use-ld=lld \
            -Xcc --sysroot=/sysroot -Xlinker -L/sysroot/usr/lib/aarch64-linux-gnu $2' sh "$perl" "$extra"
        echo "# build: $((SECONDS - t1)) s"
        built=$root/build/arm64-perl$perl/release/bootstrap
        [ -x "$built" ] || { echo "the arm64 bootstrap did not build" >&2; exit 1; }
        mkdir -p "$sysroot/build/arm64"
        cp "$built" "$sysroot/build/arm64/bootstrap"
        chroot_run "$sysroot" /build/host/run package --layer --bootstrap /build/arm64/bootstrap -o /build/layer.zip
        mv "$sysroot/build/layer.zip" "$out"
        # stripped by the root's own (arm64) binutils under qemu: this machine's strip reads only x86 ELF
        chroot_run "$sysroot" strip -o /build/arm64/bootstrap.stripped /build/arm64/bootstrap
        mv "$sysroot/build/arm64/bootstrap.stripped" "$bin/bootstrap-arm64-perl$perl"
        [ -x .cache/bin/aws-lambda-rie-arm64 ] || scripts/fetch-rie.sh
        cp .cache/bin/aws-lambda-rie-arm64 "$bin/aws-lambda-rie-arm64"
        ;;
    *)
        echo "unknown layer $arch/$perl: ARCH is x86_64 or arm64, PERL 5.36 or 5.40" >&2; exit 2 ;;
esac
echo "# $out: $(du -h "$out" | cut -f1), $((SECONDS - t0)) s"
