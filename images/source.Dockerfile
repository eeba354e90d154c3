# perl-lambda image built from source against the perl of RUNTIME_IMAGE — for perls other than Debian
# bookworm's (which images/base.Dockerfile covers with binaries built on the host):
#
#   official perl images:  RUNTIME_IMAGE=perl:5.40-slim        (Debian bookworm based, perl in /usr/local)
#   Lambda's OS-only base: RUNTIME_IMAGE=public.ecr.aws/lambda/provided:al2023   (perl from dnf)
#
# The builder stage is the runtime image itself plus a Swift toolchain, so the bootstrap compiles and links
# against exactly the libperl it will load. Classic-builder compatible (no BuildKit-only syntax), so the
# toolchain and sources come in the build context, which images/build.sh --from-source lays out:
#   swift/usr/...           a Swift 6 toolchain for the image's distribution (swift.org: Debian 12 for
#                           perl:*-bookworm, Amazon Linux 2 / UBI 9 for al2023); images/build.sh copies the
#                           host's (trimmed: no lldb/sourcekit/docs)
#   src/                    Package.swift, Package.resolved, Sources/, Tests/, perl/ (and .build/checkouts +
#                           .build/repositories when present, so no network is needed to resolve packages)
#   prebuilt/               optional: a perl-lambda binary to use instead of compiling it here (it does not
#                           link perl, so any build for a glibc no newer than the image's will do)
#   lambda-entrypoint.sh
# Tested (t/docker/run.sh) with a stand-in for perl:5.40-slim (perl 5.40.1 built from source into /usr/local,
# t/docker/perl-slim). The dnf branch, for provided:al2023, has not run here (no Amazon Linux image or
# repository is reachable); `perl-lambda image build --bundle-runtime` puts the prebuilt runtime layer on that image instead.
ARG RUNTIME_IMAGE=perl:5.40-slim
FROM ${RUNTIME_IMAGE} AS builder
# perl (only if the image has none: provided:al2023), libperl + headers, and what swift needs to run and link
RUN set -eu; \
    if command -v apt-get >/dev/null; then \
        apt-get update; \
        pkgs="binutils gcc libc6-dev libstdc++-12-dev libgcc-12-dev libcurl4 libxml2 libsqlite3-0 libncurses6 libedit2 zlib1g-dev git ca-certificates"; \
        command -v perl >/dev/null && [ "$(command -v perl)" != /usr/bin/perl ] || pkgs="$pkgs perl libperl-dev"; \
        apt-get install -y --no-install-recommends $pkgs; \
    elif command -v dnf >/dev/null; then \
        dnf install -y binutils gcc glibc-devel libstdc++-devel libcurl libxml2 sqlite-libs ncurses-libs libedit zlib-devel git \
            perl perl-devel perl-libs perl-ExtUtils-Embed; \
    else echo "no apt-get or dnf in the runtime image" >&2; exit 1; fi; \
    perl -MConfig -e 'print "building against perl $Config{version} ($^X, useshrplib=$Config{useshrplib})\n"; exit($Config{useshrplib} eq "true" ? 0 : 1)' \
        || { echo "this perl has no shared libperl (built without -Duseshrplib): it cannot be embedded" >&2; exit 1; }
# one COPY, one layer: with storage drivers that copy whole layers (vfs) every extra layer above the toolchain
# costs a copy of it
COPY . /ctx/
WORKDIR /ctx/src
ENV PATH=/ctx/swift/usr/bin:$PATH
# /out is laid out as the final image's tree (one COPY there): the binaries in /usr/local/bin and the runtime's
# Perl modules (AWS::Lambda, ::Bootstrap for Dockerfiles whose ENTRYPOINT is `perl -MAWS::Lambda::Bootstrap`)
# in the perl's site directory, so plain perl finds them too.
RUN swift build -c release --static-swift-stdlib --product bootstrap \
    && install -D -m 0755 .build/release/bootstrap /out/usr/local/bin/bootstrap \
    && if [ -x /ctx/prebuilt/perl-lambda ]; then install -m 0755 /ctx/prebuilt/perl-lambda /out/usr/local/bin/perl-lambda; \
       else swift build -c release --static-swift-stdlib --product perl-lambda \
            && install -m 0755 .build/release/perl-lambda /out/usr/local/bin/perl-lambda; fi \
    && site=/out$(perl -MConfig -e 'print $Config{installsitelib}') && mkdir -p "$site" && cp -R perl/lib/AWS "$site/"

FROM ${RUNTIME_IMAGE}
# provided:al2023 has no perl and Debian's slim images only perl-base: then install libperl and the core modules
RUN set -eu; \
    d=$(perl -MConfig -e 'print "$Config{archlibexp}/CORE"' 2>/dev/null || true); \
    if [ -z "$d" ] || { [ ! -e "$d/libperl.so" ] && ! ldconfig -p | grep -q 'libperl\.so'; }; then \
        if command -v dnf >/dev/null; then dnf install -y perl-libs perl-interpreter && dnf clean all; \
        else apt-get update && apt-get install -y --no-install-recommends perl && apt-get clean && rm -rf /var/lib/apt/lists/*; fi; \
    fi
COPY --from=builder /out/ /
COPY lambda-entrypoint.sh /lambda-entrypoint.sh
# a perl built with -Duseshrplib keeps libperl.so in its CORE dir, off the loader's path: register it
RUN d=$(perl -MConfig -e 'print "$Config{archlibexp}/CORE"'); \
    if [ -e "$d/libperl.so" ]; then echo "$d" >/etc/ld.so.conf.d/perl-lambda.conf && ldconfig; fi; \
    echo 'printf "bootstrap runs perl %vd\n", $^V' >/tmp/v.pl && /usr/local/bin/bootstrap --script /tmp/v.pl && rm /tmp/v.pl
ENV LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime
WORKDIR /var/task
ENTRYPOINT ["/lambda-entrypoint.sh"]
CMD ["handler.handle"]
