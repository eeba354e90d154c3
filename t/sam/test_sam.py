"""AWS SAM CLI on `perl-lambda init` scaffolds: `sam validate --lint`, `sam build` of the zip template (the
scaffold's Makefile) and of the image template (its Dockerfile, on the Docker engine t/sam/run.sh starts), and
`sam local invoke` of the built image and of the built zip (on a stand-in for the provided.al2023 image). Run by
t/sam/run.sh, which provides sam, cpanm, the engine and perl-lambda:base."""
import gzip
import io
import json
import os
import platform
import shutil
import subprocess
import tarfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("PERL_LAMBDA_BIN") or os.path.join(ROOT, ".build", "release", "perl-lambda")
SAM = os.environ.get("SAM_BIN") or shutil.which("sam") or "sam"
TEMPLATES = ["hello", "psgi", "streaming"]
LOGICAL = {"hello": "DemoHello", "psgi": "DemoPsgi", "streaming": "DemoStreaming"}
HOST_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine())
# Why the tests that need a Docker engine cannot run (set by run.sh: not root, no dockerd); empty when they can.
NO_ENGINE = os.environ.get("SAM_TEST_NO_ENGINE", "")


def sam_env(**extra):
    """perl-lambda first on PATH (the Makefile finds it there), fake credentials, no telemetry."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(BIN) + os.pathsep + env.get("PATH", "")
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
               AWS_REGION="us-east-1", SAM_CLI_TELEMETRY="0", SAM_CLI_CONTAINER_CONNECTION_TIMEOUT="60")
    for k in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "PERL_CPANM_OPT", "PERL_LAMBDA", "CPANM", "PACKAGE_FLAGS"):
        env.pop(k, None)
    env.update(extra)
    return env


def sam(*args, cwd, timeout=600, **extra_env):
    return subprocess.run([SAM, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=sam_env(**extra_env))


def init(directory, *args):
    p = subprocess.run([BIN, "init", str(directory), *args], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    return p


def invoke_built(artifacts, *args):
    """One invocation of a `sam build` artifact folder, run by the runtime bundled in it (its own bootstrap)."""
    return subprocess.run([BIN, "invoke", "--task-root", str(artifacts), "handler.handle", *args, "--",
                           str(artifacts / "bootstrap")], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    base = tmp_path_factory.mktemp("sam")
    out = {}
    for t in TEMPLATES:
        init(base / t, "--template", t, "--name", f"demo-{t}")
        out[t] = base / t
    return out


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("file", ["template.yaml", "template-image.yaml"])
def test_sam_validate_lint(projects, template, file):
    p = sam("validate", "--lint", "-t", file, cwd=projects[template])
    assert p.returncode == 0, p.stdout + p.stderr
    assert "is a valid SAM Template" in p.stdout + p.stderr


@pytest.mark.parametrize("template", TEMPLATES)
def test_sam_build_zip(projects, template):
    d = projects[template]
    p = sam("build", cwd=d)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert "Running CustomMakeBuilder:MakeBuild" in out and "Build Succeeded" in out, out
    art = d / ".aws-sam" / "build" / LOGICAL[template]
    # what `perl-lambda package` zips, unpacked: the launcher, the runtime, the function; not its tests or templates
    assert os.access(art / "bootstrap", os.X_OK)
    assert os.access(art / "perl-lambda" / "bin" / "bootstrap", os.X_OK)
    assert (art / "handler.pl").is_file() and (art / "cpanfile").is_file()
    assert (template == "psgi") == (art / "app.psgi").is_file()
    for absent in ("t", "template.yaml", "template-image.yaml", "Dockerfile", ".dockerignore",
                   ".perl-lambda-function.zip", "local"):
        assert not (art / absent).exists(), absent
    assert not (d / "local").exists(), "the build ran in SAM's scratch copy, not in the project"
    built = (d / ".aws-sam" / "build" / "template.yaml").read_text()
    assert f"CodeUri: {LOGICAL[template]}" in built

    if template == "hello":
        r = invoke_built(art, "--payload", '{"name":"sam"}')
        assert r.returncode == 0 and json.loads(r.stdout)["message"] == "Hello, sam!", r.stdout + r.stderr
    elif template == "streaming":
        r = invoke_built(art, "--payload", '{"count":2}')
        assert r.returncode == 0 and r.stdout.startswith("chunk 1 of 2\nchunk 2 of 2\n"), r.stdout + r.stderr
    else:
        r = invoke_built(art, "--event", "function-url", "--path", "/")
        assert r.returncode == 0, r.stdout + r.stderr
        doc = json.loads(r.stdout)
        assert doc["statusCode"] == 200 and doc["body"].startswith("Hello from demo-psgi"), doc


# ---- CPAN dependencies: cpanm from a local mirror (no CPAN is reachable here), cpanm missing, vendored local/ ----

DIST = "Acme-PerlLambdaSam-0.01"
MODULE_SOURCE = """package Acme::PerlLambdaSam;
use strict;
our $VERSION = '0.01';
sub greeting { "installed by cpanm from the mirror" }
1;
"""
DEPS_HANDLER = """use strict;
use Acme::PerlLambdaSam;
sub handle { return { from => $INC{'Acme/PerlLambdaSam.pm'}, greeting => Acme::PerlLambdaSam::greeting(), perl => $^X } }
1;
"""


def tar_add(tar, name, text, mode=0o644):
    data = text.encode()
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    tar.addfile(info, io.BytesIO(data))


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """A one-distribution CPAN mirror on disk: authors/id/.../Acme-PerlLambdaSam-0.01.tar.gz and the
    02packages index cpanm reads with --mirror file://... --mirror-only."""
    root = tmp_path_factory.mktemp("cpan-mirror")
    author = root / "authors" / "id" / "P" / "PL" / "PLTEST"
    author.mkdir(parents=True)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar_add(tar, f"{DIST}/Makefile.PL",
                "use ExtUtils::MakeMaker;\nWriteMakefile(NAME => 'Acme::PerlLambdaSam', "
                "VERSION_FROM => 'lib/Acme/PerlLambdaSam.pm');\n")
        tar_add(tar, f"{DIST}/lib/Acme/PerlLambdaSam.pm", MODULE_SOURCE)
        tar_add(tar, f"{DIST}/MANIFEST", "Makefile.PL\nlib/Acme/PerlLambdaSam.pm\nMANIFEST\n")
    (author / f"{DIST}.tar.gz").write_bytes(buf.getvalue())
    (root / "modules").mkdir()
    index = ("File:         02packages.details.txt\nURL:          http://www.perl.com/CPAN/modules/02packages.details.txt\n"
             "Description:  Package names found in directory $CPAN/authors/id/\nColumns:      package name, version, path\n"
             "Intended-For: Automated fetch routines, namespace documentation.\nWritten-By:   t/sam/test_sam.py\n"
             "Line-Count:   1\nLast-Updated: Sun, 06 Dec 2026 00:00:00 GMT\n\n"
             f"Acme::PerlLambdaSam                0.01  P/PL/PLTEST/{DIST}.tar.gz\n")
    (root / "modules" / "02packages.details.txt.gz").write_bytes(gzip.compress(index.encode()))
    return root


