"""A peer runtime under `-- COMMAND`: AWS's Python runtime interface client, awslambdaric."""
import json
import sys

import boto3

from conftest import PY_FUNCTIONS


def test_awslambdaric_peer_runtime(serve):
    s = serve("--task-root", PY_FUNCTIONS, "--", sys.executable, "-m", "awslambdaric", "app.handler")
    status, headers, doc = s.invoke({"hello": "python"})
    assert status == 200, doc
    assert doc["runtime"] == "python"
    assert doc["event"] == {"hello": "python"}
    assert doc["request_id"] == headers["x-amzn-requestid"]
    assert doc["arn"] == "arn:aws:lambda:us-east-1:012345678912:function:function"

    status, headers, doc = s.invoke({"action": "fail"})
    assert status == 200 and headers["x-amz-function-error"] == "Unhandled"
    assert doc["errorType"] == "ValueError" and doc["errorMessage"] == "python says no"

    lam = boto3.client("lambda", endpoint_url=s.endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    r = lam.invoke_with_response_stream(FunctionName="function", Payload=b'{"via":"stream"}')
    chunks = [ev["PayloadChunk"]["Payload"] for ev in r["EventStream"] if "PayloadChunk" in ev]
    assert len(chunks) == 1 and json.loads(chunks[0])["event"] == {"via": "stream"}
    assert s.wait_for_log(r"python handler ran")
