#!/usr/bin/env bash
# AWS SAM CLI on `perl-lambda init` scaffolds (t/sam/test_sam.py): `sam validate --lint`, `sam build` of the zip
# template (the scaffold's Makefile) and of the image template (its Dockerfile), `sam local invoke` of the image.
# aws-sam-cli (pinned, with pytest) lives in a virtualenv, $SAM_VENV (default .cache/sam-venv), made on first use
# (about 4 minutes of pip). The image tests run on a private Docker engine (t/docker/engine.sh) with perl-lambda:base
# built from BIN_DIR by images/build.sh; where no engine can start (not root, no dockerd) they are skipped, saying
# why. 5 to 9 minutes on 2 cores once the virtualenv exists, most of it the vfs engine copying image layers
# (building perl-lambda:base and :build took 65-175 s, the tests 220-280 s, removing the engine's images up to 2 min).
# usage: t/sam/run.sh [BIN_DIR] [pytest args...]   (BIN_DIR: release perl-lambda and bootstrap, default .build/release)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(cd "${1:-.build/release}" && pwd)
[ $# -gt 0 ] && shift
for b in perl-lambda bootstrap; do
    [ -x "$bin/$b" ] || { echo "no $bin/$b: build first (make release)" >&2; exit 1; }
done
started=$(date +%s)

sam_version=1.170.0
venv=$(realpath -m "${SAM_VENV:-.cache/sam-venv}")   # absolute: the tests run sam from other folders
if ! "$venv/bin/sam" --version 2>/dev/null | grep -qx "SAM CLI, version $sam_version" \
    || ! "$venv/bin/python" -c "import pytest" 2>/dev/null; then
    echo ">> $venv: pip install aws-sam-cli==$sam_version pytest" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "aws-sam-cli==$sam_version" pytest >&2
fi

# cpanm for the Makefile's dependency step, unzip for its unpacking of `perl-lambda package`'s zip
need=()
command -v cpanm >/dev/null || need+=(cpanminus)
command -v unzip >/dev/null || need+=(unzip)
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ]; then
    echo ">> apt-get install ${need[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need[@]}" >/dev/null
fi

work=$(mktemp -d /var/tmp/perl-lambda-sam.XXXXXX)
source t/docker/engine.sh
# engine_stop's commands may fail (a dockerd already gone); under set -e that would end the trap before the
# engine's mounts and files are removed
cleanup() { set +e; engine_stop; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

no_engine=
if [ "$(id -u)" != 0 ]; then
    no_engine="starting a Docker engine needs root"
elif ! engine_start "$work/engine"; then
    no_engine="the Docker engine cannot start on this machine (its log is above)"
else
    t0=$(date +%s)
    bookworm_image debian:bookworm-slim || { echo "debootstrap of the bookworm rootfs failed" >&2; exit 1; }
    if ! DOCKER_BUILD_ARGS="--network host" images/build.sh --bin "$bin" >"$work/images.log" 2>&1; then
        tail -20 "$work/images.log" >&2; echo "images/build.sh failed" >&2; exit 1
    fi
    echo "# engine up, perl-lambda:base built in $(( $(date +%s) - t0 ))s"
fi
if [ -n "$no_engine" ]; then
    echo "######## SKIPPING the image tests: $no_engine ########"
fi

export SAM_TEST_NO_ENGINE=$no_engine PERL_LAMBDA_BIN=$bin/perl-lambda SAM_BIN=$venv/bin/sam
set +e
"$venv/bin/python" -m pytest -q -p no:cacheprovider -rs t/sam "$@"
rc=$?
set -e
echo "# t/sam: $(( $(date +%s) - started ))s"
if [ $rc -eq 5 ]; then
    echo "pytest collected no tests: the suite is not set up" >&2
    exit 1
fi
exit $rc
