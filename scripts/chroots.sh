#!/usr/bin/env bash
# The cached Debian roots the multi-architecture layers are built and tested with (under $CHROOT_CACHE,
# default /var/cache/perl-lambda; each built when absent, reused when present; logs beside them):
#   trixie-amd64       native Swift 6.0.3 (Debian's swiftlang), perl 5.40, gcc: builds the x86_64/5.40 bootstrap
#                      and cross-compiles the arm64 ones (much faster than an emulated build)
#   trixie-arm64       arm64 perl 5.40 (libperl-dev) + Debian's arm64 swiftlang (its aarch64 static Swift
#                      runtime and swiftmodules), unpacked rather than installed: the cross sysroot, and the root
#                      the arm64 layer is packaged in (its perl, ldconfig and strip run under qemu)
#   bookworm-arm64     arm64 perl 5.36 (libperl-dev), unpacked: the sysroot of the arm64/perl 5.36 layer
#   bullseye-arm64     arm64 minbase (glibc 2.31, no perl): the old-glibc test root for arm64 layers
# usage: scripts/chroots.sh NAME...        (prints each root's path when ready)
#        source scripts/chroots.sh; chroot_run ROOT CMD...   (runs CMD in ROOT with proc/dev/sys, private mounts)
set -uo pipefail
CHROOT_CACHE=${CHROOT_CACHE:-/var/cache/perl-lambda}

