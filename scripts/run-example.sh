#!/usr/bin/env bash
# Serves a handler with our bootstrap under the real AWS Runtime Interface Emulator and invokes it with curl.
# usage: scripts/run-example.sh TASK_ROOT HANDLER [PORT]   (KEEP=1 keeps serving until Ctrl-C)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(cd "$1" && pwd); handler=$2; port=${3:-9000}
rie=.cache/bin/aws-lambda-rie
log=$(mktemp)
LAMBDA_TASK_ROOT=$root _HANDLER=$handler AWS_LAMBDA_FUNCTION_NAME=hello AWS_LAMBDA_FUNCTION_VERSION='$LATEST' \
AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128 \
    "$rie" --runtime-interface-emulator-address "127.0.0.1:$port" --runtime-api-address "127.0.0.1:$((port + 1))" \
    "$PWD/.build/release/bootstrap" "$handler" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
url="http://127.0.0.1:$port/2015-03-31/functions/function/invocations"
echo ">> curl -XPOST $url -d '{}'"
curl -sS -XPOST "$url" -d '{}'
echo
if [ -n "${KEEP:-}" ]; then
    echo ">> serving $handler from $root on 127.0.0.1:$port (Ctrl-C to stop)"
    tail -f "$log"
fi