def deps_project(base, name, test_requires="requires 'Test::More', '0.98';"):
    d = base / name
    init(d, "--name", name)
    (d / "cpanfile").write_text("requires 'perl', '5.026';\nrequires 'Acme::PerlLambdaSam', '0.01';\n"
                                f"on test => sub {{ {test_requires} }};\n")
    (d / "handler.pl").write_text(DEPS_HANDLER)
    return d


def test_cpanm_installs_the_cpanfile_dependencies(tmp_path, mirror):
    if shutil.which("cpanm") is None:
        pytest.skip("cpanm is not installed (apt-get install cpanminus); run.sh installs it")
    d = deps_project(tmp_path, "deps")
    p = sam("build", cwd=d, PERL_CPANM_OPT=f"--mirror file://{mirror} --mirror-only")
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert "cpanm --installdeps: the cpanfile's dependencies into local/" in out
    art = d / ".aws-sam" / "build" / "Deps"
    assert (art / "local" / "lib" / "perl5" / "Acme" / "PerlLambdaSam.pm").is_file()
    assert not (art / "local" / "bin").exists() and not (art / "local" / "cache").exists()
    r = invoke_built(art)
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["greeting"] == "installed by cpanm from the mirror"
    assert doc["from"].endswith("/local/lib/perl5/Acme/PerlLambdaSam.pm"), doc
    # the bundled runtime ran it: $^X is perl-lambda/'s own loader, not a system perl
    assert "/perl-lambda/lib/ld-linux" in doc["perl"], doc


