"""The RIE's path and usage, with curl: `curl -XPOST localhost:9000/2015-03-31/functions/function/invocations -d '{}'`."""
import base64
import json
import re
import subprocess

from conftest import decode_tail


def curl(*args):
    """(status, headers dict, body) of one curl call."""
    out = subprocess.run(["curl", "-sS", "-i", *args], capture_output=True, check=True, timeout=60).stdout
    head, _, body = out.partition(b"\r\n\r\n")
    while head.startswith(b"HTTP/1.1 100"):
        head, _, body = body.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    return status, headers, body


def test_rie_style_invoke(perl_server):
    status, headers, body = curl("-XPOST", perl_server.url(), "-d", '{"action":"echo","n":1}')
    assert status == 200
    assert headers["x-amz-executed-version"] == "$LATEST"
    assert headers["content-type"] == "application/json"
    doc = json.loads(body)
    assert doc["event"] == {"action": "echo", "n": 1}
    assert doc["request_id"] == headers["x-amzn-requestid"]


def test_function_error_is_flagged(perl_server):
    status, headers, body = curl("-XPOST", perl_server.url(), "-d", '{"action":"die","message":"nope"}')
    assert status == 200
    assert headers["x-amz-function-error"] == "Unhandled"
    doc = json.loads(body)
    assert doc["errorMessage"].startswith("boom: nope")
    assert doc["errorType"]


def test_log_tail(perl_server):
    status, headers, body = curl("-XPOST", "-H", "X-Amz-Log-Type: Tail", perl_server.url(), "-d", '{"action":"log","lines":3}')
    assert status == 200
    log = decode_tail(headers["x-amz-log-result"])
    rid = headers["x-amzn-requestid"]
    assert f"START RequestId: {rid} Version: $LATEST" in log
    for i in (1, 2, 3):
        assert f"log line {i}" in log
    assert "stderr line" in log
    assert f"END RequestId: {rid}" in log
    assert re.search(rf"REPORT RequestId: {rid}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\t"
                     r"Max Memory Used: [1-9]\d* MB", log), log


def test_tail_is_the_last_4kb(perl_server):
    status, headers, _ = curl("-XPOST", "-H", "X-Amz-Log-Type: Tail", perl_server.url(), "-d", '{"action":"log","lines":2000}')
    raw = base64.b64decode(headers["x-amz-log-result"])
    assert len(raw) <= 4096
    assert b"REPORT RequestId" in raw and b"log line 2000" in raw


def test_invalid_json(perl_server):
    status, headers, body = curl("-XPOST", perl_server.url(), "-d", "this is not json")
    assert status == 400
    assert headers["x-amzn-errortype"] == "InvalidRequestContentException"
    doc = json.loads(body)
    assert doc["Type"] == "User" and "Could not parse request body into json" in doc["message"]


def test_unknown_function(perl_server):
    status, headers, body = curl("-XPOST", perl_server.url("missing"), "-d", "{}")
    assert status == 404
    assert headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert json.loads(body)["message"] == "Function not found: arn:aws:lambda:us-east-1:012345678912:function:missing"


def test_seven_megabytes_is_413_and_server_serves_on(perl_server, tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b'"' + b"x" * (7 * 1024 * 1024) + b'"')
    status, headers, body = curl("-XPOST", perl_server.url(), "--data-binary", f"@{big}")
    assert status == 413
    assert headers["x-amzn-errortype"] == "RequestEntityTooLargeException"
    assert "6291456" in json.loads(body)["message"]
    # without Expect: 100-continue the whole body is read before the answer
    status, headers, _ = curl("-XPOST", "-H", "Expect:", perl_server.url(), "--data-binary", f"@{big}")
    assert status == 413
    status, _, _ = curl("-XPOST", perl_server.url(), "-d", "{}")
    assert status == 200


def test_just_under_six_megabytes_passes(perl_server, tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b'"' + b"y" * (6 * 1024 * 1024 - 100) + b'"')
    status, headers, body = curl("-XPOST", perl_server.url(), "--data-binary", f"@{big}")
    assert status == 200, body[:200]
    assert len(json.loads(body)["event"]) == 6 * 1024 * 1024 - 100


def test_environment_and_context(perl_server):
    _, _, body = curl("-XPOST", perl_server.url(), "-d", '{"action":"env"}')
    env = json.loads(body)
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "function"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    assert env["_HANDLER"] == "handler.handle"
    assert env["LAMBDA_TASK_ROOT"].endswith("t/emulator/functions")
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"]
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/function"
    assert "[$LATEST]" in env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert env["TZ"] == ":UTC"
    assert env["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:")
    assert env["AWS_ACCESS_KEY_ID"] == "test"
    ctx = json.loads(b64ctx_call(perl_server))
    assert ctx["arn"] == "arn:aws:lambda:us-east-1:012345678912:function:function"
    assert ctx["trace_id"].startswith("Root=1-")
    assert 0 < ctx["remaining_ms"] <= 3000
    assert ctx["client_context"] == {"custom": {"k": "v"}}


def b64ctx_call(server):
    cc = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    return curl("-XPOST", "-H", f"X-Amz-Client-Context: {cc}", server.url(), "-d", '{"action":"context"}')[2]


def test_invalid_client_context(perl_server):
    status, headers, _ = curl("-XPOST", "-H", "X-Amz-Client-Context: %%%", perl_server.url(), "-d", "{}")
    assert status == 400 and headers["x-amzn-errortype"] == "InvalidRequestContentException"


def test_streamed_function_through_invoke_is_buffered(perl_server):
    status, headers, body = curl("-XPOST", perl_server.url(), "-d", '{"action":"stream","chunks":3}')
    assert status == 200
    assert body == b"chunk 1\nchunk 2\nchunk 3\n"
    assert headers["content-type"] == "text/plain"



def test_callers_trace_id_reaches_the_function(perl_server):
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    _, _, body = curl("-XPOST", "-H", f"X-Amzn-Trace-Id: {trace}", perl_server.url(), "-d", '{"action":"context"}')
    assert json.loads(body)["trace_id"] == trace


def test_keep_alive_and_pipelining(perl_server):
    import socket
    s = socket.create_connection(("127.0.0.1", perl_server.port))
    req = (b"POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n"
           b'{"action":"echo"}')
    s.sendall(req * 3)
    s.settimeout(10)
    data = b""
    while data.count(b"HTTP/1.1 200 OK") < 3 or not data.endswith(b"}"):
        chunk = s.recv(65536)
        assert chunk, data
        data += chunk
    s.close()
    assert data.count(b"HTTP/1.1 200 OK") == 3
