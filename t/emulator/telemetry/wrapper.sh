#!/bin/sh
# Runtime command for t/emulator/test_telemetry.py: starts the test extension beside the runtime with the same
# environment (AWS_LAMBDA_RUNTIME_API included), as a wrapper script starts an internal extension on Lambda, waits
# until it has subscribed (at most 10 s), then becomes perl-lambda's bootstrap.
"${PYTHON:-python3}" "$(dirname "$0")/extension.py" &
i=0
while [ ! -e "$TEL_OUT.ready" ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i + 1)); done
exec "$TEL_BOOTSTRAP"
