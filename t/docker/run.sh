#!/usr/bin/env bash
# Docker, zip and layer tests. Starts a private dockerd (vfs, no iptables), imports a cached
# debootstrap'd Debian bookworm as debian:bookworm-slim (no registry is reachable), builds perl-lambda:base
# and :build from the release binaries, then checks:
#   1. the three-line Dockerfile users write (FROM perl-lambda:base / COPY handler.pl / CMD) answers curl on -p 9000:8080
#   2. `perl-lambda image build` of a function with a cpanfile (dependency vendored in local/lib/perl5)
#   3. `perl-lambda package` → function.zip (the runtime bundled in perl-lambda/) unzipped into a clean root, served
#      by `perl-lambda serve` with its bootstrap
#   4. `perl-lambda package --layer` mounted at /opt in a mount namespace where the system's perl is hidden,
#      serving a `--no-bootstrap` function zip through /opt/bootstrap
#   5. the same layer on an older glibc: a cached debootstrap'd Debian bullseye (glibc 2.31, older than AL2023's
#      2.34) chroot with the layer at /opt: bin/bootstrap run plainly fails with a GLIBC_2.3x error, /opt/bootstrap
#      (the bundled loader and libc) serves hello, a die, XS modules, and children that use the system's libc;
#      with no perl in the chroot either (like provided.al2023) and no layer, function.zip's own bootstrap serves
#   6. `perl-lambda image build --bundle-runtime` (the layer's runtime in an OS-only image) on a stand-in for
#      provided:al2023 built from that bullseye rootfs (perl removed, the real AWS RIE behind the provided
#      images' entrypoint contract)
#   7. images/source.Dockerfile on a stand-in for perl:5.40-slim (t/docker/perl-slim: perl 5.40.1 built from
#      source into /usr/local): the bootstrap compiled against that perl inside it, then the three-line Dockerfile on it,
#      and a Dockerfile ending with AWS::Lambda's `ENTRYPOINT [ "/usr/local/bin/perl", "-MAWS::Lambda::Bootstrap",
#      "-e", "bootstrap(@ARGV)" ]`, under docker run -p and under a Runtime API (slowest part, about 10 minutes;
#      QUICK=1 skips it, loudly)
# Before images/build.sh runs, the engine starts empty: `perl-lambda image build` on a folder holding only
# handler.pl must say what is missing, then, with only debian:bookworm-slim imported, build perl-lambda:base itself
# (and perl-lambda:build for a cpanfile) and the function's image. A function whose only entry point is app.psgi
# goes through `package` (zip served from a clean root) and `image build` (docker run -p + curl).
# usage: t/docker/run.sh [BIN_DIR]   (default: .build/release; ROOTFS_CACHE overrides the rootfs cache path,
#        BULLSEYE_ROOTFS the bullseye rootfs directory, default /var/cache/perl-lambda/bullseye-rootfs)
set -uo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
bin=$(cd "${1:-${PERL_LAMBDA_BIN_DIR:-.build/release}}" && pwd)
cli=$bin/perl-lambda
started=$(date +%s)
source t/lib/tap.sh
skip=0
elapsed() { echo "$(( $(date +%s) - started ))s"; }
need_binaries "$bin"

work=$(mktemp -d /var/tmp/perl-lambda-docker.XXXXXX)
source t/docker/engine.sh
cleanup() {
    stop_pids
    engine_stop
    pkill -f -- "$work/" 2>/dev/null   # anything else still running from this run's files
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; return 1; }
invoke()    { curl -sS --max-time 30 -XPOST "http://127.0.0.1:$1/2015-03-31/functions/function/invocations" -d '{}' 2>&1; }

# ---- zip and layer (no docker needed) ----
fn=$work/cpan-fn
cp -r t/docker/cpan "$fn"
mkdir -p "$fn/local/lib/perl5/Try" "$fn/local/bin" "$fn/t"
tiny=$(perl -MTry::Tiny -e 'print $INC{"Try/Tiny.pm"}' 2>/dev/null)
[ -n "$tiny" ] || { apt-get -o DPkg::Lock::Timeout=600 install -y -qq libtry-tiny-perl >/dev/null; tiny=/usr/share/perl5/Try/Tiny.pm; }
cp "$tiny" "$fn/local/lib/perl5/Try/Tiny.pm"      # vendored (carton-style): CPAN is not reachable here
echo 'not packaged' >"$fn/local/bin/tool"; echo 'not packaged' >"$fn/t/x.t"

