#!/usr/bin/env bash
# Integration tests of `perl-lambda serve`/`invoke` with real clients (curl, awscli, boto3, awslambdaric).
# usage: t/emulator/run.sh [pytest args...]   (PERL_LAMBDA_BIN=path uses a built CLI; else SCRATCH=.build-emu is built)
set -euo pipefail
cd "$(dirname "$0")/../.."
scratch=${SCRATCH:-.build-emu}

if [ -z "${PERL_LAMBDA_BIN:-}" ]; then
    echo ">> building bootstrap and perl-lambda into $scratch" >&2
    swift build --scratch-path "$scratch" --product bootstrap >&2
    swift build --scratch-path "$scratch" --product perl-lambda >&2
    PERL_LAMBDA_BIN="$(swift build --scratch-path "$scratch" --show-bin-path)/perl-lambda"
fi

python=${PYTHON:-python3}
missing=()
for spec in pytest:pytest boto3:boto3 awslambdaric:awslambdaric; do
    "$python" -c "import ${spec%%:*}" 2>/dev/null || missing+=("${spec#*:}")
done
command -v aws >/dev/null 2>&1 || missing+=(awscli)
command -v curl >/dev/null 2>&1 || { echo "curl is required" >&2; exit 1; }
if [ ${#missing[@]} -gt 0 ]; then
    echo ">> pip install ${missing[*]}" >&2
    "$python" -m pip install -q --disable-pip-version-check "${missing[@]}" >&2
fi
command -v aws >/dev/null 2>&1 || export PATH="$("$python" -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"

export PERL_LAMBDA_BIN
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL || true
export AWS_PAGER=""

set +e
"$python" -m pytest -q -p no:cacheprovider t/emulator "$@"
rc=$?
set -e
if [ $rc -eq 5 ]; then
    echo "pytest collected no tests: the suite is not set up" >&2
    exit 1
fi
exit $rc