def test_without_cpanm_a_missing_module_fails_the_build_and_a_vendored_one_passes(tmp_path):
    # a test requirement is not the function's: cpanm --installdeps would install it (as it does for
    # `perl-lambda image build`), the check without cpanm leaves it out
    d = deps_project(tmp_path, "nocpanm", "requires 'Test::Not::Installed';")
    p = sam("build", cwd=d, CPANM="/nonexistent/cpanm")
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    assert "cpanm not found ('/nonexistent/cpanm')" in out and ": Acme::PerlLambdaSam 0.01." in out, out
    assert "Test::Not::Installed" not in out, "test requirements are not the function's"

    # carton-style: the module committed in local/ satisfies the cpanfile without cpanm
    vendored = d / "local" / "lib" / "perl5" / "Acme"
    vendored.mkdir(parents=True)
    (vendored / "PerlLambdaSam.pm").write_text(MODULE_SOURCE)
    p = sam("build", cwd=d, CPANM="/nonexistent/cpanm")
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert "every module the cpanfile requires is in perl's core or local/" in out
    art = d / ".aws-sam" / "build" / "Nocpanm"
    r = invoke_built(art)
    assert r.returncode == 0 and json.loads(r.stdout)["from"].startswith(str(art) + "/local/"), r.stdout + r.stderr


def test_too_old_vendored_module_counts_as_missing(tmp_path):
    d = deps_project(tmp_path, "old")
    (d / "cpanfile").write_text("requires 'Acme::PerlLambdaSam', '0.02';\n")
    vendored = d / "local" / "lib" / "perl5" / "Acme"
    vendored.mkdir(parents=True)
    (vendored / "PerlLambdaSam.pm").write_text(MODULE_SOURCE)
    p = sam("build", cwd=d, CPANM="/nonexistent/cpanm")
    assert p.returncode != 0 and ": Acme::PerlLambdaSam 0.02." in p.stdout + p.stderr, p.stdout + p.stderr


def test_perl_lambda_missing_is_named(tmp_path):
    d = tmp_path / "nopl"
    init(d)
    p = sam("build", cwd=d, PERL_LAMBDA="/nonexistent/perl-lambda")
    out = p.stdout + p.stderr
    assert p.returncode != 0
    assert "perl-lambda not found ('/nonexistent/perl-lambda'): put it on PATH or run: PERL_LAMBDA=" in out, out


def test_init_arch_sets_architectures_and_the_build_refuses_another_machines(tmp_path):
    other = {"x86_64": "arm64", "arm64": "x86_64"}[HOST_ARCH]
    d = tmp_path / "cross"
    p = init(d, "--arch", other)
    assert f"(hello, {other})" in p.stdout
    for f in ("template.yaml", "template-image.yaml"):
        assert f"Architectures:\n        - {other}\n" in (d / f).read_text()
        v = sam("validate", "--lint", "-t", f, cwd=d)
        assert v.returncode == 0, v.stdout + v.stderr
    assert f"ARCHITECTURE ?= {other}\n" in (d / "Makefile").read_text()
    b = sam("build", cwd=d)
    assert b.returncode != 0
    assert f"this machine is {HOST_ARCH} but the function is {other}" in b.stdout + b.stderr, b.stdout + b.stderr


# ---- the image template, on the test engine ----
# `sam build` builds the Dockerfile (FROM perl-lambda:base) through the engine's classic builder API, tagging
# <logicalid>:latest. `sam local invoke` of an Image function pulls nothing: SAM builds <logicalid>:rapid-<arch>
# FROM the function's image, adding the AWS RIE it ships (samcli/local/rapid/aws-lambda-rie-<arch>) as the entry
# point, which then runs the image's own ENTRYPOINT and CMD (our lambda-entrypoint.sh execs the bootstrap).