serve_zip() { # serve_zip ROOT BOOTSTRAP [wrapper...]: sets $port, the server's pid goes in pids (not in a
    # $(...) subshell, where pids+= would be lost and the server outlive the script)
    port=$(free_port 19300)
    "${@:3}" "$cli" serve --task-root "$1" --bootstrap "$2" --port "$port" "${serve_handler:-handler.handle}" \
        >"$work/serve-$port.log" 2>&1 &
    pids+=($!)
    wait_http "$port" || true
}

t0=$(date +%s)
out=$("$cli" package "$fn" --bootstrap "$bin/bootstrap" -o "$work/function.zip" 2>&1)
check "package: function.zip written with a size report" "of the 50 MB direct-upload limit" "$out"
"$cli" package "$fn" --bootstrap "$bin/bootstrap" -o "$work/function2.zip" >/dev/null 2>&1
if cmp -s "$work/function.zip" "$work/function2.zip"; then ok "package: same input, same zip bytes"; else nok "package: zips differ"; fi
listing=$(unzip -Z1 "$work/function.zip" | grep -v '^perl-lambda/.*/' | tr '\n' ' ')
check "package: bootstrap, handler, local/lib/perl5 (not local/bin, t/) in the zip" \
    "bootstrap cpanfile handler.pl local/lib/perl5/Try/Tiny.pm " "$listing"
missing= files=$(unzip -Z1 "$work/function.zip")
for f in bin/bootstrap bin/perl lib/ld-linux-x86-64.so.2 lib/libc.so.6 lib/libperl.so.5.36 perl5/lib/strict.pm; do
    grep -qx "perl-lambda/$f" <<<"$files" || missing="$missing perl-lambda/$f"
done
check "package: the runtime in perl-lambda/ (bootstrap, perl, loader, libc, libperl, core modules)" "missing: none" "missing:${missing:- none}"
mkdir "$work/zip-root" && unzip -q "$work/function.zip" -d "$work/zip-root"
serve_zip "$work/zip-root" "$work/zip-root/bootstrap"
check "zip: unzipped function served with its own bootstrap" "\"from\":\"$work/zip-root/local/lib/perl5/Try/Tiny.pm\"" "$(invoke "$port")" "$work/serve-$port.log"

# a function whose only entry point is a .psgi file (README: "a .psgi file can be the handler")
psgi_fn=$work/psgi-fn
mkdir -p "$psgi_fn"
cat >"$psgi_fn/app.psgi" <<'PSGI'
my $file = __FILE__;
sub { my $env = shift; [200, ['Content-Type' => 'text/plain'], ["psgi $env->{REQUEST_METHOD} $env->{PATH_INFO} from $file"]] };
PSGI
v2_event='{"version":"2.0","rawPath":"/hi","rawQueryString":"","headers":{"host":"x"},"isBase64Encoded":false,'
v2_event+='"requestContext":{"http":{"method":"GET","path":"/hi","sourceIp":"127.0.0.1"},"stage":"$default"}}'
invoke_v2() { curl -sS --max-time 30 -XPOST "http://127.0.0.1:$1/2015-03-31/functions/function/invocations" -d "$v2_event" 2>&1; }
out=$("$cli" package "$psgi_fn" --handler app.psgi --bootstrap "$bin/bootstrap" -o "$work/psgi.zip" 2>&1)
check "package --handler app.psgi: a function with only app.psgi is packaged" "of the 50 MB direct-upload limit" "$out"
out=$("$cli" package "$psgi_fn" --handler app.handle --no-bootstrap -o "$work/psgi-bad.zip" 2>&1)
check "package --handler app.handle: the handler's file must be there" "no app.pl in '$psgi_fn' for the handler app.handle" "$out"
mkdir "$work/psgi-root" && unzip -q "$work/psgi.zip" -d "$work/psgi-root"
serve_handler=app.psgi serve_zip "$work/psgi-root" "$work/psgi-root/bootstrap"
check "zip: app.psgi as the handler, served from a clean root with the zip's bootstrap" \
    "psgi GET /hi from $work/psgi-root/app.psgi" "$(invoke_v2 "$port")" "$work/serve-$port.log"

