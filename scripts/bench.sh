#!/usr/bin/env bash
# make bench: runtime benchmarks (cold start, warm invokes, memory) and the JSON codec benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
perl bench/runtime.pl
echo "== JSON codec (inside bootstrap) vs JSON::XS / Cpanel::JSON::XS =="
.build/release/bootstrap --script bench/codec.pl
