#!/bin/sh
# /lambda-entrypoint.sh HANDLER — the ENTRYPOINT of perl-lambda images (the image's CMD names the handler).
# On Lambda (AWS_LAMBDA_RUNTIME_API is set) it execs the bootstrap, which serves the Runtime API. Anywhere
# else (`docker run -p 9000:8080 IMAGE`) it runs a Runtime Interface Emulator that answers
# POST /2015-03-31/functions/function/invocations on port 8080 with the same bootstrap: `perl-lambda serve` where
# the image has perl-lambda (images of the architecture perl-lambda is built for), else the AWS RIE the image
# carries as /usr/local/bin/aws-lambda-rie (arm64 images: perl-lambda is an x86_64 program).
set -eu
BIN=/usr/local/bin
if [ $# -eq 0 ] && [ -n "${_HANDLER:-}" ]; then set -- "$_HANDLER"; fi
if [ -n "${AWS_LAMBDA_RUNTIME_API:-}" ]; then
    exec "$BIN/bootstrap" "$@"
fi
[ $# -gt 0 ] || { echo "lambda-entrypoint: no handler: give it as the image's CMD, e.g. CMD [\"handler.handle\"]" >&2; exit 64; }
if [ ! -x "$BIN/perl-lambda" ]; then
    # the RIE passes the container's environment (docker run -e) on to the bootstrap, and reads
    # AWS_LAMBDA_FUNCTION_TIMEOUT itself
    exec "$BIN/aws-lambda-rie" --runtime-interface-emulator-address "0.0.0.0:${PERL_LAMBDA_PORT:-8080}" "$BIN/bootstrap" "$@"
fi
handler=$1; shift
# The container's own environment reaches the function (docker run -e NAME=VALUE), as with the AWS RIE.
for name in $(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p'); do
    case $name in
        AWS_LAMBDA_RUNTIME_API|_HANDLER|LAMBDA_TASK_ROOT|LAMBDA_RUNTIME_DIR|HOSTNAME|HOME|PWD|SHLVL|PATH) continue ;;
    esac
    eval "value=\${$name}"
    set -- "$@" -e "$name=$value"
done
# Lambda starts /opt/extensions/* (a layer's extensions, or ones an image adds) beside the runtime: so does serve,
# with /opt as a layer (its bin, lib and Perl modules too) when it holds extensions.
if [ -d /opt/extensions ]; then set -- "$@" --layer /opt; fi
exec "$BIN/perl-lambda" serve --host 0.0.0.0 --port "${PERL_LAMBDA_PORT:-8080}" \
    --task-root "${LAMBDA_TASK_ROOT:-/var/task}" --bootstrap "$BIN/bootstrap" \
    --timeout "${AWS_LAMBDA_FUNCTION_TIMEOUT:-300}" --memory "${AWS_LAMBDA_FUNCTION_MEMORY_SIZE:-3008}" \
    --function-name "${AWS_LAMBDA_FUNCTION_NAME:-function}" "$@" "$handler"
