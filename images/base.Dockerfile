# perl-lambda `base` image: Debian + Debian's perl + our bootstrap and a local server (prebuilt).
#
# The bootstrap embeds libperl, so it must be built against the perl it runs with: Debian bookworm's perl 5.36
# (binaries built on a Debian 12 host, FROM debian:bookworm-slim) or trixie's 5.40 (built by scripts/layer.sh,
# FROM debian:trixie-slim), for the image's architecture. The context is made by images/build.sh (or
# `perl-lambda image build`):  bin/bootstrap, bin/perl-lambda or, in images of another architecture than
# perl-lambda's, bin/aws-lambda-rie (the local server lambda-entrypoint.sh runs), lambda-entrypoint.sh.
# For any other perl (perl:<ver>-slim, provided:al2023) use images/source.Dockerfile.
#
#   images/build.sh                          # → perl-lambda:base and perl-lambda:build
#   images/build.sh --arch arm64 --perl 5.40 # → perl-lambda:base-arm64-perl5.40, :build-arm64-perl5.40
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
# the whole version (5.36.0) or its series (5.40): Debian keeps libperl's ABI within a series (libperl.so.5.40)
ARG PERL_VERSION=5.36.0
RUN set -eu; \
    if ! dpkg -s perl >/dev/null 2>&1; then \
        apt-get update; \
        apt-get install -y --no-install-recommends perl; \
        apt-get clean; rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log; \
    fi; \
    perl -e '$v = sprintf("%vd", $^V); exit($ARGV[0] eq $v || index($v, "$ARGV[0].") == 0 ? 0 : 1)' "$PERL_VERSION" \
        || { echo "the image's perl is $(perl -e 'printf "%vd", $^V'), the bootstrap was built for $PERL_VERSION"; exit 1; }
# Lambda sets LANG=en_US.UTF-8; without that locale perl warns at every start. C.UTF-8 under that name:
RUN [ -e /usr/lib/locale/en_US.utf8 ] || ln -s C.utf8 /usr/lib/locale/en_US.utf8
COPY bin/ /usr/local/bin/
COPY lambda-entrypoint.sh /lambda-entrypoint.sh
# fails the build now, not at the first invoke, if the binaries do not load with this image's libperl
RUN echo 'require POSIX; printf "bootstrap runs perl %vd on %s\n", $^V, (POSIX::uname())[4]' >/tmp/v.pl \
    && /usr/local/bin/bootstrap --script /tmp/v.pl && rm /tmp/v.pl \
    && if [ -e /usr/local/bin/perl-lambda ]; then /usr/local/bin/perl-lambda --help >/dev/null; \
       else [ -x /usr/local/bin/aws-lambda-rie ] || { echo "no perl-lambda or aws-lambda-rie in bin/" >&2; exit 1; }; fi
ENV LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime
WORKDIR /var/task
ENTRYPOINT ["/lambda-entrypoint.sh"]
CMD ["handler.handle"]
