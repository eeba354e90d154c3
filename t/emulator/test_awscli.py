"""`aws lambda invoke --endpoint-url` against the emulator, as users run it."""
import json
import subprocess
import time

import pytest

from conftest import decode_tail


def aws_major():
    out = subprocess.run(["aws", "--version"], capture_output=True, text=True).stdout + \
        subprocess.run(["aws", "--version"], capture_output=True, text=True).stderr
    return int(out.split("/", 1)[1].split(".", 1)[0])


@pytest.fixture(scope="module")
def awscli(aws_env, perl_server, tmp_path_factory):
    binary_format = ["--cli-binary-format", "raw-in-base64-out"] if aws_major() >= 2 else []
    out = tmp_path_factory.mktemp("awscli") / "out.json"

    def run(*args, payload=None, function="function", check=True):
        cmd = ["aws", "lambda", "invoke", "--endpoint-url", perl_server.endpoint, "--function-name", function]
        if payload is not None:
            cmd += [*binary_format, "--payload", payload]
        cmd += [*args, str(out)]
        p = subprocess.run(cmd, capture_output=True, text=True, env=aws_env, timeout=60)
        if check:
            assert p.returncode == 0, p.stderr
        meta = json.loads(p.stdout) if p.returncode == 0 else None
        body = out.read_text() if p.returncode == 0 and out.exists() else ""
        return p, meta, body

    return run


def test_invoke(awscli):
    _, meta, body = awscli(payload='{"action":"echo","from":"awscli"}')
    assert meta["StatusCode"] == 200
    assert meta["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in meta
    assert json.loads(body)["event"]["from"] == "awscli"


def test_function_error(awscli):
    _, meta, body = awscli(payload='{"action":"die","message":"from awscli"}')
    assert meta["StatusCode"] == 200
    assert meta["FunctionError"] == "Unhandled"
    assert "boom: from awscli" in json.loads(body)["errorMessage"]


def test_log_tail(awscli):
    _, meta, _ = awscli("--log-type", "Tail", payload='{"action":"log","lines":2}')
    log = decode_tail(meta["LogResult"])
    assert "log line 2" in log and "REPORT RequestId" in log


def test_event_runs_in_background(awscli, perl_server):
    marker = f"bg-{time.monotonic_ns()}"
    started = time.monotonic()
    _, meta, body = awscli("--invocation-type", "Event", payload=json.dumps({"action": "sleep", "seconds": 0.5, "m": marker}))
    assert meta["StatusCode"] == 202
    assert time.monotonic() - started < 5
    assert body == ""
    assert perl_server.wait_for_log(r"REPORT RequestId: .*Duration: [5-9]\d\d\.\d\d ms", timeout=10)


def test_dry_run(awscli):
    _, meta, body = awscli("--invocation-type", "DryRun", payload="{}")
    assert meta["StatusCode"] == 204
    assert body == ""


def test_unknown_function(awscli):
    p, _, _ = awscli(payload="{}", function="nope", check=False)
    assert p.returncode != 0
    assert "ResourceNotFoundException" in p.stderr


def test_function_arn_as_name(awscli):
    _, meta, body = awscli(payload='{"action":"echo"}', function="arn:aws:lambda:us-east-1:012345678912:function:function")
    assert meta["StatusCode"] == 200 and json.loads(body)["event"] == {"action": "echo"}
