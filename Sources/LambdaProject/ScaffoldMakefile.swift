/// The Makefile `sam build` runs for the zip template (`Metadata: BuildMethod: makefile`).
///
/// SAM's makefile builder copies the function's folder (CodeUri) to a scratch directory and runs
/// `make -f <CodeUri>/Makefile build-<LogicalId>` there with `ARTIFACTS_DIR` set; what the target leaves in
/// `ARTIFACTS_DIR` is what SAM zips and deploys. The target makes what `perl-lambda package` makes (the function's
/// files, `local/lib/perl5`, and the runtime in `perl-lambda/` with a root `bootstrap`), unpacked, so the
/// function runs on `provided.al2023` with no layer and `sam build` deploys the very files `package` would zip.
extension Scaffold {
    var makefile: String {
        let target = "build-\(logicalID)"
        // One recipe line per element, each tab-indented; a line ending in `\` continues the same sh command.
        let recipe = [
            #"@[ -n "$(ARTIFACTS_DIR)" ] || { echo "ARTIFACTS_DIR is not set: run 'sam build', or 'make \#(target) ARTIFACTS_DIR=DIR'" >&2; exit 1; }"#,
            #"@command -v "$(PERL_LAMBDA)" >/dev/null 2>&1 || { echo "perl-lambda not found ('$(PERL_LAMBDA)'): put it on PATH or run: PERL_LAMBDA=/path/to/perl-lambda sam build" >&2; exit 1; }"#,
            #"@command -v unzip >/dev/null 2>&1 || { echo "unzip not found: install it (apt-get install unzip, dnf install unzip)" >&2; exit 1; }"#,
            #"@case "$$(uname -m)" in x86_64|amd64) m=x86_64 ;; aarch64|arm64) m=arm64 ;; *) m=$$(uname -m) ;; esac; [ "$$m" = "$(ARCHITECTURE)" ] || { echo "this machine is $$m but the function is $(ARCHITECTURE) (ARCHITECTURE, Architectures in template.yaml): the bundled runtime is this machine's, so build on a $(ARCHITECTURE) machine" >&2; exit 1; }"#,
            #"@if [ ! -f cpanfile ]; then \"#,
            #"    echo "no cpanfile: no CPAN dependencies to install"; \"#,
            #"elif command -v "$(CPANM)" >/dev/null 2>&1; then \"#,
            #"    echo "$(CPANM) --installdeps: the cpanfile's dependencies into local/"; \"#,
            #"    "$(CPANM)" --notest --quiet --local-lib-contained local --installdeps . \"#,
            #"        || { echo "cpanm could not install the cpanfile's dependencies (see above; is CPAN reachable? carton install can vendor local/ beforehand)" >&2; exit 1; }; \"#,
            #"else \"#,
            #"    missing=$$(perl -e "$$CPANFILE_CHECK") \"#,
            #"        || { echo "cpanm not found ('$(CPANM)'), and the cpanfile needs modules that are neither in perl's core nor in local/: $$missing. Install cpanm (apt-get install cpanminus, or https://metacpan.org/pod/App::cpanminus) or vendor them into local/ (carton install)" >&2; exit 1; }; \"#,
            #"    echo "cpanm not found ('$(CPANM)'), but every module the cpanfile requires is in perl's core or local/"; \"#,
            #"fi"#,
            #"$(PERL_LAMBDA) package . $(PACKAGE_FLAGS) --output "$(ARTIFACTS_DIR)/.perl-lambda-function.zip""#,
            #"cd "$(ARTIFACTS_DIR)" && unzip -q -o .perl-lambda-function.zip && rm -f .perl-lambda-function.zip"#,
        ]
        return """
            # Built by `sam build` (template.yaml has `Metadata: BuildMethod: makefile`): SAM copies this folder to a
            # scratch directory and runs `make \(target)` there with ARTIFACTS_DIR set, then zips ARTIFACTS_DIR.
            # By hand:  make \(target) ARTIFACTS_DIR=/tmp/\(name)
            #
            # The target leaves in ARTIFACTS_DIR what `perl-lambda package` zips:
            #   - the cpanfile's dependencies, installed with cpanm into local/ (modules already in local/, e.g. from
            #     `carton install`, count as installed; without cpanm, every required module must be in perl's core or
            #     local/ already);
            #   - the function's files and local/lib/perl5 (not t/, dot files, Dockerfile, template*.yaml, ...);
            #   - the perl-lambda runtime: bootstrap (Lambda runs /var/task/bootstrap) and perl-lambda/, from the
            #     `bootstrap` beside perl-lambda and the `perl` on PATH, which must be the perl it was built against
            #     (cpanm builds XS modules against that perl too). No layer is needed on provided.al2023.

            # The perl-lambda program (on PATH by default): PERL_LAMBDA=/path/to/perl-lambda sam build
            PERL_LAMBDA ?= perl-lambda
            CPANM ?= cpanm
            # Extra `perl-lambda package` flags. To share the runtime through the perl-lambda layer instead of bundling
            # it: PACKAGE_FLAGS = --no-bootstrap, and give the function `Layers:` with the layer's ARN in template.yaml.
            PACKAGE_FLAGS ?=
            # Keep in step with Architectures in template.yaml: the runtime bundled is this machine's.
            ARCHITECTURE ?= \(architecture)

            .PHONY: \(target)

            \(target):
            \(recipe.map { "\t" + $0 }.joined(separator: "\n"))

            # Used when cpanm is missing: runs the cpanfile with stand-ins for its keywords and prints the runtime
            # requirements (other than perl) that perl's core modules and local/lib/perl5 do not satisfy. Only core
            # directories count: the runtime bundles perl's core modules, not its site or vendor libraries.
            define cpanfile_check
            use strict; use Config;
            my %core = map { $_ => 1 } @Config{qw(privlibexp archlibexp)};
            @INC = ("local/lib/perl5", grep { $core{$_} || m{/perl-base$} } @INC);
            our $phase = "runtime"; my @missing;
            sub requires {
                my ($module, $version) = @_;
                return if $phase ne "runtime" || $module eq "perl";
                (my $file = "$module.pm") =~ s{::}{/}g;
                my $ok = eval { require $file; 1 };
                $ok &&= eval { $module->VERSION($version); 1 } if defined $version && $version =~ /^v?[\\d._]+$/;
                push @missing, $module . (defined $version ? " $version" : "") unless $ok;
            }
            sub on { my ($p, $code) = @_; local $phase = $p; $code->() }
            sub feature {} sub recommends {} sub suggests {} sub conflicts {} sub mirror {} sub osname {}
            sub test_requires {} sub build_requires {} sub configure_requires {} sub author_requires {}
            do "./cpanfile"; die "cpanfile: $@" if $@;
            print join(", ", @missing); exit(@missing ? 1 : 0);
            endef
            # $(value ...): the perl code reaches the recipe's shell as it is, with no make expansion of its `$`s.
            export CPANFILE_CHECK = $(value cpanfile_check)

            """
    }
}
