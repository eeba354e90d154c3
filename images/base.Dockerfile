# perl-lambda `base` image: Debian bookworm + Debian's perl + our bootstrap and perl-lambda (prebuilt).
#
# The bootstrap embeds libperl, so it must be built against the perl it runs with. This Dockerfile takes
# binaries built on a Debian 12 host (whose perl is the same Debian perl 5.36 the image installs); the
# context is made by images/build.sh:  bin/bootstrap  bin/perl-lambda  lambda-entrypoint.sh
# For any other perl (perl:<ver>-slim, provided:al2023) use images/source.Dockerfile.
#
#   images/build.sh            # → perl-lambda:base and perl-lambda:build
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
ARG PERL_VERSION=5.36.0
RUN set -eu; \
    if ! dpkg -s perl >/dev/null 2>&1; then \
        apt-get update; \
        apt-get install -y --no-install-recommends perl; \
        apt-get clean; rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log; \
    fi; \
    perl -e 'exit($ARGV[0] eq sprintf("%vd", $^V) ? 0 : 1)' "$PERL_VERSION" \
        || { echo "the image's perl is $(perl -e 'printf "%vd", $^V'), the bootstrap was built for $PERL_VERSION"; exit 1; }
# Lambda sets LANG=en_US.UTF-8; without that locale perl warns at every start. C.UTF-8 under that name:
RUN [ -e /usr/lib/locale/en_US.utf8 ] || ln -s C.utf8 /usr/lib/locale/en_US.utf8
COPY bin/bootstrap bin/perl-lambda /usr/local/bin/
COPY lambda-entrypoint.sh /lambda-entrypoint.sh
# fails the build now, not at the first invoke, if the binaries do not load with this image's libperl
RUN echo 'printf "bootstrap runs perl %vd\n", $^V' >/tmp/v.pl && /usr/local/bin/bootstrap --script /tmp/v.pl && rm /tmp/v.pl \
    && /usr/local/bin/perl-lambda --help >/dev/null
ENV LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime
WORKDIR /var/task
ENTRYPOINT ["/lambda-entrypoint.sh"]
CMD ["handler.handle"]
