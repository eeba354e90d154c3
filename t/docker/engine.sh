# Sourced by t/docker/run.sh and bench/image.sh: a private Docker engine and the Debian bookworm stand-in base.
#   engine_start DIR   installs docker.io/debootstrap if missing, starts dockerd with its state under DIR,
#                      exports DOCKER_HOST and DOCKER_BUILDKIT=0; returns 1 when the engine cannot start
#   engine_stop        removes containers, stops dockerd, deletes DIR's engine state
#   bookworm_image TAG imports the cached debootstrap rootfs (built once at $ROOTFS_CACHE) as TAG
#   debian_image TAG SUITE ARCH  loads a cached debootstrap minbase rootfs of SUITE for ARCH (amd64, arm64) with
#                      Debian's perl preinstalled as TAG, an image of platform linux/ARCH (the OS image of
#                      perl-lambda's images for other architectures and perls; arm64 needs qemu-aarch64 in binfmt_misc)
#   bullseye_rootfs LOGDIR  the Debian bullseye rootfs (glibc 2.31, older than AL2023's) at $BULLSEYE_ROOTFS,
#                      debootstrapped once (log in LOGDIR) and reused: the old-glibc chroot of t/docker and t/packaging
ROOTFS_CACHE=${ROOTFS_CACHE:-/var/cache/perl-lambda/bookworm-rootfs.tar}
BULLSEYE_ROOTFS=${BULLSEYE_ROOTFS:-/var/cache/perl-lambda/bullseye-rootfs}
ENGINE_DIR=
ENGINE_PID=

