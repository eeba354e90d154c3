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


@pytest.mark.parametrize("command", ["invoke", "serve"])
@pytest.mark.parametrize("handler", ["handler", ".psgi", "/abs/handler.handle"])
def test_invalid_handler_is_refused_before_anything_runs(command, handler):
    # HandlerName's grammar (FILE.FUNCTION or a .psgi file), checked by the CLI as by the bootstrap
    port = ["--port", "0"] if command == "serve" else []
    p = subprocess.run([BIN, command, "--task-root", PERL_FUNCTIONS, *port, handler], capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert f"invalid handler '{handler}'" in p.stderr, p.stderr
    assert "START RequestId" not in p.stderr and "serving" not in p.stderr


def test_psgi_handler_through_invoke():
    p = subprocess.run([BIN, "invoke", "--task-root", PERL_FUNCTIONS + "/../../handlers", "psgi_app.psgi",
                        "--event", "apigateway-v2", "--path", "/"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["statusCode"] == 200


def test_template_handler_is_checked(tmp_path):
    t = tmp_path / "template.yaml"
    t.write_text("Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                 f"      CodeUri: {PERL_FUNCTIONS}\n      Handler: nodot\n")
    p = subprocess.run([BIN, "serve", "--port", "0", "--template", str(t)], capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "Fn: invalid handler 'nodot'" in p.stderr, p.stderr


def test_serve_stops_on_a_sigterm_right_after_it_starts():
    """A SIGTERM sent as soon as serve says it is serving is not lost while it sets up its signal handling."""
    import re
    import signal
    import time
    for _ in range(15):
        p = subprocess.Popen([BIN, "serve", "--port", "0", "--task-root", PERL_FUNCTIONS], stderr=subprocess.PIPE,
                             stdout=subprocess.DEVNULL)
        line = b""
        deadline = time.time() + 20
        while not re.search(rb"serving .* on http", line) and time.time() < deadline:
            line = p.stderr.readline()
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise AssertionError("serve missed a SIGTERM sent just after it started")
        finally:
            p.stderr.close()
