#!/usr/bin/env bash
# Builds the perl-lambda images.
#
#   images/build.sh [--bin DIR] [--tag-prefix NAME] [--base-image IMAGE] [--arch ARCH] [--perl VERSION]
#                   [--bootstrap PATH] [--rie PATH]
#       perl-lambda:base and perl-lambda:build from the binaries in DIR (default .build/release), which must
#       have been built against the same perl as the image's (Debian bookworm's perl on a Debian 12 host).
#       --arch x86_64|arm64 and --perl 5.36|5.40 select another architecture or perl: the images are then
#       tagged base-<arch>-perl<ver> and build-<arch>-perl<ver>, built with `docker build --platform linux/ARCH`
#       (arm64 on an x86_64 engine runs under qemu-user through binfmt_misc) FROM debian:bookworm-slim (5.36)
#       or debian:trixie-slim (5.40), with DIR/bootstrap-<arch>-perl<ver> (`make layer ARCH=… PERL=…` leaves it
#       there) and, for arm64, DIR/aws-lambda-rie-arm64 as the images' local server (perl-lambda is x86_64).
#   images/build.sh --from-source [--runtime-image IMAGE] [--tag TAG] [--cli PATH]
#       images/source.Dockerfile: compiles the bootstrap inside RUNTIME_IMAGE (default perl:5.40-slim)
#       against its perl, with this host's Swift toolchain copied into the build context; --cli takes a
#       prebuilt perl-lambda (it does not link perl) instead of compiling it there too.
# Extra `docker build` arguments go in DOCKER_BUILD_ARGS (e.g. "--network host" where the default bridge
# has no route out, as on engines started with --iptables=false).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=$root/.build/release prefix=perl-lambda base_image= from_source= tag=
runtime_image=perl:5.40-slim cli= arch= perl= bootstrap= rie=
while [ $# -gt 0 ]; do
    case $1 in
        --bin) bin=$2; shift ;;
        --tag-prefix) prefix=$2; shift ;;
        --base-image) base_image=$2; shift ;;
        --arch) arch=$2; shift ;;
        --perl) perl=$2; shift ;;
        --bootstrap) bootstrap=$2; shift ;;
        --rie) rie=$2; shift ;;
        --from-source) from_source=1 ;;
        --runtime-image) runtime_image=$2; shift ;;
        --tag) tag=$2; shift ;;
        --cli) cli=$2; shift ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
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
    host_arch=$(uname -m); [ "$host_arch" = aarch64 ] && host_arch=arm64
    host_perl=$(perl -e 'printf "%vd", $^V')
    platform=()
    [ -n "$arch" ] && case $arch in
        x86_64) platform=(--platform linux/amd64) ;;
        arm64) platform=(--platform linux/arm64) ;;
        *) echo "--arch is x86_64 or arm64, not $arch" >&2; exit 64 ;;
    esac
    arch=${arch:-$host_arch}
    if [ "$arch" = "$host_arch" ] && { [ -z "$perl" ] || [ "$perl" = "${host_perl%.*}" ]; }; then
        # this machine's binaries: the default tags
        suffix= perl_version=$host_perl server=$bin/perl-lambda bootstrap=${bootstrap:-$bin/bootstrap}
    else
        perl=${perl:-${host_perl%.*}}
        suffix=-$arch-perl$perl perl_version=$perl bootstrap=${bootstrap:-$bin/bootstrap$suffix}
        [ -x "$bootstrap" ] || { echo "no $bootstrap: \`make layer ARCH=$arch PERL=$perl\` builds it (or give --bootstrap PATH)" >&2; exit 1; }
        if [ "$arch" = "$host_arch" ]; then server=$bin/perl-lambda; else server=${rie:-$bin/aws-lambda-rie-$arch}; fi
    fi
    if [ -z "$base_image" ]; then
        case $perl_version in 5.36|5.36.*) base_image=debian:bookworm-slim ;; 5.40|5.40.*) base_image=debian:trixie-slim ;;
            *) echo "no Debian release has perl $perl_version: give --base-image IMAGE" >&2; exit 64 ;; esac
    fi
    for b in "$bootstrap" "$server"; do
        [ -x "$b" ] || { echo "no $b: swift build -c release --static-swift-stdlib (for an arm64 RIE: scripts/fetch-rie.sh)" >&2; exit 1; }
    done
    mkdir "$ctx/bin"
    cp "$bootstrap" "$ctx/bin/bootstrap"
    case $server in */perl-lambda) cp "$server" "$ctx/bin/perl-lambda" ;; *) cp "$server" "$ctx/bin/aws-lambda-rie" ;; esac
    # symbols are a third of a release binary; this machine's strip reads only its own architecture
    [ "$arch" = "$host_arch" ] && { strip "$ctx/bin/bootstrap" "$ctx/bin/perl-lambda" 2>/dev/null || true; }
    echo ">> $prefix:base$suffix (FROM $base_image, perl $perl_version, $arch)"
    docker build -q "${extra[@]}" "${platform[@]}" -f "$here/base.Dockerfile" --build-arg "BASE_IMAGE=$base_image" \
        --build-arg "PERL_VERSION=$perl_version" -t "$prefix:base$suffix" "$ctx"
    echo ">> $prefix:build$suffix (FROM $prefix:base$suffix)"
    docker build -q "${extra[@]}" "${platform[@]}" -f "$here/build.Dockerfile" --build-arg "BASE_IMAGE=$prefix:base$suffix" \
        -t "$prefix:build$suffix" "$ctx"
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
