"""boto3's `invoke` and `invoke_with_response_stream` (event-stream framing) against the emulator."""
import base64
import json
import time

import boto3
import botocore.config
import botocore.exceptions
import pytest

from conftest import decode_tail


@pytest.fixture(scope="module")
def lam(aws_env, perl_server):
    return boto3.client("lambda", endpoint_url=perl_server.endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=botocore.config.Config(retries={"max_attempts": 1}, read_timeout=30))


def events(response):
    chunks, complete = [], None
    for ev in response["EventStream"]:
        if "PayloadChunk" in ev:
            chunks.append(ev["PayloadChunk"]["Payload"])
        elif "InvokeComplete" in ev:
            assert complete is None
            complete = ev["InvokeComplete"]
    return chunks, complete


def test_invoke(lam):
    r = lam.invoke(FunctionName="function", Payload=json.dumps({"action": "echo", "via": "boto3"}))
    assert r["StatusCode"] == 200
    assert r["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in r
    assert json.loads(r["Payload"].read())["event"]["via"] == "boto3"


def test_invoke_error_and_tail(lam):
    r = lam.invoke(FunctionName="function", Payload=b'{"action":"die"}', LogType="Tail")
    assert r["FunctionError"] == "Unhandled"
    assert json.loads(r["Payload"].read())["errorMessage"].startswith("boom")
    assert "Status: error" in decode_tail(r["LogResult"])


def test_client_context(lam):
    cc = base64.b64encode(json.dumps({"custom": {"user": "alice"}}).encode()).decode()
    r = lam.invoke(FunctionName="function", Payload=b'{"action":"context"}', ClientContext=cc)
    assert json.loads(r["Payload"].read())["client_context"] == {"custom": {"user": "alice"}}


def test_too_large(lam):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName="function", Payload=b'"' + b"z" * (7 * 1024 * 1024) + b'"')
    assert e.value.response["Error"]["Code"] == "RequestEntityTooLargeException"


def test_not_found(lam):
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="elsewhere", Payload=b"{}")


def test_stream_chunks_arrive_as_they_are_written(lam):
    started = time.monotonic()
    r = lam.invoke_with_response_stream(FunctionName="function",
                                        Payload=json.dumps({"action": "stream", "chunks": 4, "delay": 0.3}))
    assert r["StatusCode"] == 200
    assert r["ExecutedVersion"] == "$LATEST"
    arrivals, chunks, complete = [], [], None
    for ev in r["EventStream"]:
        if "PayloadChunk" in ev:
            chunks.append(ev["PayloadChunk"]["Payload"])
            arrivals.append(time.monotonic() - started)
        elif "InvokeComplete" in ev:
            complete = ev["InvokeComplete"]
    assert b"".join(chunks) == b"chunk 1\nchunk 2\nchunk 3\nchunk 4\n"
    assert len(chunks) >= 3, chunks
    assert arrivals[0] < arrivals[-1] - 0.5, arrivals  # the first chunk came well before the last
    assert complete is not None and "ErrorCode" not in complete


def test_stream_of_buffered_response_is_one_chunk(lam):
    r = lam.invoke_with_response_stream(FunctionName="function", Payload=b'{"action":"echo","b":2}', LogType="Tail")
    chunks, complete = events(r)
    assert len(chunks) == 1
    assert json.loads(chunks[0])["event"] == {"action": "echo", "b": 2}
    assert "REPORT RequestId" in decode_tail(complete["LogResult"])


def test_stream_function_error(lam):
    r = lam.invoke_with_response_stream(FunctionName="function", Payload=b'{"action":"die","message":"streamy"}')
    chunks, complete = events(r)
    assert chunks == []
    assert complete["ErrorCode"]
    assert "boom: streamy" in complete["ErrorDetails"]


def test_stream_fails_mid_way(lam):
    r = lam.invoke_with_response_stream(FunctionName="function", Payload=b'{"action":"stream","chunks":2,"fail":1}')
    chunks, complete = events(r)
    assert b"".join(chunks) == b"chunk 1\nchunk 2\n"
    assert complete["ErrorCode"]
    assert "stream failed mid-way" in complete["ErrorDetails"]


def test_stream_dry_run_and_event_rules(lam):
    r = lam.invoke_with_response_stream(FunctionName="function", InvocationType="DryRun", Payload=b"{}")
    assert r["StatusCode"] == 204
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke_with_response_stream(FunctionName="function", InvocationType="Event", Payload=b"{}")
    assert e.value.response["Error"]["Code"] in ("InvalidParameterValueException", "ValidationException")