needs_engine = pytest.mark.skipif(bool(NO_ENGINE), reason=NO_ENGINE)


def build_image(d):
    return sam("build", "-t", "template-image.yaml", "--build-dir", ".aws-sam/build-image", cwd=d)


@needs_engine
@pytest.mark.parametrize("template", TEMPLATES)
def test_sam_build_image(projects, template):
    d = projects[template]
    p = build_image(d)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert "Step 1/3 : FROM perl-lambda:base" in out and "Build Succeeded" in out, out
    tag = f"{LOGICAL[template].lower()}:latest"
    built = (d / ".aws-sam" / "build-image" / "template.yaml").read_text()
    assert f"ImageUri: {tag}" in built, built
    inspect = subprocess.run(["docker", "image", "inspect", "--format", "{{json .Config.Cmd}}", tag],
                             capture_output=True, text=True, timeout=60)
    assert inspect.returncode == 0 and json.loads(inspect.stdout) == ["handler.handle"], inspect.stdout + inspect.stderr


@needs_engine
@pytest.mark.parametrize("template", TEMPLATES)
def test_sam_local_invoke_image(projects, template, tmp_path):
    d = projects[template]
    built = d / ".aws-sam" / "build-image" / "template.yaml"
    if not built.exists():
        assert build_image(d).returncode == 0
    event = tmp_path / "event.json"
    if template == "psgi":
        event.write_bytes(subprocess.run([BIN, "generate-event", "function-url", "--path", "/"], capture_output=True,
                                         check=True, timeout=30).stdout)
    else:
        event.write_text({"hello": '{"name":"sam"}', "streaming": '{"count":2}'}[template])
    p = sam("local", "invoke", "-t", str(built), "-e", str(event), LOGICAL[template], cwd=d)
    assert p.returncode == 0, p.stdout + p.stderr
    # the runtime's log lines come through the RIE (its REPORT with the template's MemorySize; START may be
    # printed before SAM attaches to the container's output, so it is not looked for)
    assert "REPORT RequestId:" in p.stderr and "Memory Size: 256 MB" in p.stderr, p.stderr
    if template == "hello":
        assert json.loads(p.stdout)["message"] == "Hello, sam!", p.stdout
    elif template == "streaming":
        assert p.stdout.startswith("chunk 1 of 2\nchunk 2 of 2\n"), p.stdout
    else:
        doc = json.loads(p.stdout)
        assert doc["statusCode"] == 200 and doc["body"].startswith("Hello from demo-psgi"), doc
    arch = HOST_ARCH
    rapid = subprocess.run(["docker", "image", "inspect", f"{LOGICAL[template].lower()}:rapid-{arch}"],
                           capture_output=True, text=True, timeout=60)
    assert rapid.returncode == 0, "sam local invoke built its RIE image from the function's image"


@needs_engine
def test_sam_local_invoke_zip_on_a_provided_stand_in(projects, tmp_path):
    """A zip function runs on public.ecr.aws/lambda/provided:al2023-<arch>. SAM asks the registry for that image's
    digest before each invoke unless --skip-pull-image is given (and fails here, where public.ecr.aws is not
    reachable); with it, a local image of that name is used: t/sam/provided-standin stands in for it."""
    d = projects["hello"]
    if not (d / ".aws-sam" / "build" / "template.yaml").exists():
        assert sam("build", cwd=d).returncode == 0
    base = f"public.ecr.aws/lambda/provided:al2023-{HOST_ARCH}"
    b = subprocess.run(["docker", "build", "-q", "-t", base, os.path.join(HERE, "provided-standin")],
                       capture_output=True, text=True, timeout=600)
    assert b.returncode == 0, b.stdout + b.stderr
    event = tmp_path / "event.json"
    event.write_text('{"name":"zip"}')
    p = sam("local", "invoke", "--skip-pull-image", "-e", str(event), "DemoHello", cwd=d)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"Mounting {d}/.aws-sam/build/DemoHello as /var/task" in p.stderr, p.stderr
    assert "REPORT RequestId:" in p.stderr and "Memory Size: 256 MB" in p.stderr, p.stderr
    assert json.loads(p.stdout)["message"] == "Hello, zip!", p.stdout
