#!/usr/bin/env bash
# Puts the real AWS Runtime Interface Emulator at .cache/bin/aws-lambda-rie.
# It ships inside the aws-sam-cli wheel on PyPI (samcli/local/rapid/aws-lambda-rie-<arch>).
set -euo pipefail
cd "$(dirname "$0")/.."
out=.cache/bin/aws-lambda-rie
[ -x "$out" ] && exit 0
arch=$(uname -m); [ "$arch" = aarch64 ] && arch=arm64
mkdir -p .cache/wheel .cache/bin
if ! ls .cache/wheel/aws_sam_cli-*.whl >/dev/null 2>&1; then
    echo ">> pip download aws-sam-cli (for the AWS Runtime Interface Emulator)"
    python3 -m pip download --quiet --no-deps aws-sam-cli -d .cache/wheel
fi
unzip -o -q -j .cache/wheel/aws_sam_cli-*.whl "samcli/local/rapid/aws-lambda-rie-$arch" -d .cache/bin
mv ".cache/bin/aws-lambda-rie-$arch" "$out"
chmod +x "$out"