_mirror() {
    local m
    m=$(grep -hoE '^URIs: *http[^ ]*/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | sed 's/^URIs: *//')
    [ -n "$m" ] || m=$(grep -hoE '^deb +http[^ ]*/debian/? ' /etc/apt/sources.list 2>/dev/null | head -1 | awk '{print $2}')
    echo "${m:-http://deb.debian.org/debian}"
}

# qemu-user-static registers qemu-aarch64 with binfmt_misc (flag F: the interpreter is opened at registration,
# so it works inside chroots that do not contain it).
chroot_qemu() {
    [ "$(uname -m)" = aarch64 ] && return 0
    if [ ! -x /usr/bin/qemu-aarch64-static ]; then   # (scripts/setup.sh installs them)
        { apt-get -o DPkg::Lock::Timeout=600 update -qq \
            && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq qemu-user-static binfmt-support; } \
            >/dev/null || return 1
    fi
    [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || return 1
    local entry=/proc/sys/fs/binfmt_misc/qemu-aarch64
    grep -qx enabled "$entry" 2>/dev/null || update-binfmts --enable qemu-aarch64 >/dev/null 2>&1
    grep -qx enabled "$entry" 2>/dev/null || {
        echo "qemu-aarch64 is not registered with binfmt_misc (update-binfmts --enable qemu-aarch64 failed)" >&2; return 1; }
}

# chroot_run ROOT CMD...: in a private mount namespace (the mounts vanish with it), with /proc, /dev, /sys, a
# tmpfs /tmp and the host's resolv.conf; CHROOT_BINDS="DIR:PATH ..." also binds each DIR at PATH in ROOT.
chroot_run() {
    local root=$1 b; shift
    cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
    for b in ${CHROOT_BINDS:-}; do mkdir -p "$root/${b#*:}"; done
    CHROOT_BINDS=${CHROOT_BINDS:-} unshare -m --propagation private sh -c '
        r=$1; shift
        for b in $CHROOT_BINDS; do mount --bind "${b%%:*}" "$r/${b#*:}" || exit 97; done
        mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" && mount --rbind /sys "$r/sys" \
            && mount -t tmpfs tmpfs "$r/tmp" || exit 97
        exec chroot "$r" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' sh "$root" "$@"
}

# _root NAME SUITE ARCH PACKAGES...: debootstrap (step 1) then apt-get install (step 2), each marked done; prints
# the root's path.
_root() {
    local name=$1 suite=$2 arch=$3; shift 3
    local root=$CHROOT_CACHE/$name log=$CHROOT_CACHE/$name.log t0
    mkdir -p "$CHROOT_CACHE"
    # arm64 roots are of no use without qemu, cached or not (binfmt_misc registrations do not survive a reboot)
    [ "$arch" = arm64 ] && { chroot_qemu || return 1; }
    # ready when installed with this very package list (a changed list installs the difference)
    [ -e "$root/.perl-lambda-ready" ] && [ "$(cat "$root/.perl-lambda-ready")" = "$*" ] && { echo "$root"; return 0; }
    if [ ! -e "$root/.debootstrap-done" ]; then
        command -v debootstrap >/dev/null || { apt-get -o DPkg::Lock::Timeout=600 update -qq \
            && apt-get -o DPkg::Lock::Timeout=600 install -y -qq debootstrap; } >/dev/null || return 1
        echo "# debootstrap --arch=$arch $suite into $root (log $log)" >&2
        t0=$SECONDS
        rm -rf "$root"
        debootstrap --arch="$arch" --variant=minbase "$suite" "$root" "$(_mirror)" >"$log" 2>&1 \
            || { tail -5 "$log" >&2; return 1; }
        # no docs, manuals or locales: keeps the cached roots small
        cat >"$root/etc/dpkg/dpkg.cfg.d/perl-lambda-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CFG
        touch "$root/.debootstrap-done"
        echo "# debootstrap $name: $((SECONDS - t0)) s" | tee -a "$log" >&2
    fi
    if [ $# -gt 0 ]; then
        echo "# apt-get install $* in $name (log $log)" >&2
        t0=$SECONDS
        chroot_run "$root" sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" && apt-get clean' \
            sh "$@" >>"$log" 2>&1 || { tail -5 "$log" >&2; return 1; }
        echo "# apt-get install $name: $((SECONDS - t0)) s" | tee -a "$log" >&2
    fi
    echo "$*" >"$root/.perl-lambda-ready"
    echo "$root"
}

# _unpacked NAME SUITE ARCH PACKAGES...: a sysroot without emulation. The trixie-amd64 root's apt, told the
# suite is SUITE, the architecture ARCH and nothing is installed, downloads PACKAGES and their dependencies; each
# .deb is unpacked
# (no maintainer scripts run), then ldconfig (under qemu) writes the ld.so cache. Measured: 2.5 min instead of
# 12 min for debootstrap + apt-get install under qemu-user. Prints the root's path.
_unpacked() {
    local name=$1 suite=$2 arch=$3; shift 3
    local root=$CHROOT_CACHE/$name log=$CHROOT_CACHE/$name.log host t0 want
    want="unpacked, relative links: $*"
    [ "$arch" = arm64 ] && { chroot_qemu || return 1; }
    [ -e "$root/.perl-lambda-ready" ] && [ "$(cat "$root/.perl-lambda-ready")" = "$want" ] && { echo "$root"; return 0; }
    host=$(chroot_ensure trixie-amd64) || return 1
    echo "# $name: $arch packages unpacked into $root (log $log)" >&2
    t0=$SECONDS
    rm -rf "$root"
    # merged /usr, as trixie's own roots are
    mkdir -p "$root"/usr/{bin,sbin,lib} "$root"/{etc,tmp,proc,dev,sys,root}
    ln -s usr/bin "$root/bin"; ln -s usr/sbin "$root/sbin"; ln -s usr/lib "$root/lib"
    CHROOT_BINDS="$root:/target" chroot_run "$host" sh -c '
        set -e
        suite=$1 a=$2 mirror=$3; shift 3
        d=/var/cache/perl-lambda-$suite-$a
        mkdir -p "$d/lists/partial" "$d/archives/partial"
        : >"$d/status"
        echo "deb $mirror $suite main" >"$d/sources.list"
        printf "%s\n" "APT::Architecture \"$a\";" "APT::Architectures { \"$a\"; };" "Dir::State::status \"$d/status\";" \
            "Dir::State::Lists \"$d/lists\";" "Dir::Cache \"$d\";" "Dir::Cache::archives \"$d/archives\";" \
            "Dir::Etc::sourcelist \"$d/sources.list\";" "Dir::Etc::sourceparts \"-\";" >"$d/apt.conf"
        export APT_CONFIG=$d/apt.conf
        apt-get update -qq
        apt-get install -y -qq --download-only --no-install-recommends "$@"
        for deb in "$d"/archives/*.deb; do
            dpkg-deb --fsys-tarfile "$deb" | tar -x --keep-directory-symlink -C /target
        done
        rm -f "$d"/archives/*.deb' sh "$suite" "$arch" "$(_mirror)" "$@" >"$log" 2>&1 || { tail -5 "$log" >&2; return 1; }
    # absolute symlinks (libm.so -> /lib/…/libm.so.6) made relative, so they resolve inside the root wherever it
    # is mounted (a linker given --sysroot otherwise falls back to libm.a)
    find "$root" -type l -lname '/*' | while read -r l; do
        ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$root$(readlink "$l")")" "$l"
    done
    chroot_run "$root" /usr/sbin/ldconfig >>"$log" 2>&1 || { tail -5 "$log" >&2; return 1; }
    echo "$want" >"$root/.perl-lambda-ready"
    echo "# $name: $((SECONDS - t0)) s" | tee -a "$log" >&2
    echo "$root"
}

chroot_ensure() {
    case $1 in
        trixie-amd64) _root trixie-amd64 trixie amd64 swiftlang libperl-dev gcc libc6-dev libstdc++-14-dev ;;
        trixie-arm64) _unpacked trixie-arm64 trixie arm64 swiftlang libperl-dev perl libc6-dev libstdc++-14-dev libgcc-14-dev \
            binutils libc-bin coreutils dash ;;
        # perl 5.36 for arm64; the Swift runtime comes from trixie-arm64
        bookworm-arm64) _unpacked bookworm-arm64 bookworm arm64 libperl-dev perl libc6-dev libstdc++-12-dev \
            libgcc-12-dev binutils libc-bin coreutils dash ;;
        bullseye-arm64) _root bullseye-arm64 bullseye arm64 ;;
        *) echo "unknown root $1 (trixie-amd64, trixie-arm64, bookworm-arm64, bullseye-arm64)" >&2; return 2 ;;
    esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    rc=0
    for n in "$@"; do chroot_ensure "$n" || rc=1; done
    exit $rc
fi
