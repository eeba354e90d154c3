# Sourced by the shell suites (t/docker, t/packaging, t/layers): TAP lines, the binaries they test, their servers.
#   need_binaries DIR   exits unless DIR holds perl-lambda and bootstrap (a release build)
#   ok NAME / nok NAME [DETAIL...] / check NAME EXPECTED-SUBSTRING ACTUAL [LOGFILE]
#   pids+=($!) after starting a server; stop_pids kills and reaps them all
#   free_port N         the first port from N that nothing listens on
pass=0 fail=0
ok()   { pass=$((pass + 1)); echo "ok $((pass + fail)) - $1"; }
nok()  { fail=$((fail + 1)); echo "not ok $((pass + fail)) - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
check() {
    if [[ "$3" == *"$2"* ]]; then ok "$1"; else nok "$1" "expected: $2" "got: $3"; [ -n "${4:-}" ] && sed 's/^/#   log: /' "$4" | tail -20; fi
}
need_binaries() {
    local b
    for b in perl-lambda bootstrap; do
        [ -x "$1/$b" ] || { echo "no $1/$b: build first (make release)"; exit 1; }
    done
}
pids=()
stop_pids() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    pids=()
}
free_port() { local p=$1; while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done; echo "$p"; }
