#!/usr/bin/env bash
# Container image benchmarks (not part of `make test`): image size and cold start — `docker start` to the first
# response on the Invoke API — of the seed's hello image on perl-lambda:base, against an image with the same
# Debian perl running AWS::Lambda's pure-Perl bootstrap (JSON::XS, Try::Tiny and HTTP::Tiny from Debian),
# served by the same emulator so only the runtime differs; then the zip and layer sizes.
# AWS::Lambda's source comes from its git mirror via `git archive` into a temporary build context (never
# committed). usage: bench/image.sh [BIN_DIR] [RUNS]   (default .build/release, 7 runs)
set -uo pipefail
cd "$(dirname "$0")/.."
bin=$(cd "${1:-.build/release}" && pwd)
runs=${2:-7}
mirror=${AWS_LAMBDA_MIRROR:-/work/.mirror/shogo82148+p5-aws-lambda/repo}
work=$(mktemp -d /var/tmp/perl-lambda-bench.XXXXXX)
source t/docker/engine.sh
trap 'engine_stop; rm -rf "$work"' EXIT
engine_start "$work/engine" || { echo "bench/image.sh: no Docker engine"; exit 1; }
bookworm_image debian:bookworm-slim
DOCKER_BUILD_ARGS="--network host" images/build.sh --bin "$bin" >/dev/null 2>&1 || { echo "images/build.sh failed"; exit 1; }

docker build -q -t bench-ours t/docker/hello >/dev/null
ctx=$work/awslambda
mkdir -p "$ctx"
git -C "$mirror" archive HEAD lib script | tar -C "$ctx" -xf -
cp t/docker/hello/handler.pl "$bin/perl-lambda" "$ctx/"
strip "$ctx/perl-lambda" 2>/dev/null || true   # as images/build.sh does for ours
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends perl libjson-xs-perl libtry-tiny-perl \
    && apt-get clean && rm -rf /var/lib/apt/lists/* && ln -s C.utf8 /usr/lib/locale/en_US.utf8
COPY lib /opt/lib
COPY script/bootstrap /opt/bootstrap
COPY perl-lambda /usr/local/bin/perl-lambda
COPY handler.pl /var/task/
ENV LAMBDA_TASK_ROOT=/var/task
WORKDIR /var/task
ENTRYPOINT ["/usr/local/bin/perl-lambda", "serve", "--host", "0.0.0.0", "--port", "8080", "--task-root", "/var/task", \
            "handler.handle", "--", "perl", "-I/opt/lib", "/opt/bootstrap", "handler.handle"]
DOCKERFILE
docker build -q --network host -t bench-awslambda "$ctx" >/dev/null || { echo "AWS::Lambda image failed to build"; exit 1; }

url=http://127.0.0.1:9077/2015-03-31/functions/function/invocations
cold() { # one run: ms from `docker start` to the first {"hello":"lambda"} (`docker create` — which copies
    local t0 t1 cid  # the whole image on the vfs driver — is done before the clock starts)
    cid=$(docker create -p 9077:8080 "$1")
    t0=$(date +%s%N)
    docker start "$cid" >/dev/null
    for _ in $(seq 2000); do
        [ "$(curl -s --max-time 2 -XPOST "$url" -d '{}' 2>/dev/null)" = '{"hello":"lambda"}' ] && break
        sleep 0.005
    done
    t1=$(date +%s%N)
    docker rm -f "$cid" >/dev/null
    echo $(( (t1 - t0) / 1000000 ))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
size() { docker image inspect --format '{{.Size}}' "$1" | awk '{printf "%.1f MB", $1/1048576}'; }

printf '%-44s %10s %14s\n' image size "cold start"
for img in bench-ours bench-awslambda; do
    cold "$img" >/dev/null   # warm the page cache once
    ms=$(for _ in $(seq "$runs"); do cold "$img"; done | median)
    label=$([ "$img" = bench-ours ] && echo "perl-lambda:base + handler (Swift bootstrap)" || echo "AWS::Lambda (pure Perl) on the same perl")
    printf '%-44s %10s %11s ms\n' "$label" "$(size "$img")" "$ms"
done
echo "(cold start: median of $runs runs of docker start → first response, both served by perl-lambda serve)"
printf '%-44s %10s\n' "debian:bookworm-slim (stand-in)" "$(size debian:bookworm-slim)"
printf '%-44s %10s\n' "perl-lambda:build" "$(size perl-lambda:build)"

"$bin/perl-lambda" package t/docker/hello --bootstrap "$bin/bootstrap" -o "$work/function.zip" | sed -n 's/^ *//p' | sed 's/^/function.zip (runtime inside): /' | tail -2
"$bin/perl-lambda" package t/docker/hello --no-bootstrap -o "$work/code.zip" | sed -n 's/^ *//p' | sed 's/^/code.zip (for the layer):      /' | tail -2
"$bin/perl-lambda" package --layer --bootstrap "$bin/bootstrap" -o "$work/layer.zip" | sed -n 's/^  //p' | sed 's/^/layer.zip:    /'
