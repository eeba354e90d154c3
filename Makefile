# perl-lambda — `make run` builds and serves the example handler with `perl-lambda serve` and invokes it,
# `make test` runs all tests.
SHELL := /bin/bash
RELEASE := $(CURDIR)/.build/release
BOOTSTRAP := $(RELEASE)/bootstrap
RIE := .cache/bin/aws-lambda-rie
PORT ?= 9000
SWIFT_RELEASE := swift build -c release --static-swift-stdlib

.PHONY: all deps build release run serve test unit-test integration-test emulator-test docker-test sam-test packaging-test layer layer-test platform-test perl-test fuzz-test fuzz images bench bench-image install-perl-lib clean

all: release

deps:
	@scripts/setup.sh
	@scripts/fetch-rie.sh

build: deps
	swift build

# Both products, release, static Swift stdlib: .build/release/bootstrap and .build/release/perl-lambda.
release: deps
	$(SWIFT_RELEASE)

# Serve examples/hello with `perl-lambda serve`, invoke it once with curl, stop.
run: release
	@scripts/run-example.sh examples/hello handler.handle $(PORT)

# Same, but keep serving until Ctrl-C.
serve: release
	@KEEP=1 scripts/run-example.sh examples/hello handler.handle $(PORT)

test: unit-test perl-test integration-test emulator-test fuzz-test packaging-test layer-test platform-test docker-test sam-test

unit-test: deps
	swift build --build-tests
	swift test --skip-build

# Perl-level tests: the codec inside bootstrap; the runtime's modules under plain perl and inside bootstrap;
# the C shim compiled against perl 5.32 (Amazon Linux 2023's) and 5.40 headers (from the Debian mirror).
perl-test: release
	t/perl-versions.sh
	prove -v --exec '$(BOOTSTRAP) --script' t/codec.t
	prove -I perl/lib t/perl/ t/psgi/
	PERL_LAMBDA_BIN=$(RELEASE)/perl-lambda PERL_LAMBDA_BOOTSTRAP=$(BOOTSTRAP) prove --exec '$(BOOTSTRAP) --script' t/psgi/

integration-test: release
	prove -v t/integration/

emulator-test: release
	PERL_LAMBDA_BIN=$(RELEASE)/perl-lambda t/emulator/run.sh

# Sanitizers and fuzzing: the codec tests and the C PSGI env's (t/psgi/xs_env.t) once in a bootstrap built with
# AddressSanitizer, then every libFuzzer target in fuzz/ (ASan, and UBSan for the C codec) over its regression
# inputs in t/fuzz and for FUZZ_SMOKE seconds.
FUZZ_SMOKE ?= 20
fuzz-test: deps
	swift build --sanitize=address --product bootstrap --scratch-path .build-asan
	prove --exec '.build-asan/debug/bootstrap --script' t/codec.t t/psgi/xs_env.t
	scripts/fuzz.sh $(FUZZ_SMOKE)

# Longer fuzzing: FUZZ_SECONDS per target (default 5 minutes).
FUZZ_SECONDS ?= 300
fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS)

# XS modules' shared libraries in function zips and layers: Debian's XML::Parser vendored in local/, its libexpat
# bundled by `perl-lambda package`, served in a Debian bullseye chroot without libexpat (needs root; caches the
# rootfs in /var/cache/perl-lambda, shared with docker-test).
packaging-test: release
	t/packaging/xs-libs.sh $(RELEASE)

# The runtime layer for one architecture and perl: dist/perl-lambda-layer-$(ARCH)-perl$(PERL).zip (x86_64/5.36 from
# this machine; the others built with Debian trixie's Swift 6.0.3, cross-compiled for arm64, against Debian roots
# cached in /var/cache/perl-lambda: see scripts/layer.sh and scripts/chroots.sh).
ARCH ?= x86_64
PERL ?= 5.36
layer: release
	scripts/layer.sh $(ARCH) $(PERL) $(RELEASE)

# Every layer of LAYERS built, then served by the real RIE of its architecture (arm64 under qemu) from /opt of an
# old-glibc Debian root without perl (needs root; the roots are cached in /var/cache/perl-lambda).
LAYERS ?= x86_64/5.36 x86_64/5.40 arm64/5.36 arm64/5.40
layer-test: release
	@for l in $(LAYERS); do scripts/layer.sh $${l%/*} $${l#*/} $(RELEASE) || exit 1; done
	t/layers/run.sh $(foreach l,$(LAYERS),dist/perl-lambda-layer-$(subst /,-perl,$(l)).zip)

# Images of another architecture and perl: `perl-lambda image build --arch arm64 --perl 5.40` and `--perl 5.40` on
# x86_64, and images/build.sh --arch arm64 --perl 5.40, under a Docker engine the script starts (arm64 under qemu),
# from the bootstraps `make layer` leaves beside perl-lambda (rebuilt here: incremental when the roots are cached).
platform-test: release
	@for l in arm64/5.40 x86_64/5.40; do scripts/layer.sh $${l%/*} $${l#*/} $(RELEASE) || exit 1; done
	t/docker/platforms.sh $(RELEASE)

# Container images, zip and layer packages under a Docker engine the script starts (needs root and the
# Debian mirror; caches a bookworm rootfs in /var/cache/perl-lambda).
docker-test: release
	t/docker/run.sh $(RELEASE)

# AWS SAM CLI on the init scaffolds: sam validate --lint, sam build (zip via the Makefile, image via the Dockerfile
# under a Docker engine the script starts), sam local invoke; aws-sam-cli is pip-installed in .cache/sam-venv.
sam-test: release
	t/sam/run.sh $(RELEASE)

# The base and build images (perl-lambda:base, perl-lambda:build) into the running Docker engine; with ARCH and/or
# PERL those of that architecture and perl (perl-lambda:base-ARCH-perlVERSION, after `make layer ARCH=… PERL=…`).
images: release
	images/build.sh --bin $(RELEASE) --arch $(ARCH) --perl $(PERL)

bench: release
	@scripts/bench.sh

bench-image: release
	bench/image.sh $(RELEASE)

# Installs the runtime's Perl modules (AWS::Lambda, ::Context, ::ResponseWriter, ::PSGI, ::Bootstrap) so handlers can be
# unit-tested with plain perl: make install-perl-lib PREFIX=/usr/local/lib/site_perl
PREFIX ?= $(shell perl -MConfig -e 'print $$Config{installsitelib}')
install-perl-lib:
	mkdir -p $(PREFIX)
	cp -R perl/lib/AWS $(PREFIX)/

clean:
	rm -rf .build
