"""`perl-lambda init`: every template scaffolds a function that `serve` runs at once, whose unit test passes
under prove, whose SAM templates pass cfn-lint and whose Makefile builds what `sam build` deploys (t/sam/ runs
the SAM CLI itself)."""
import json
import os
import shutil
import subprocess
import sys

import boto3
import botocore.config
import pytest

from conftest import BIN, ROOT

TEMPLATES = ["hello", "psgi", "streaming"]
PERL_LIB = os.path.join(ROOT, "perl", "lib")
HAS_PSGI = os.path.exists(os.path.join(PERL_LIB, "AWS", "Lambda", "PSGI.pm"))
NO_PSGI = "AWS::Lambda::PSGI is not in perl/lib yet (another change adds it); the psgi template cannot run without it"
FILES = ["handler.pl", "t/handler.t", "cpanfile", "Makefile", "Dockerfile", ".dockerignore", "template.yaml",
         "template-image.yaml", "README.md"]
LOGICAL = {"hello": "DemoHello", "psgi": "DemoPsgi", "streaming": "DemoStreaming"}


def init(*args, cwd=None):
    return subprocess.run([BIN, "init", *args], capture_output=True, text=True, timeout=60, cwd=cwd)


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    """One scaffold per template, made once for the module."""
    base = tmp_path_factory.mktemp("init")
    out = {}
    for t in TEMPLATES:
        d = base / t
        p = init(str(d), "--template", t, "--name", f"demo-{t}")
        assert p.returncode == 0, p.stderr
        out[t] = (d, p.stdout)
    return out


def lambda_client(endpoint):
    return boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test",
                        config=botocore.config.Config(retries={"max_attempts": 1}, read_timeout=30))


@pytest.mark.parametrize("template", TEMPLATES)
def test_files_written_and_listed(projects, template):
    d, stdout = projects[template]
    expected = FILES + (["app.psgi"] if template == "psgi" else [])
    for f in expected:
        assert (d / f).is_file(), f
        assert f"create    {d}/{f}" in stdout, stdout
    assert f"functions/{LOGICAL[template]}/invocations" in stdout


