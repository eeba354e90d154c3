#!/bin/sh
# Stand-in for the entrypoint of Lambda's provided:al2023 image (same contract): the handler is the only
# argument and is exported as _HANDLER; on Lambda /var/runtime/bootstrap runs directly, elsewhere under the AWS
# Runtime Interface Emulator, which answers on port 8080.
if [ $# -ne 1 ]; then
    echo "lambda-entrypoint.sh: give the handler as the only argument (the image's CMD)" >&2
    exit 142
fi
export _HANDLER="$1"
if [ -n "${AWS_LAMBDA_RUNTIME_API:-}" ]; then
    exec /var/runtime/bootstrap
fi
exec /usr/local/bin/aws-lambda-rie /var/runtime/bootstrap
