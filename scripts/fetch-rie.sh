#!/usr/bin/env bash
# Puts the real AWS Runtime Interface Emulator at .cache/bin/aws-lambda-rie (this machine's architecture), and both
# architectures' at .cache/bin/aws-lambda-rie-x86_64 and -arm64 (the layer tests run the arm64 one under qemu).
# They ship inside the aws-sam-cli wheel on PyPI (samcli/local/rapid/aws-lambda-rie-<arch>).
set -euo pipefail
cd "$(dirname "$0")/.."
out=.cache/bin/aws-lambda-rie
arch=$(uname -m); [ "$arch" = aarch64 ] && arch=arm64
[ -x "$out" ] && [ -x "$out-x86_64" ] && [ -x "$out-arm64" ] && exit 0
mkdir -p .cache/wheel .cache/bin
if ! ls .cache/wheel/aws_sam_cli-*.whl >/dev/null 2>&1; then
    echo ">> pip download aws-sam-cli (for the AWS Runtime Interface Emulator)"
    python3 -m pip download --quiet --no-deps aws-sam-cli -d .cache/wheel
fi
for a in x86_64 arm64; do
    [ -x "$out-$a" ] && continue
    unzip -o -q -j .cache/wheel/aws_sam_cli-*.whl "samcli/local/rapid/aws-lambda-rie-$a" -d .cache/bin
    chmod +x "$out-$a"
done
[ -x "$out" ] || cp "$out-$arch" "$out"
