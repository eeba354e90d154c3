#!/usr/bin/env bash
# Installs what building and testing perl-lambda needs on a fresh Debian 12 machine (idempotent).
set -euo pipefail
need=()
for pkg in libperl-dev libjson-xs-perl libcpanel-json-xs-perl libtypes-serialiser-perl libtry-tiny-perl curl unzip xz-utils \
           procps util-linux debootstrap qemu-user-static binfmt-support \
           libplack-perl libmojolicious-perl starman chromium imagemagick \
           libjson-types-perl libplack-middleware-reverseproxy-perl liburi-perl libxml-parser-perl; do
    # procps: pgrep/ps, util-linux: unshare/setpriv (t/integration); xz-utils: t/perl-versions.sh; Plack,
    # Mojolicious, Starman, Chromium, ImageMagick: t/psgi and bench/psgi.pl; JSON::Types, ReverseProxy, URI:
    # AWS::Lambda::PSGI for t/psgi/compat.t; XML::Parser (an XS module needing libexpat): t/packaging, the
    # LambdaProject tests; debootstrap, qemu-user-static, binfmt-support: the Debian roots of scripts/layer.sh and
    # t/layers (arm64 binaries run under qemu)
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo ">> apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
fi
