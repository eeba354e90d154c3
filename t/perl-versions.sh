#!/usr/bin/env bash
# The C shim (Sources/CPerl, the only code that includes perl.h) compiled against other perls than the build
# machine's: Debian bullseye's 5.32 (the perl Amazon Linux 2023's dnf installs) and trixie's 5.40 (the current
# official perl:*-slim images), each from its libperl5.xx package (headers, config.h and Config_heavy.pl for
# its ccflags), fetched from the Debian mirror and cached in /var/cache/perl-lambda/debs. Compiled the way
# SwiftPM compiles the target (the toolchain's clang, perl's -D flags), with the warnings that mean a missing
# or changed perl API made errors. Also takes CORE directories of local perls: t/perl-versions.sh [CORE_DIR...]
# This only compiles; t/docker/run.sh builds and runs the whole bootstrap against a source-built perl 5.40.
set -uo pipefail
cd "$(dirname "$0")/.."
cache=${DEB_CACHE:-/var/cache/perl-lambda/debs}
mirror=$(grep -hoE '^URIs: *http[^ ]*/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | sed 's/^URIs: *//')
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}
clang=$(command -v clang || echo "$(dirname "$(readlink -f "$(command -v swift)")")/clang")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache"
pass=0 fail=0
# libperl_deb SUITE PACKAGE → path of the cached .deb (the suite's current version)
libperl_deb() {
    local index=$cache/$1-Packages.xz file
    [ -s "$index" ] && [ -z "$(find "$index" -mtime +7)" ] \
        || curl -fsS "$mirror/dists/$1/main/binary-amd64/Packages.xz" -o "$index" || return 1
    file=$(xz -dc "$index" | awk -v p="$2" '$1 == "Package:" { hit = ($2 == p) } hit && $1 == "Filename:" { print $2; exit }')
    [ -n "$file" ] || { echo "no $2 in $1" >&2; return 1; }
    [ -s "$cache/${file##*/}" ] || curl -fsS "$mirror/$file" -o "$cache/${file##*/}" || return 1
    echo "$cache/${file##*/}"
}
# compile NAME CORE_DIR: with the -D flags of that perl's ccflags (from Config_heavy.pl beside CORE/)
compile() {
    local name=$1 core=$2 out=$work/$RANDOM errs= flags
    flags=$(sed -n "s/^ccflags='\(.*\)'$/\1/p" "$(dirname "$core")/Config_heavy.pl" 2>/dev/null | head -1)
    read -r -a ccflags <<<"$flags"
    mkdir -p "$out"
    for c in Sources/CPerl/*.c; do
        "$clang" -c -O1 -fPIC -I "$core" -I Sources/CPerl/include "${ccflags[@]}" \
            -Werror=implicit-function-declaration -Werror=int-conversion -Werror=incompatible-pointer-types \
            -Werror=return-type -Wno-unused-command-line-argument -Wno-compound-token-split-by-macro "$c" -o "$out/$(basename "$c" .c).o" \
            >"$out/log" 2>&1 || errs="$errs $(basename "$c")"
        [ -s "$out/log" ] && cat "$out/log" >>"$out/all.log"
    done
    if [ -z "$errs" ]; then pass=$((pass + 1)); echo "ok - Sources/CPerl compiles against perl $name"
    else fail=$((fail + 1)); echo "not ok - Sources/CPerl against perl $name: errors in$errs"; sed 's/^/#   /' "$out/all.log" | head -40; fi
}

for spec in bullseye:libperl5.32 trixie:libperl5.40; do
    suite=${spec%%:*} pkg=${spec#*:}
    if ! deb=$(libperl_deb "$suite" "$pkg"); then
        echo "not ok - $pkg from Debian $suite could not be fetched from $mirror"; fail=$((fail + 1)); continue
    fi
    root=$work/$pkg
    dpkg-deb -x "$deb" "$root"
    compile "${pkg#libperl} (Debian $suite, ${deb##*/})" "$(dirname "$(find "$root" -name perl.h -path '*/CORE/*' | head -1)")"
done
for core in "$@"; do
    compile "at $core" "$core"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