engine_install() {
    local need=()
    command -v dockerd >/dev/null || need+=(docker.io)
    command -v debootstrap >/dev/null || need+=(debootstrap)
    command -v docker >/dev/null || need+=(docker.io)
    [ ${#need[@]} -eq 0 ] && return 0
    echo ">> apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need[@]}" >/dev/null
}

engine_start() {
    ENGINE_DIR=$1
    engine_install || return 1
    mkdir -p "$ENGINE_DIR"
    # vfs: no overlayfs/devicemapper inside this sandbox; no iptables: published ports use docker-proxy
    dockerd --iptables=false --ip-masq=false --storage-driver vfs --data-root "$ENGINE_DIR/data" \
        --exec-root "$ENGINE_DIR/exec" --pidfile "$ENGINE_DIR/dockerd.pid" -H "unix://$ENGINE_DIR/docker.sock" \
        >"$ENGINE_DIR/dockerd.log" 2>&1 &
    ENGINE_PID=$!
    export DOCKER_HOST="unix://$ENGINE_DIR/docker.sock" DOCKER_BUILDKIT=0
    for _ in $(seq 150); do
        docker info >/dev/null 2>&1 && return 0
        kill -0 "$ENGINE_PID" 2>/dev/null || break
        sleep 0.2
    done
    echo "dockerd did not start; its log:" >&2
    tail -20 "$ENGINE_DIR/dockerd.log" >&2
    return 1
}

engine_stop() {
    [ -n "$ENGINE_PID" ] || return 0
    local ids
    ids=$(docker ps -aq 2>/dev/null) && [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
    docker system prune -af >/dev/null 2>&1
    kill "$ENGINE_PID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$ENGINE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$ENGINE_PID" 2>/dev/null
    wait "$ENGINE_PID" 2>/dev/null
    ENGINE_PID=
    # vfs layer copies can hold read-only bits; containerd shims may linger on the exec root's mounts
    grep -o " $ENGINE_DIR/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
    rm -rf "$ENGINE_DIR/data" "$ENGINE_DIR/exec" 2>/dev/null
}

# The mirror apt uses (deb822 or one-line sources), for debootstrap.
debian_mirror() {
    local m
    m=$(grep -hoE '^URIs: *http[^ ]*/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | sed 's/^URIs: *//')
    [ -n "$m" ] || m=$(grep -hoE '^deb +http[^ ]*/debian/? ' /etc/apt/sources.list 2>/dev/null | head -1 | awk '{print $2}')
    echo "${m:-http://deb.debian.org/debian}"
}

# Builds the bookworm minbase rootfs tarball once (about a minute); later runs reuse it.
bookworm_rootfs() {
    [ -s "$ROOTFS_CACHE" ] && return 0
    local dir
    dir=$(mktemp -d)
    echo ">> debootstrap --variant=minbase bookworm (cached at $ROOTFS_CACHE)"
    if ! debootstrap --variant=minbase bookworm "$dir/root" "$(debian_mirror)" >"$dir/log" 2>&1; then
        tail -20 "$dir/log" >&2; rm -rf "$dir"; return 1
    fi
    # like debian:bookworm-slim: no docs, manuals, locales or apt lists
    rm -rf "$dir"/root/usr/share/{doc,man,info,locale}/* "$dir"/root/var/lib/apt/lists/* "$dir"/root/var/cache/apt/*.bin
    cat >"$dir/root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CFG
    mkdir -p "$(dirname "$ROOTFS_CACHE")"
    tar -C "$dir/root" --numeric-owner -cf "$ROOTFS_CACHE.tmp" . && mv "$ROOTFS_CACHE.tmp" "$ROOTFS_CACHE"
    rm -rf "$dir"
}

bookworm_image() {
    bookworm_rootfs || return 1
    docker image inspect "$1" >/dev/null 2>&1 && return 0
    docker import -c 'CMD ["/bin/bash"]' "$ROOTFS_CACHE" "$1" >/dev/null
}

# debian_rootfs SUITE ARCH: the tarball's path, debootstrapped once (arm64 under qemu-user: its second stage runs
# the packages' maintainer scripts; about 2 minutes for trixie). perl is included, unlike the debian:*-slim images
# base.Dockerfile installs it into with apt-get: under emulation that install would cost every fresh engine a
# minute or two, and its apt-get branch is the same shell the bookworm (x86_64) tests run.
debian_rootfs() {
    local suite=$1 arch=$2 tar dir
    tar=$(dirname "$ROOTFS_CACHE")/$suite-$arch-perl-rootfs.tar
    [ -s "$tar" ] && { echo "$tar"; return 0; }
    command -v debootstrap >/dev/null || engine_install >&2 || return 1
    dir=$(mktemp -d /var/tmp/perl-lambda-rootfs.XXXXXX)
    echo ">> debootstrap --variant=minbase --arch=$arch --include=perl $suite (once; cached at $tar)" >&2
    if ! debootstrap --variant=minbase --arch="$arch" --include=perl "$suite" "$dir/root" "$(debian_mirror)" >"$dir/log" 2>&1; then
        tail -20 "$dir/log" >&2; rm -rf "$dir"; return 1
    fi
    rm -rf "$dir"/root/usr/share/{doc,man,info,locale}/* "$dir"/root/var/lib/apt/lists/* "$dir"/root/var/cache/apt/*.bin
    printf 'path-exclude /usr/share/%s/*\n' doc man info locale >"$dir/root/etc/dpkg/dpkg.cfg.d/docker-slim"
    mkdir -p "$(dirname "$tar")"
    tar -C "$dir/root" --numeric-owner -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
    rm -rf "$dir"
    echo "$tar"
}

# `docker import --platform linux/arm64` records the engine's own architecture all the same (dockerd 20.10), and the
# classic builder then refuses a COPY onto it under --platform linux/arm64 ("does not match the specified platform"):
# the image is loaded instead from a `docker save` layout whose config names the architecture.
debian_image() {
    local tag=$1 suite=$2 arch=$3 tar dir
    tar=$(debian_rootfs "$suite" "$arch") || return 1
    dir=$(mktemp -d /var/tmp/perl-lambda-image.XXXXXX)
    ln -s "$tar" "$dir/layer.tar"
    printf '{"architecture":"%s","os":"linux","config":{"Cmd":["/bin/bash"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
        "$arch" "$(sha256sum "$tar" | cut -d' ' -f1)" >"$dir/config.json"
    printf '[{"Config":"config.json","RepoTags":["%s"],"Layers":["layer.tar"]}]' "$tag" >"$dir/manifest.json"
    tar -C "$dir" -chf - config.json manifest.json layer.tar | docker load -q >/dev/null
    local status=$?
    rm -rf "$dir"
    return $status
}

bullseye_rootfs() {
    local root=$BULLSEYE_ROOTFS log=$1/debootstrap-bullseye.log mirror
    [ -x "$root/bin/sh" ] && return 0
    command -v debootstrap >/dev/null || engine_install || return 1
    mirror=$(debian_mirror)
    echo "# debootstrap bullseye from $mirror into $root (once)"
    rm -rf "$root.tmp"; mkdir -p "$(dirname "$root")"
    debootstrap --variant=minbase bullseye "$root.tmp" "$mirror" >"$log" 2>&1 \
        && mv "$root.tmp" "$root" || { tail -5 "$log"; rm -rf "$root.tmp"; return 1; }
}