@pytest.mark.parametrize("template", TEMPLATES)
def test_unit_test_passes_under_prove(projects, template):
    if template == "psgi" and not HAS_PSGI:
        pytest.skip(NO_PSGI)
    d, _ = projects[template]
    p = subprocess.run(["prove", f"-I{PERL_LIB}", "t/"], cwd=d, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr


def test_templates_pass_cfn_lint(projects):
    exe = shutil.which("cfn-lint")
    if exe is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "cfn-lint"],
                       check=True, timeout=600)
        exe = shutil.which("cfn-lint") or os.path.join(os.path.dirname(sys.executable), "cfn-lint")
    files = [str(d / name) for d, _ in projects.values() for name in ("template.yaml", "template-image.yaml")]
    p = subprocess.run([exe, *files], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr


def test_hello_serves_at_once(projects, serve):
    d, _ = projects["hello"]
    s = serve(cwd=str(d))  # no arguments: handler.handle in the current directory
    status, _, doc = s.invoke({"name": "perl"})
    assert status == 200 and doc["message"] == "Hello, perl!", doc
    t = serve("--template", str(d / "template.yaml"))
    r = lambda_client(t.endpoint).invoke(FunctionName="DemoHello", Payload=b'{}')
    assert r["StatusCode"] == 200 and "FunctionError" not in r
    assert json.loads(r["Payload"].read())["message"] == "Hello, world!"
    assert "Memory Size: 256 MB" in t.output()  # MemorySize from the template's Globals


def test_streaming_serves_at_once(projects, serve):
    d, _ = projects["streaming"]
    s = serve("--template", str(d / "template.yaml"))
    r = lambda_client(s.endpoint).invoke_with_response_stream(FunctionName="DemoStreaming", Payload=b'{"count":4}')
    chunks, complete = [], None
    for ev in r["EventStream"]:
        if "PayloadChunk" in ev:
            chunks.append(ev["PayloadChunk"]["Payload"])
        elif "InvokeComplete" in ev:
            complete = ev["InvokeComplete"]
    assert b"".join(chunks) == b"".join(b"chunk %d of 4\n" % i for i in range(1, 5))
    assert complete is not None and not complete.get("ErrorCode")
    out = subprocess.run(["curl", "-sS", "-N", "-XPOST", f"{s.endpoint}/2021-11-15/functions/DemoStreaming/"
                          "response-streaming-invocations", "-d", '{"count":2}', "--output", "-"],
                         capture_output=True, timeout=60).stdout
    assert b"chunk 1 of 2\n" in out and b"chunk 2 of 2\n" in out
    # the template's FunctionUrlConfig (RESPONSE_STREAM) puts a Function URL in front of the function
    out = subprocess.run(["curl", "-sS", "-N", f"{s.endpoint}/"], capture_output=True, timeout=60).stdout
    assert out == b"chunk 1 of 3\nchunk 2 of 3\nchunk 3 of 3\n", out


def test_psgi_serves_at_once(projects, serve):
    if not HAS_PSGI:
        pytest.skip(NO_PSGI)
    d, _ = projects["psgi"]
    event = subprocess.run([BIN, "generate-event", "function-url", "--path", "/"], capture_output=True, check=True,
                           timeout=30).stdout
    s = serve("--template", str(d / "template.yaml"))
    status, headers, doc = s.invoke(json.loads(event), function="DemoPsgi")
    assert status == 200 and "x-amz-function-error" not in headers, doc
    assert doc["statusCode"] == 200
    body = doc["body"]
    if doc.get("isBase64Encoded"):
        import base64
        body = base64.b64decode(body).decode()
    assert body.startswith("Hello from demo-psgi")
    # the template's FunctionUrlConfig puts a Function URL in front of the function: plain HTTP reaches the app
    out = subprocess.run(["curl", "-sS", "-i", f"{s.endpoint}/"], capture_output=True, timeout=60).stdout
    assert out.startswith(b"HTTP/1.1 200") and b"Hello from demo-psgi!" in out, out
    out = subprocess.run(["curl", "-sS", "-i", f"{s.endpoint}/missing"], capture_output=True, timeout=60).stdout
    assert out.startswith(b"HTTP/1.1 404"), out


def test_existing_files_are_kept_unless_forced(tmp_path):
    d = tmp_path / "fn"
    assert init(str(d)).returncode == 0
    (d / "handler.pl").write_text("# mine\n1;\n")
    (d / "cpanfile").unlink()
    p = init(str(d), "--template", "streaming")
    assert p.returncode == 0, p.stderr
    assert "exists    " in p.stdout and "create    " in p.stdout
    assert (d / "handler.pl").read_text() == "# mine\n1;\n"
    assert (d / "cpanfile").is_file()
    p = init(str(d))
    assert p.returncode == 1 and "nothing was written" in p.stderr
    p = init(str(d), "--force")
    assert p.returncode == 0 and "overwrite " in p.stdout
    assert "sub handle" in (d / "handler.pl").read_text()


def test_init_in_current_directory_names_the_function_after_it(tmp_path):
    d = tmp_path / "my-service"
    d.mkdir()
    p = init(cwd=str(d))
    assert p.returncode == 0, p.stderr
    assert "functions/MyService/invocations" in (d / "README.md").read_text()
    assert "  MyService:\n" in (d / "template.yaml").read_text()


def test_makefile_target_builds_a_self_contained_function(projects, tmp_path):
    """`make build-<LogicalId> ARTIFACTS_DIR=...`, as `sam build` runs it: the function and the bundled runtime,
    unpacked; the runtime in it serves the function."""
    src, _ = projects["hello"]
    d = tmp_path / "copy"
    shutil.copytree(src, d)
    p = subprocess.run(["make", "build-DemoHello"], cwd=d, capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "ARTIFACTS_DIR is not set: run 'sam build', or 'make build-DemoHello ARTIFACTS_DIR=DIR'" in p.stderr
    art = tmp_path / "artifacts"
    art.mkdir()
    p = subprocess.run(["make", "build-DemoHello", f"ARTIFACTS_DIR={art}", f"PERL_LAMBDA={BIN}",
                        "CPANM=/nonexistent/cpanm"], cwd=d, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "cpanm not found ('/nonexistent/cpanm'), but every module the cpanfile requires is in perl's core" in p.stdout
    listing = set(os.listdir(art))
    assert {"bootstrap", "perl-lambda", "handler.pl", "cpanfile"} <= listing, listing
    assert not listing & {"t", "template.yaml", "template-image.yaml", "Dockerfile", "local", ".perl-lambda-function.zip"}
    assert os.access(art / "bootstrap", os.X_OK)
    r = subprocess.run([BIN, "invoke", "--task-root", str(art), "--payload", '{"name":"make"}', "--",
                        str(art / "bootstrap")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and json.loads(r.stdout)["message"] == "Hello, make!", r.stdout + r.stderr


def test_arch_option_sets_the_templates_architecture(tmp_path):
    for arch in ("arm64", "x86_64"):
        d = tmp_path / arch
        p = init(str(d), "--arch", arch)
        assert p.returncode == 0 and f"(hello, {arch})" in p.stdout, p.stdout + p.stderr
        for f in ("template.yaml", "template-image.yaml"):
            assert f"Architectures:\n        - {arch}\n" in (d / f).read_text(), f
        assert f"ARCHITECTURE ?= {arch}\n" in (d / "Makefile").read_text()
    p = init(str(tmp_path / "bad"), "--arch", "sparc")
    assert p.returncode != 0 and "--arch must be x86_64 or arm64, not 'sparc'" in p.stderr, p.stderr
    assert not (tmp_path / "bad").exists()