"$cli" package "$fn" --no-bootstrap -o "$work/code.zip" >/dev/null 2>&1
out=$("$cli" package --layer --bootstrap "$bin/bootstrap" -o "$work/layer.zip" 2>&1)
check "package --layer: layer zip written" "of the 250 MB limit" "$out"
echo "$out" | sed 's/^/#   /'
mkdir "$work/opt" "$work/code" && unzip -q "$work/layer.zip" -d "$work/opt" && unzip -q "$work/code.zip" -d "$work/code"
# Lambda's view: the layer at /opt, no perl anywhere else (its module dirs and libperl hidden)
hide='mount --bind "$0" /opt'
for d in /usr/share/perl /usr/share/perl5 /usr/lib/x86_64-linux-gnu/perl /usr/lib/x86_64-linux-gnu/perl5 \
         /usr/lib/x86_64-linux-gnu/perl-base /etc/perl /usr/local/share/perl /usr/local/lib/x86_64-linux-gnu/perl; do
    [ -d "$d" ] && hide="$hide && mount -t tmpfs none $d"
done
libperl=$(ldd "$bin/bootstrap" | awk '/libperl/ {print $3}')
hide="$hide && mount --bind /dev/null $(readlink -f "$libperl") && exec \"\$@\""
if unshare --mount --propagation private true 2>/dev/null; then
    serve_zip "$work/code" /opt/bootstrap unshare --mount --propagation private sh -c "$hide" "$work/opt"
    body=$(invoke "$port")
    check "layer: /opt/bootstrap serves the function without the system perl" "\"strict\":\"/opt/perl5/" "$body" "$work/serve-$port.log"
    check "layer: function's local/lib/perl5 on @INC" "\"from\":\"$work/code/local/lib/perl5/Try/Tiny.pm\"" "$body"
else
    skip=$((skip + 2)); echo "# SKIPPED (2 tests): unshare --mount is not permitted here, the layer cannot be mounted at /opt"
fi
stop_pids

# 5. the layer on glibc 2.31 (Debian bullseye), in a chroot sharing the host's network: the host's perl-lambda
#    serves the Runtime API, the runtime inside the chroot is started with `-- COMMAND`
bullseye=$BULLSEYE_ROOTFS   # (t/docker/engine.sh)
# enter ROOT LAYER TASK CMD...: CMD chrooted in ROOT with LAYER at /opt and TASK at /var/task (private mounts,
# gone with the namespace)
cat >"$work/enter.sh" <<'SH'
#!/bin/sh
r=$1 layer=$2 task=$3; shift 3
mount --bind "$layer" "$r/opt" && mount --bind "$task" "$r/var/task" && mount --rbind /dev "$r/dev" \
    && mount -t proc proc "$r/proc" || exit 1
