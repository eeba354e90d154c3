"""The CLI itself: --help everywhere, `perl-lambda invoke`."""
import json
import subprocess

import pytest

from conftest import BIN, PERL_FUNCTIONS


@pytest.mark.parametrize("args", [[], ["serve"], ["invoke"]])
def test_help(args):
    p = subprocess.run([BIN, *args, "--help"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0
    assert "USAGE" in p.stdout.upper()


def test_invoke_prints_result_and_logs_to_stderr():
    p = subprocess.run([BIN, "invoke", "--task-root", PERL_FUNCTIONS, "--payload", '{"action":"log","lines":1}'],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"logged": 1}
    assert "log line 1" in p.stderr and "REPORT RequestId" in p.stderr


def test_invoke_function_error_exits_1():
    p = subprocess.run([BIN, "invoke", "--task-root", PERL_FUNCTIONS, "--payload", '{"action":"die"}'],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    assert "boom" in json.loads(p.stdout)["errorMessage"]


def test_generate_event():
    p = subprocess.run([BIN, "generate-event", "apigateway-v2", "--method", "post", "--path", "/items", "--body", '{"id":1}'],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    event = json.loads(p.stdout)
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["rawPath"] == "/items" and event["body"] == '{"id":1}'


def test_invoke_with_event_stdin_and_file(tmp_path):
    p = subprocess.run([BIN, "invoke", "--task-root", PERL_FUNCTIONS, "--event", "s3", "--bucket", "bkt"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["event"]["Records"][0]["s3"]["bucket"]["name"] == "bkt"
    p = subprocess.run([BIN, "invoke", "--task-root", PERL_FUNCTIONS, "handler.handle", "-"],
                       input='{"action":"echo","from":"stdin"}', capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["event"]["from"] == "stdin"
    f = tmp_path / "event.json"
    f.write_text('{"action":"echo","from":"file"}')
    p = subprocess.run([BIN, "invoke", "--task-root", PERL_FUNCTIONS, "--payload-file", str(f)],
                       capture_output=True, text=True, timeout=60)
    assert json.loads(p.stdout)["event"]["from"] == "file"


def test_invoke_with_a_peer_runtime():
    import sys
    from conftest import PY_FUNCTIONS
    p = subprocess.run([BIN, "invoke", "--task-root", PY_FUNCTIONS, "--payload", '{"x":1}', "--",
                        sys.executable, "-m", "awslambdaric", "app.handler"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["event"] == {"x": 1}
