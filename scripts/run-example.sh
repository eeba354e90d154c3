#!/usr/bin/env bash
# Serves a handler with `perl-lambda serve` and invokes it with curl on the RIE-compatible path.
# usage: scripts/run-example.sh TASK_ROOT HANDLER [PORT]   (KEEP=1 keeps serving until Ctrl-C)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(cd "$1" && pwd); handler=$2; port=${3:-9000}
cli=.build/release/perl-lambda
log=$(mktemp)
"$cli" serve --task-root "$root" --port "$port" "$handler" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
url="http://127.0.0.1:$port/2015-03-31/functions/function/invocations"
echo ">> $cli serve --task-root $root --port $port $handler"
echo ">> curl -XPOST $url -d '{}'"
curl -sS -XPOST "$url" -d '{}'
echo
echo ">> function log:"
cat "$log"
if [ -n "${KEEP:-}" ]; then
    echo ">> serving $handler from $root on 127.0.0.1:$port (Ctrl-C to stop)"
    tail -n0 -f "$log"
fi
