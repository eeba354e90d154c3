# Sourced by the shell suites (t/docker/run.sh, t/packaging/xs-libs.sh): TAP lines and the binaries they test.
#   need_binaries DIR   exits unless DIR holds perl-lambda and bootstrap (a release build)
#   ok NAME / nok NAME [DETAIL...] / check NAME EXPECTED-SUBSTRING ACTUAL [LOGFILE]
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
