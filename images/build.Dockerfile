# perl-lambda `build` image: the `base` image plus a C toolchain and cpanm, for installing CPAN modules
# (XS ones too) into /var/task/local in the first stage of a multi-stage build:
#
#   FROM perl-lambda:build AS deps
#   COPY cpanfile /var/task/
#   RUN cpanm --notest --installdeps -L local .
#   FROM perl-lambda:base
#   COPY --from=deps /var/task/local /var/task/local
#   COPY handler.pl /var/task/
#   CMD ["handler.handle"]
#
# Modules built here link against the base image's perl, which is the one the function runs with.
ARG BASE_IMAGE=perl-lambda:base
FROM ${BASE_IMAGE}
RUN set -eu; \
    if command -v apt-get >/dev/null; then \
        apt-get update; \
        pkgs="gcc make libc6-dev"; \
        command -v cpanm >/dev/null || pkgs="$pkgs cpanminus"; \
        apt-get install -y --no-install-recommends $pkgs; \
        apt-get clean; rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin; \
    elif command -v dnf >/dev/null; then \
        dnf install -y gcc make tar gzip findutils perl-App-cpanminus perl-devel perl-ExtUtils-MakeMaker; dnf clean all; \
    else echo "no apt-get or dnf in $BASE_IMAGE" >&2; exit 1; fi; \
    cpanm --version | head -1
