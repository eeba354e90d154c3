#!/usr/bin/env bash
# Builds the perl-lambda images.
#
#   images/build.sh [--bin DIR] [--tag-prefix NAME] [--base-image IMAGE]
#       perl-lambda:base and perl-lambda:build from the binaries in DIR (default .build/release), which must
#       have been built against the same perl as the image's (Debian bookworm's perl on a Debian 12 host).
#   images/build.sh --from-source [--runtime-image IMAGE] [--tag TAG] [--cli PATH]
#       images/source.Dockerfile: compiles the bootstrap inside RUNTIME_IMAGE (default perl:5.40-slim)
#       against its perl, with this host's Swift toolchain copied into the build context; --cli takes a
#       prebuilt perl-lambda (it does not link perl) instead of compiling it there too.
# Extra `docker build` arguments go in DOCKER_BUILD_ARGS (e.g. "--network host" where the default bridge
# has no route out, as on engines started with --iptables=false).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=$root/.build/release prefix=perl-lambda base_image=debian:bookworm-slim from_source= tag=
runtime_image=perl:5.40-slim cli=
while [ $# -gt 0 ]; do
    case $1 in
        --bin) bin=$2; shift ;;
        --tag-prefix) prefix=$2; shift ;;
        --base-image) base_image=$2; shift ;;
        --from-source) from_source=1 ;;
        --runtime-image) runtime_image=$2; shift ;;
        --tag) tag=$2; shift ;;
        --cli) cli=$2; shift ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown argument $1" >&2; exit 64 ;;
    esac
    shift
done
export DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0}
read -r -a extra <<<"${DOCKER_BUILD_ARGS:-}"
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$here/lambda-entrypoint.sh" "$ctx/"

if [ -z "$from_source" ]; then
    for b in bootstrap perl-lambda; do
        [ -x "$bin/$b" ] || { echo "no $bin/$b: swift build -c release --static-swift-stdlib" >&2; exit 1; }
    done
    mkdir "$ctx/bin"
    cp "$bin/bootstrap" "$bin/perl-lambda" "$ctx/bin/"
    strip "$ctx/bin/bootstrap" "$ctx/bin/perl-lambda" 2>/dev/null || true
    perl_version=$(perl -e 'printf "%vd", $^V')
    echo ">> $prefix:base (FROM $base_image, perl $perl_version)"
    docker build -q "${extra[@]}" -f "$here/base.Dockerfile" --build-arg "BASE_IMAGE=$base_image" \
        --build-arg "PERL_VERSION=$perl_version" -t "$prefix:base" "$ctx"
    echo ">> $prefix:build (FROM $prefix:base)"
    docker build -q "${extra[@]}" -f "$here/build.Dockerfile" --build-arg "BASE_IMAGE=$prefix:base" \
        -t "$prefix:build" "$ctx"
    exit 0
fi

# --from-source: the toolchain (without debugger, IDE and docs parts) and the package's sources
swift_usr=$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")
echo ">> context: Swift toolchain from $swift_usr, sources from $root"
mkdir -p "$ctx/swift" "$ctx/src" "$ctx/prebuilt"
if [ -n "$cli" ]; then cp "$cli" "$ctx/prebuilt/perl-lambda"; strip "$ctx/prebuilt/perl-lambda" 2>/dev/null || true; fi
tar -C "$(dirname "$swift_usr")" -cf - \
    --exclude='usr/bin/lldb*' --exclude='usr/bin/clangd' --exclude='usr/bin/sourcekit-lsp' --exclude='usr/bin/docc' \
    --exclude='usr/bin/swift-format' --exclude='usr/lib/liblldb*' --exclude='usr/lib/libsourcekitdInProc.so' \
    --exclude='usr/lib/libSwiftSourceKit*' --exclude='usr/lib/libLTO*' --exclude='usr/share/doc' --exclude='usr/share/docc' \
    --exclude='usr/lib/swift/pm/PluginAPI' --exclude='usr/bin/repl_swift' --exclude='usr/lib/libclang.so*' \
    --exclude='usr/lib/swift/embedded' --exclude='usr/lib/swift/FrameworkABIBaseline' \
    --exclude='usr/bin/swift-build-sdk-interfaces' --exclude='usr/bin/llvm-objdump' --exclude='usr/bin/*-musl-*' \
    usr | tar -C "$ctx/swift" -xf -
tar -C "$root" -cf - Package.swift Sources Tests perl $( [ -f "$root/Package.resolved" ] && echo Package.resolved ) \
    | tar -C "$ctx/src" -xf -
for d in .build/checkouts .build/repositories .build/workspace-state.json; do
    [ -e "$root/$d" ] && mkdir -p "$ctx/src/.build" && cp -a "$root/$d" "$ctx/src/.build/"
done
echo ">> ${tag:=perl-lambda:source} (source.Dockerfile, RUNTIME_IMAGE=$runtime_image; context $(du -sh "$ctx" | cut -f1))"
docker build "${extra[@]}" -f "$here/source.Dockerfile" --build-arg "RUNTIME_IMAGE=$runtime_image" -t "$tag" "$ctx"
