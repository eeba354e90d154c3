#!/usr/bin/env bash
# XS modules' shared libraries in packages. A function whose local/ carries Debian's XML::Parser
# (its Expat.so needs libexpat.so.1) is zipped with `perl-lambda package`, then served in a Debian bullseye chroot
# (glibc 2.31, no perl, and no libexpat: any copy in the rootfs is hidden) where an XML-parsing invocation must
# work — with the function zip's own runtime, and with the runtime layer at /opt and a --no-bootstrap zip. The
# same zip without its local/lib/native must fail there (the bundling is what makes it work). A module needing a
# library found nowhere must make `package` fail with the list.
# The bullseye rootfs is the one t/docker/run.sh uses (debootstrapped once into /var/cache/perl-lambda).
# usage: t/packaging/xs-libs.sh [BIN_DIR]   (default: .build/release; BULLSEYE_ROOTFS overrides the rootfs)
set -uo pipefail
cd "$(dirname "$0")/../.."
bin=$(cd "${1:-.build/release}" && pwd)
cli=$bin/perl-lambda
source t/lib/tap.sh
source t/docker/engine.sh   # bullseye_rootfs
need_binaries "$bin"
work=$(mktemp -d /var/tmp/perl-lambda-xslibs.XXXXXX)
cleanup() {
    stop_pids
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
wait_http() { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; return 1; }
invoke() { curl -sS --max-time 30 -XPOST "http://127.0.0.1:$1/2015-03-31/functions/function/invocations" -d "$2" 2>&1; }

# ---- the function: Debian's XML::Parser vendored into local/ the way cpanm -L local lays out XS modules ----
arch=$(perl -MConfig -e 'print $Config{archname}')
vendorarch=$(perl -MConfig -e 'print $Config{vendorarch}')
if [ ! -e "$vendorarch/auto/XML/Parser/Expat/Expat.so" ]; then
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq libxml-parser-perl >/dev/null
fi
fn=$work/xml-fn
mkdir -p "$fn/local/lib/perl5/$arch/auto/XML/Parser/Expat"
cp -r "$vendorarch/XML" "$fn/local/lib/perl5/$arch/"
cp "$vendorarch/auto/XML/Parser/Expat/Expat.so" "$fn/local/lib/perl5/$arch/auto/XML/Parser/Expat/"
cat >"$fn/handler.pl" <<'PL'
use strict;
use warnings;
use XML::Parser;
sub handle {
    my ($payload) = @_;
    my @names;
    XML::Parser->new(Handlers => { Start => sub { push @names, $_[1] } })->parse($payload->{xml});
    return +{ parsed => join(",", @names) . " with " . $INC{"XML/Parser/Expat.pm"} };
}
1;
PL
xml='{"xml":"<order id=\"7\"><item/><item/></order>"}'
expected='{"parsed":"order,item,item with /var/task/local/lib/perl5/'"$arch"'/XML/Parser/Expat.pm"}'

out=$("$cli" package "$fn" --bootstrap "$bin/bootstrap" -o "$work/function.zip" 2>&1)
status=$?
echo "$out" | sed 's/^/#   /'
check "package: exits 0" "status 0" "status $status"
check "package: Expat.so inspected, libexpat bundled in local/lib/native" \
    "bundled local/lib/native/libexpat.so.1 (from " "$out"
check "package: the size against the 50 MB upload limit" "of the 50 MB direct-upload limit" "$out"
check "package: the size against the 250 MB unzipped limit" "of the 250 MB limit" "$out"
files=$(unzip -Z1 "$work/function.zip")
check "zip: libexpat.so.1 in local/lib/native" "local/lib/native/libexpat.so.1" "$files"
check "zip: libexpat alone in local/lib/native (libc, the loader: the runtime's)" "[local/lib/native/libexpat.so.1]" \
    "[$(grep '^local/lib/native/' <<<"$files" | tr '\n' ' ' | sed 's/ $//')]"

# ---- a module needing a library found nowhere: package fails with the list ----
bad=$work/bad-fn
mkdir -p "$bad/local/lib/perl5/$arch/auto/Gone" "$work/fake"
echo 'sub handle { 1 } 1;' >"$bad/handler.pl"
echo 'int gone(void) { return 1; }' >"$work/fake/gone.c"
echo 'int gone(void); int boot_Gone(void) { return gone(); }' >"$work/fake/Gone.c"
cc -shared -fPIC -Wl,-soname,libpl-gone.so.4 -o "$work/fake/libpl-gone.so" "$work/fake/gone.c" \
    && cc -shared -fPIC -o "$bad/local/lib/perl5/$arch/auto/Gone/Gone.so" "$work/fake/Gone.c" -L"$work/fake" -lpl-gone \
    && rm "$work/fake/libpl-gone.so"
out=$("$cli" package "$bad" --bootstrap "$bin/bootstrap" -o "$work/bad.zip" 2>&1)
status=$?
check "package: a library found nowhere fails the package" "status 1" "status $status"
check "package: ... naming the library and the module that needs it" \
    "libpl-gone.so.4, needed by local/lib/perl5/$arch/auto/Gone/Gone.so" "$out"
[ -e "$work/bad.zip" ] && nok "package: no zip written when a library is missing" || ok "package: no zip written when a library is missing"
out=$("$cli" package "$bad" --bootstrap "$bin/bootstrap" --provided-library libpl-gone.so.4 -o "$work/bad.zip" 2>&1)
check "package: --provided-library accepts a library a layer provides" "wrote $work/bad.zip" "$out"

# ---- served in the bullseye chroot: glibc 2.31, no perl, no libexpat ----
bullseye=$BULLSEYE_ROOTFS   # (t/docker/engine.sh)
if ! unshare --mount --propagation private true 2>/dev/null; then
    echo "# unshare --mount is not permitted here: the chroot tests cannot run"; fail=$((fail + 1))
elif ! bullseye_rootfs "$work"; then
    echo "# no Debian bullseye rootfs (debootstrap failed, above)"; fail=$((fail + 1))
else
    # enter ROOT LAYER TASK CMD...: CMD chrooted in ROOT, LAYER at /opt and TASK at /var/task, with the system's perl
    # and every libexpat hidden (private mounts, gone with the namespace; the cached rootfs is not changed)
    cat >"$work/enter.sh" <<'SH'
#!/bin/sh
r=$1 layer=$2 task=$3; shift 3
mount --bind "$layer" "$r/opt" && mount --bind "$task" "$r/var/task" && mount --rbind /dev "$r/dev" \
    && mount -t proc proc "$r/proc" || exit 1
for f in "$r"/usr/bin/perl "$r"/usr/bin/perl5.* "$r"/lib/*/libexpat* "$r"/usr/lib/*/libexpat* "$r"/lib64/libexpat* "$r"/usr/lib64/libexpat*; do
    [ -e "$f" ] && { mount --bind /dev/null "$f" || exit 1; }
done
[ -d "$r/usr/lib/x86_64-linux-gnu/perl-base" ] && { mount -t tmpfs none "$r/usr/lib/x86_64-linux-gnu/perl-base" || exit 1; }
exec chroot "$r" /usr/bin/env LAMBDA_TASK_ROOT=/var/task "$@"
SH
    chmod +x "$work/enter.sh"
    mkdir -p "$bullseye/var/task" "$bullseye/opt" "$work/empty"
    serve_in_chroot() { # serve_in_chroot LAYER TASK BOOTSTRAP: sets $port
        port=$(free_port 19700)
        "$cli" serve --task-root "$2" --port "$port" handler.handle -- \
            unshare --mount --propagation private "$work/enter.sh" "$bullseye" "$1" "$2" "$3" handler.handle \
            >"$work/serve-$port.log" 2>&1 &
        pids+=($!)
        wait_http "$port" || true
    }

    mkdir "$work/task" && unzip -q "$work/function.zip" -d "$work/task"
    out=$(unshare --mount --propagation private "$work/enter.sh" "$bullseye" "$work/empty" "$work/task" sh -c \
        'ldd --version | head -1; command -v perl || echo "no perl"; for f in /lib/*/libexpat.so* /usr/lib/*/libexpat.so*; do [ -s "$f" ] && echo "has $f"; done; echo end' 2>&1)
    check "chroot: glibc 2.31, no perl, no libexpat" "2.31"$'\n'"no perl"$'\n'"end" "$out"
    serve_in_chroot "$work/empty" "$work/task" /var/task/bootstrap
    check "zip: XML::Parser from local/ parses XML in the chroot, libexpat from local/lib/native" "$expected" \
        "$(invoke "$port" "$xml")" "$work/serve-$port.log"
    stop_pids

    # the same zip without the bundled library: Expat.so cannot load there
    cp -r "$work/task" "$work/task-nolib" && rm -r "$work/task-nolib/local/lib/native"
    serve_in_chroot "$work/empty" "$work/task-nolib" /var/task/bootstrap
    check "zip without local/lib/native: the same invocation fails on the missing libexpat" \
        "libexpat.so.1: cannot open shared object file" \
        "$(invoke "$port" "$xml")" "$work/serve-$port.log"
    stop_pids

    # the runtime as a layer at /opt, the function zipped --no-bootstrap: the layer's launcher finds local/lib/native
    "$cli" package --layer --bootstrap "$bin/bootstrap" -o "$work/layer.zip" >/dev/null 2>&1
    out=$("$cli" package "$fn" --no-bootstrap --bootstrap "$bin/bootstrap" -o "$work/code.zip" 2>&1)
    check "package --no-bootstrap: libexpat bundled, not the layer's libraries" "[local/lib/native/libexpat.so.1]" \
        "[$(unzip -Z1 "$work/code.zip" | grep '^local/lib/native/' | tr '\n' ' ' | sed 's/ $//')]"
    mkdir "$work/opt" "$work/code" && unzip -q "$work/layer.zip" -d "$work/opt" && unzip -q "$work/code.zip" -d "$work/code"
    serve_in_chroot "$work/opt" "$work/code" /opt/bootstrap
    check "layer + --no-bootstrap zip: XML parsed in the chroot" "$expected" "$(invoke "$port" "$xml")" "$work/serve-$port.log"
    stop_pids
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
