#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with AddressSanitizer (+ UndefinedBehaviorSanitizer for the C codec) and
# runs each for SECONDS (default 300): first over its regression inputs (t/fuzz/<target>/, every crash ever found,
# must pass), then fuzzing from its seed corpus (fuzz/corpus/<target>/, written by us; new finds go to a scratch
# copy). A crash fails the run and leaves its input in .build/fuzz/<target>/crash-*: add it to t/fuzz/<target>/.
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]   targets: codec http_response event_stream invoke_request handler_name
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-${FUZZ_SECONDS:-300}}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(codec http_response event_stream invoke_request handler_name)
out=.build/fuzz
mkdir -p "$out/bin"
bin=$(dirname "$(readlink -f "$(command -v swiftc)")")
clang=$bin/clang
swift_fuzz=(-sanitize=fuzzer,address -parse-as-library -O -g)

build_wire() {   # LambdaWire as a static library with coverage instrumentation
    [ "$out/libLambdaWire.a" -nt Sources/LambdaWire ] && [ -z "$(find Sources/LambdaWire -newer "$out/libLambdaWire.a")" ] && return 0
    swiftc "${swift_fuzz[@]}" -module-name LambdaWire -emit-module -emit-module-path "$out/LambdaWire.swiftmodule" \
        -emit-library -static -o "$out/libLambdaWire.a" Sources/LambdaWire/*.swift
}

build() {
    local t=$1
    case $t in
    codec)
        local core ccflags
        core=$(perl -MConfig -e 'print "$Config{archlibexp}/CORE"')
        ccflags=$(perl -MConfig -e 'print join " ", grep { /^-D|^-fwrapv$|^-fno-strict-aliasing$/ } split " ", $Config{ccflags}')
        # shellcheck disable=SC2086
        "$clang" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-sanitize=function -g -O1 \
            -I "$core" -I Sources/CPerl/include -I Sources/CPerl $ccflags -Wno-unused-command-line-argument \
            Sources/CPerl/*.c fuzz/codec.c -L "$core" -Wl,-E -lperl -lm -ldl -lcrypt -lpthread -o "$out/bin/codec" ;;
    # each Swift target: its harness compiled with the sources it exercises (one module, internals visible)
    http_response)
        build_wire && swiftc "${swift_fuzz[@]}" -I "$out" -L "$out" -lLambdaWire fuzz/http_response.swift \
            Sources/LambdaRuntime/HTTPResponseParser.swift Sources/LambdaRuntime/RuntimeError.swift -o "$out/bin/$t" ;;
    handler_name)
        build_wire && swiftc "${swift_fuzz[@]}" -I "$out" -L "$out" -lLambdaWire fuzz/handler_name.swift -o "$out/bin/$t" ;;
    event_stream)
        build_wire && swiftc "${swift_fuzz[@]}" -I "$out" -L "$out" -lLambdaWire fuzz/event_stream.swift \
            Sources/LambdaEmulator/EventStream.swift Sources/LambdaEmulator/CRC32.swift Sources/LambdaEmulator/EmulatorError.swift \
            -o "$out/bin/$t" ;;
    invoke_request)
        build_wire && swiftc "${swift_fuzz[@]}" -I "$out" -L "$out" -lLambdaWire fuzz/invoke_request.swift \
            Sources/LambdaEmulator/InvokeRequest.swift Sources/LambdaEmulator/InvokeAPI.swift \
            Sources/LambdaEmulator/JSONCheck.swift Sources/LambdaEmulator/EventStream.swift Sources/LambdaEmulator/CRC32.swift \
            Sources/LambdaEmulator/EmulatorError.swift \
            -o "$out/bin/$t" ;;
    *) echo "unknown fuzz target $t" >&2; return 2 ;;
    esac
}

failed=0
for t in "${targets[@]}"; do
    echo ">> fuzz target $t: building"
    if ! build "$t" >"$out/$t.build.log" 2>&1; then
        echo "not ok - $t: build failed"; tail -30 "$out/$t.build.log"; failed=1; continue
    fi
    mkdir -p "$out/$t" "$out/$t.corpus"
    cp -n fuzz/corpus/"$t"/* "$out/$t.corpus/" 2>/dev/null
    regressions=(t/fuzz/"$t"/*)
    if [ -e "${regressions[0]}" ]; then
        if ! "$out/bin/$t" -runs=1 "${regressions[@]}" >"$out/$t.regressions.log" 2>&1; then
            echo "not ok - $t: a regression input fails again"; tail -30 "$out/$t.regressions.log"; failed=1; continue
        fi
    fi
    # rss_limit: the codec's interpreter and ASan's shadow; -timeout: one input may not take longer than 10 s
    if "$out/bin/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
            -artifact_prefix="$out/$t/" "$out/$t.corpus" fuzz/corpus/"$t" >"$out/$t.log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$t.log" | grep -o '[0-9]*$')
        echo "ok - $t: ${seconds}s, ${runs:-?} executions, no findings"
    else
        echo "not ok - $t: finding (see $out/$t.log; input in $out/$t/)"
        grep -m5 -E 'ERROR|SUMMARY|Fatal error|precondition|codec fuzz' "$out/$t.log"
        failed=1
    fi
done
exit $failed
