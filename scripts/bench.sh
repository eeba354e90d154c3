#!/usr/bin/env bash
# make bench: every benchmark, each printing ratios against baselines measured in the same run.
# Not part of `make test`. Runs for several minutes; BENCH_QUICK=1 shortens the long runs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${BENCH_QUICK:-}" ]; then export BENCH_INVOKES=${BENCH_INVOKES:-10000} SOAK_INVOCATIONS=${SOAK_INVOCATIONS:-100000}; fi
python3 -c 'import awslambdaric' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check awslambdaric

echo "== bootstrap: cold start, warm invokes, memory =="
perl bench/runtime.pl
echo
echo "== bootstrap memory over 1,000,000 traced invocations (fake Runtime API with Lambda's headers) =="
perl bench/soak.pl
echo
echo "== JSON codec (inside bootstrap) vs JSON::XS / Cpanel::JSON::XS =="
.build/release/bootstrap --script bench/codec.pl
echo
echo "== perl-lambda serve vs the AWS RIE =="
python3 bench/emulator.py
echo
echo "== Plack app through serve --function-url vs plackup / Starman =="
perl bench/psgi.pl
echo
echo "== AWS::Lambda::PSGI per request vs p5-aws-lambda's, under plain perl and inside bootstrap =="
perl bench/psgi_adapter.pl
echo
echo "== arm64 bootstrap vs AWS::Lambda, both under qemu-user (ratios only) =="
bench/arm64.sh "$PWD/.build/release"
echo
echo "== container image size and cold start, zip sizes (starts a Docker engine) =="
bench/image.sh "$PWD/.build/release"