# no perl on the system, as on provided.al2023: the runtime must bring its own
for f in "$r"/usr/bin/perl "$r"/usr/bin/perl5.*; do [ -e "$f" ] && { mount --bind /dev/null "$f" || exit 1; }; done
[ -d "$r/usr/lib/x86_64-linux-gnu/perl-base" ] && { mount -t tmpfs none "$r/usr/lib/x86_64-linux-gnu/perl-base" || exit 1; }
exec chroot "$r" /usr/bin/env LAMBDA_TASK_ROOT=/var/task "$@"
SH
chmod +x "$work/enter.sh"
old_task=$work/old-glibc-task
mkdir -p "$old_task"
cat >"$old_task/handler.pl" <<'PL'
use strict;
use warnings;
sub handle {
    my ($payload) = @_;
    die "boom on purpose\n" if $payload->{die};
    if ($payload->{xs}) {
        require POSIX; require List::Util; require Fcntl;
        my ($child) = qx{/lib/x86_64-linux-gnu/libc.so.6} =~ /release version (\d+\.\d+)/;
        return +{ xs => join " ", "sum=" . List::Util::sum(1, 2, 3), "floor=" . POSIX::floor(2.5),
                  "O_RDONLY=" . Fcntl::O_RDONLY(), "child_libc=$child", "LD_LIBRARY_PATH=" . ($ENV{LD_LIBRARY_PATH} // "") };
    }
    return +{ hello => "lambda" };
}
1;
PL
if ! unshare --mount --propagation private true 2>/dev/null; then
    skip=$((skip + 8)); echo "# SKIPPED (8 tests): unshare --mount is not permitted here, no chroot on an older glibc"
elif ! bullseye_rootfs "$work"; then
    skip=$((skip + 8))
    echo "###########################################################################"
    echo "# SKIPPED (8 tests): no Debian bullseye rootfs (debootstrap failed, above):  #"
    echo "# the layer was NOT run on a glibc older than the build machine's            #"
    echo "###########################################################################"
else
    mkdir -p "$bullseye/var/task" "$bullseye/opt"
    inside=(unshare --mount --propagation private "$work/enter.sh" "$bullseye" "$work/opt" "$old_task")
    out=$("${inside[@]}" sh -c 'ldd --version | head -1; LD_LIBRARY_PATH=/opt/lib /opt/bin/bootstrap --version' 2>&1)
    check "old glibc: $(echo "$out" | head -1 | sed 's/.*) //') in the chroot; bin/bootstrap run plainly (old wrapper) fails" \
        "version \`GLIBC_2.3" "$out"
    out=$("${inside[@]}" /opt/bootstrap --version 2>&1)
    check "old glibc: /opt/bootstrap --version through the bundled loader" "perl-lambda bootstrap" "$out"
    port=$(free_port 19500)
    "$cli" serve --task-root "$old_task" --port "$port" handler.handle -- "${inside[@]}" /opt/bootstrap handler.handle \
        >"$work/serve-$port.log" 2>&1 &
    pids+=($!)
    wait_http "$port" || true
    check "old glibc: /opt/bootstrap serves hello in the bullseye chroot" '{"hello":"lambda"}' "$(invoke "$port")" "$work/serve-$port.log"
    url=http://127.0.0.1:$port/2015-03-31/functions/function/invocations
    check "old glibc: a die comes back as the function's error" "boom on purpose" \
        "$(curl -sS --max-time 30 -XPOST "$url" -d '{"die":1}' 2>&1)" "$work/serve-$port.log"
    check "old glibc: XS modules load; children run on the system's glibc 2.31, no LD_LIBRARY_PATH to the layer" \
        '{"xs":"sum=6 floor=2 O_RDONLY=0 child_libc=2.31 LD_LIBRARY_PATH="}' \
        "$(curl -sS --max-time 30 -XPOST "$url" -d '{"xs":1}' 2>&1)" "$work/serve-$port.log"
    # provided.al2023 without a layer: the function zip alone, at /var/task
    mkdir -p "$work/no-layer"
    inside=(unshare --mount --propagation private "$work/enter.sh" "$bullseye" "$work/no-layer" "$work/zip-root")
    out=$("${inside[@]}" sh -c 'command -v perl || echo "no perl"; ls /opt | wc -l' 2>&1)
    check "old glibc, no perl, nothing in /opt (like provided.al2023 without layers)" "no perl"$'\n'"0" "$out"
    port=$(free_port 19550)
    "$cli" serve --task-root "$work/zip-root" --port "$port" handler.handle -- "${inside[@]}" /var/task/bootstrap handler.handle \
        >"$work/serve-$port.log" 2>&1 &
    pids+=($!)
    wait_http "$port" || true
    body=$(invoke "$port")
    check "old glibc: function.zip's own bootstrap serves, with core modules from its perl-lambda/" \
        '"strict":"/var/task/perl-lambda/perl5/' "$body" "$work/serve-$port.log"
    check "old glibc: ... and the function's local/lib/perl5 dependency" '"from":"/var/task/local/lib/perl5/Try/Tiny.pm"' "$body"
fi
stop_pids
echo "# zip and layer: $(( $(date +%s) - t0 ))s"

# ---- docker ----
t0=$(date +%s)
if ! engine_start "$work/engine"; then
    echo "#################################################################"
    echo "# SKIPPED: the Docker engine cannot start on this machine (above) #"
    echo "#################################################################"
    echo "$pass passed, $fail failed, $((skip + 29)) skipped"
    [ "$fail" -eq 0 ]; exit
fi
echo "# dockerd up in $(( $(date +%s) - t0 ))s"
run_image() { # run_image IMAGE [docker run args] → port (container id in $work/cid)
    local port; port=$(free_port 9000)
    if docker run -d -p "$port:8080" "${@:2}" "$1" >"$work/cid" 2>"$work/run.err"; then :; else
        port=$(free_port 19400)   # no port publishing: host networking
        docker run -d --network host -e PERL_LAMBDA_PORT="$port" "${@:2}" "$1" >"$work/cid"
    fi
    wait_http "$port" || true
    echo "$port"
}

# `perl-lambda image build` on a fresh engine: a folder holding only handler.pl, one command.
# The engine is empty here: no OS image, nothing to build perl-lambda:base from, and no registry to pull it.
seed_fn=$work/seed-fn
mkdir -p "$seed_fn" "$work/lonely" && cp t/docker/hello/handler.pl "$seed_fn/" && cp "$cli" "$work/lonely/"
out=$("$work/lonely/perl-lambda" image build "$seed_fn" --tag seed-fn:test 2>&1)
check "image build with no bootstrap beside perl-lambda: says what to run" \
    "perl-lambda:base is not in the Docker engine and there is no bootstrap at $work/lonely/bootstrap" "$out"
out=$(DOCKER_BUILD_ARGS="--network host" "$cli" image build "$seed_fn" --tag seed-fn:test 2>&1)
check "image build on an engine without debian:bookworm-slim: says to pull it" \
    "neither has nor could pull: \`docker pull debian:bookworm-slim\`" "$out"
bookworm_image debian:bookworm-slim || { nok "debootstrap bookworm rootfs"; echo "$pass passed, $fail failed"; exit 1; }
echo "# stand-in debian:bookworm-slim imported ($(elapsed))"
check "the engine holds only the OS image" "debian:bookworm-slim" "$(docker images --format '{{.Repository}}:{{.Tag}}' | tr '\n' ' ')"
[ "$(docker images -q | wc -l)" -eq 1 ] || nok "the engine holds only the OS image" "$(docker images)"
t1=$(date +%s)
out=$(DOCKER_BUILD_ARGS="--network host" "$cli" image build "$seed_fn" --tag seed-fn:test 2>&1)
check "image build, engine with only the OS image: perl-lambda:base built first, from the binaries beside perl-lambda" \
    ">> building perl-lambda:base (once) from $(readlink -f "$bin")/bootstrap on debian:bookworm-slim" "$out"
check "... then the function's image ($(( $(date +%s) - t1 ))s)" ">> built seed-fn:test" "$out"
[[ "$out" == *"building perl-lambda:build"* ]] && nok "no cpanfile: perl-lambda:build is not built" "$out"
port=$(run_image seed-fn:test)
check "seed folder: docker run -p $port:8080 + curl on the RIE path → {\"hello\":\"lambda\"}" '{"hello":"lambda"}' "$(invoke "$port")"
docker rm -f "$(cat "$work/cid")" >/dev/null
out=$(DOCKER_BUILD_ARGS="--network host" "$cli" image build "$seed_fn" --tag seed-fn:test 2>&1)
if [[ "$out" != *"building perl-lambda:base"* && "$out" == *">> built seed-fn:test"* ]]; then
    ok "second image build: perl-lambda:base is there, not built again"
else
    nok "second image build: perl-lambda:base is there, not built again" "$out"
fi

# a cpanfile needs perl-lambda:build, which is made then (FROM the perl-lambda:base just built)
out=$(DOCKER_BUILD_ARGS="--network host" "$cli" image build "$fn" --tag cpan-fn:test 2>&1)
check "image build with a cpanfile: perl-lambda:build built first (once)" ">> building perl-lambda:build (once)" "$out"
check "perl-lambda image build: cpanfile installed in the build stage, size printed" "of Lambda's 10 GB image limit" "$out"
[[ "$out" == *"building perl-lambda:base"* ]] && nok "perl-lambda:base is not built twice" "$out"
port=$(run_image cpan-fn:test)
check "cpanfile function: Try::Tiny from /var/task/local" '"from":"/var/task/local/lib/perl5/Try/Tiny.pm"' "$(invoke "$port")"
docker rm -f "$(cat "$work/cid")" >/dev/null
out=$(docker run --rm --entrypoint /bin/sh cpan-fn:test -c 'ls /var/task/local; echo; ls /var/task' 2>&1)
if [[ "$out" != *bin* && "$out" != *cache* ]]; then ok "image: no cpanm leftovers"; else nok "image: cpanm leftovers" "$out"; fi

# a .psgi file as the image's handler
out=$("$cli" image build "$psgi_fn" --handler app.psgi --tag psgi-fn:test 2>&1)
check "image build --handler app.psgi (no *.pl in the folder)" ">> built psgi-fn:test" "$out"
port=$(run_image psgi-fn:test)
check "psgi image: docker run -p + curl on the RIE path with an HTTP API event → the PSGI app" \
    "psgi GET /hi from /var/task/app.psgi" "$(invoke_v2 "$port")"
docker rm -f "$(cat "$work/cid")" >/dev/null

if out=$(DOCKER_BUILD_ARGS="--network host" images/build.sh --bin "$bin" 2>&1); then
    ok "images/build.sh: perl-lambda:base and perl-lambda:build"
else
    nok "images/build.sh" "$(echo "$out" | tail -20)"; echo "$pass passed, $fail failed"; exit 1
fi
echo "# $(docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep perl-lambda | tr '\n' ' ') ($(elapsed))"

out=$(docker build -q -t hello-perl t/docker/hello 2>&1) && ok "seed Dockerfile builds (FROM perl-lambda:base, COPY, CMD)" \
    || nok "seed Dockerfile builds" "$out"
port=$(run_image hello-perl)
check "docker run -p $port:8080 hello-perl + curl → {\"hello\":\"lambda\"}" '{"hello":"lambda"}' "$(invoke "$port")"
logs=$(docker logs "$(cat "$work/cid")" 2>&1)
if [[ "$logs" == *"Setting locale failed"* ]]; then nok "no locale warnings in the container log" "$logs"; else ok "no locale warnings in the container log"; fi
docker rm -f "$(cat "$work/cid")" >/dev/null

out=$(docker run --rm -e AWS_LAMBDA_RUNTIME_API=127.0.0.1:1 hello-perl 2>&1)
check "entrypoint on Lambda (AWS_LAMBDA_RUNTIME_API set) execs bootstrap" "127.0.0.1:1" "$out"

# `perl-lambda image build --bundle-runtime` on a stand-in for provided:al2023 (bullseye: glibc 2.31, perl removed,
# the real AWS RIE behind the provided images' entrypoint contract)
rie=${RIE_BIN:-$repo/.cache/bin/aws-lambda-rie}
[ -x "$rie" ] || scripts/fetch-rie.sh >/dev/null 2>&1 || true
if ! bullseye_rootfs "$work" || [ ! -x "$rie" ]; then
    skip=$((skip + 4)); echo "# SKIPPED (4 tests): no bullseye rootfs or no AWS RIE ($rie): provided:al2023 stand-in not built"
else
    ctx=$work/provided-ctx
    mkdir -p "$ctx" && cp "$rie" "$ctx/aws-lambda-rie" && cp t/docker/provided/lambda-entrypoint.sh "$ctx/"
    tar -C "$bullseye" --exclude=./opt --exclude=./var/task -cf - . | docker import - bullseye-minbase >/dev/null
    if out=$(docker build -q -f t/docker/provided/Dockerfile -t provided:al2023-standin "$ctx" 2>&1); then
        ok "stand-in provided:al2023 built (bullseye glibc 2.31, no perl, AWS RIE entrypoint)"
        out=$("$cli" image build "$fn" --bundle-runtime --base provided:al2023-standin --bootstrap "$bin/bootstrap" \
              --tag al2023-fn:test 2>&1)
        check "image build --bundle-runtime: runtime at /opt, cpanfile installed in perl-lambda:build" \
            "of Lambda's 10 GB image limit" "$out"
        port=$(run_image al2023-fn:test)
        body=$(invoke "$port")
        check "provided:al2023 stand-in: docker run -p + curl through the AWS RIE → the function, core modules from /opt" \
            '"strict":"/opt/perl5/' "$body"
        check "... with its local/lib/perl5 dependency" '"from":"/var/task/local/lib/perl5/Try/Tiny.pm"' "$body"
        docker rm -f "$(cat "$work/cid")" >/dev/null
    else
        nok "stand-in provided:al2023 built" "$out"
    fi
fi

# images/source.Dockerfile on a stand-in for perl:5.40-slim (perl 5.40.1 built from source into /usr/local, not
# threaded, libperl.so only in its CORE directory): the bootstrap compiled inside it against that perl
if [ -n "${QUICK:-}" ]; then
    skip=$((skip + 7)); echo "# SKIPPED (7 tests, QUICK set): images/source.Dockerfile on the perl:5.40-slim stand-in"
else
    t1=$(date +%s)
    out=$(docker build -q --network host --build-arg MIRROR="$(debian_mirror)" -t perl:5.40-slim t/docker/perl-slim 2>&1) \
        && out=$(DOCKER_BUILD_ARGS="--network host" images/build.sh --from-source --runtime-image perl:5.40-slim \
                 --tag perl-lambda:source-5.40 --cli "$bin/perl-lambda" 2>&1)
    if [ $? -eq 0 ]; then
        ok "images/source.Dockerfile builds the bootstrap inside the perl:5.40-slim stand-in ($(( $(date +%s) - t1 ))s)"
        ctx=$work/slim-fn
        mkdir -p "$ctx" && cp t/docker/perl-slim/handler.pl "$ctx/"
        printf 'FROM perl-lambda:source-5.40\nCOPY handler.pl /var/task/\nCMD [ "handler.handle" ]\n' >"$ctx/Dockerfile"
        docker build -q -t slim-fn:test "$ctx" >/dev/null 2>&1
        port=$(run_image slim-fn:test)
        body=$(invoke "$port")
        check "perl 5.40 image: the three-line Dockerfile on it answers curl, embedding /usr/local's perl 5.40.1" \
            '"strict":"/usr/local/lib/perl5/5.40.1/strict.pm"' "$body"
        check "perl 5.40 image: JSON booleans and \$context" '"flag":true' "$body"
        check "perl 5.40 image: a die is the function's error" '"errorMessage":"boom from perl v5.40.1' \
            "$(curl -sS --max-time 30 -XPOST "http://127.0.0.1:$port/2015-03-31/functions/function/invocations" -d '{"die":1}' 2>&1)"
        docker rm -f "$(cat "$work/cid")" >/dev/null
        # an AWS::Lambda-era build-your-own Dockerfile ends with AWS::Lambda's ENTRYPOINT line: kept as it is
        mkdir -p "$work/seed-entry" && cp t/docker/perl-slim/handler.pl "$work/seed-entry/"
        printf '%s\n' 'FROM perl-lambda:source-5.40' 'COPY handler.pl /var/task/' \
            'ENTRYPOINT [ "/usr/local/bin/perl", "-MAWS::Lambda::Bootstrap", "-e", "bootstrap(@ARGV)" ]' \
            'CMD [ "handler.handle" ]' >"$work/seed-entry/Dockerfile"
        out=$(docker build -q -t seed-entry:test "$work/seed-entry" 2>&1) && ok "Dockerfile with AWS::Lambda's ENTRYPOINT builds" \
            || nok "Dockerfile with AWS::Lambda's ENTRYPOINT builds" "$out"
        port=$(run_image seed-entry:test)
        check "perl -MAWS::Lambda::Bootstrap -e 'bootstrap(@ARGV)': docker run -p + curl on the RIE path → the function" \
            '"strict":"/usr/local/lib/perl5/5.40.1/strict.pm"' "$(invoke "$port")"
        docker rm -f "$(cat "$work/cid")" >/dev/null
        # on Lambda (AWS_LAMBDA_RUNTIME_API set) the same line execs the bootstrap: here against the host's
        # perl-lambda serve as the Runtime API, the container on the host's network
        port=$(free_port 19600)
        "$cli" serve --port "$port" --task-root "$work/seed-entry" --timeout 60 -e DOCKER_HOST="$DOCKER_HOST" handler.handle -- \
            docker run --rm -i --network host -e AWS_LAMBDA_RUNTIME_API seed-entry:test >"$work/serve-$port.log" 2>&1 &
        pids+=($!)
        wait_http "$port" || true
        check "... with AWS_LAMBDA_RUNTIME_API set it execs /usr/local/bin/bootstrap, which serves the Runtime API" \
            '"strict":"/usr/local/lib/perl5/5.40.1/strict.pm"' "$(invoke "$port")" "$work/serve-$port.log"
        stop_pids
    else
        nok "images/source.Dockerfile on the perl:5.40-slim stand-in" "$(echo "$out" | tail -30)"
    fi
fi

echo "# docker: $(( $(date +%s) - t0 ))s"
echo "# docker suite took $(elapsed)"
echo "$pass passed, $fail failed$([ "$skip" -gt 0 ] && echo ", $skip skipped")"
[ "$fail" -eq 0 ]
