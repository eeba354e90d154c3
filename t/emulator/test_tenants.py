"""Tenant isolation: X-Amz-Tenant-Id (boto3's TenantId, `invoke --tenant-id`) reaches the handler as
$context->tenant_id, and an execution environment only ever serves the tenant it started for."""
import json
import subprocess

import boto3
import botocore.config
import pytest

from conftest import BIN, PERL_FUNCTIONS


def client(server):
    return boto3.client("lambda", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=botocore.config.Config(retries={"max_attempts": 1}, read_timeout=30))


def context_of(lam, tenant, function="function"):
    r = lam.invoke(FunctionName=function, TenantId=tenant, Payload=json.dumps({"action": "context"}))
    assert "FunctionError" not in r
    return json.loads(r["Payload"].read())


def test_tenant_reaches_the_handler_and_gets_its_own_environment(serve):
    s = serve("--task-root", PERL_FUNCTIONS, "--tenant-isolation", "--concurrency", "2", "handler.handle")
    lam = client(s)
    a1 = context_of(lam, "blue")
    b1 = context_of(lam, "green tenant/1")
    a2 = context_of(lam, "blue")
    assert (a1["tenant_id"], b1["tenant_id"], a2["tenant_id"]) == ("blue", "green tenant/1", "blue")
    assert a1["pid"] == a2["pid"], "a tenant's warm environment serves it again"
    assert a1["pid"] != b1["pid"], "each tenant has its own environment"


def test_a_full_pool_makes_room_rather_than_share(serve):
    # one slot: the second tenant must not be served by the first tenant's (idle) environment
    s = serve("--task-root", PERL_FUNCTIONS, "--tenant-isolation", "handler.handle")
    lam = client(s)
    pids = {}
    for tenant in ["a", "b", "a", "b"]:
        c = context_of(lam, tenant)
        assert c["tenant_id"] == tenant
        assert c["pid"] not in {p for t, ps in pids.items() if t != tenant for p in ps}, \
            f"environment {c['pid']} served two tenants"
        pids.setdefault(tenant, set()).add(c["pid"])
    assert s.output().count("Init Duration") == 4, "each switch of tenant is a cold start"


def test_isolated_function_requires_a_tenant(serve):
    s = serve("--task-root", PERL_FUNCTIONS, "--tenant-isolation", "handler.handle")
    status, headers, body = s.invoke({"action": "context"})
    assert status == 400
    assert headers["x-amzn-errortype"] == "InvalidParameterValueException"
    assert "enabled with tenancy configuration. Add a valid tenant ID" in body["message"]


def test_tenant_refused_without_isolation_and_absent_is_undef(serve):
    s = serve("--task-root", PERL_FUNCTIONS, "handler.handle")
    status, headers, body = s.invoke({"action": "context"}, headers={"X-Amz-Tenant-Id": "blue"})
    assert status == 400
    assert headers["x-amzn-errortype"] == "InvalidParameterValueException"
    assert "not enabled with tenancy configuration. Remove the tenant ID" in body["message"]
    status, _, body = s.invoke({"action": "context"})
    assert status == 200
    assert body["tenant_id"] is None


def test_invalid_tenant_id_is_refused(serve):
    s = serve("--task-root", PERL_FUNCTIONS, "--tenant-isolation", "handler.handle")
    for bad in ["x" * 257, "a;b"]:
        # curl: boto3 checks the pattern itself before sending
        p = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-XPOST", s.url(), "-d", "{}",
                            "-H", f"X-Amz-Tenant-Id: {bad}"], capture_output=True, text=True, timeout=30)
        body, status = p.stdout.rsplit("\n", 1)
        assert status == "400", p.stdout
        assert "at 'tenantId' failed to satisfy constraint" in json.loads(body)["message"]


def test_template_tenancy_config(serve, tmp_path):
    (tmp_path / "template.yaml").write_text(f"""
Transform: AWS::Serverless-2016-10-31
Resources:
  Isolated:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {PERL_FUNCTIONS}
      Handler: handler.handle
      TenancyConfig:
        TenantIsolationMode: PER_TENANT
  Shared:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {PERL_FUNCTIONS}
      Handler: handler.handle
""")
    s = serve("--template", str(tmp_path / "template.yaml"))
    lam = client(s)
    assert context_of(lam, "t1", function="Isolated")["tenant_id"] == "t1"
    status, _, _ = s.invoke({"action": "context"}, function="Isolated")
    assert status == 400
    status, _, _ = s.invoke({"action": "context"}, function="Shared", headers={"X-Amz-Tenant-Id": "t1"})
    assert status == 400


def test_invoke_tenant_id():
    p = subprocess.run([BIN, "invoke", "--task-root", PERL_FUNCTIONS, "--tenant-id", "blue",
                        "--payload", '{"action":"context"}'], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["tenant_id"] == "blue"
    p = subprocess.run([BIN, "invoke", "--task-root", PERL_FUNCTIONS, "--tenant-id", "no;pe"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "--tenant-id must be" in p.stderr


def test_function_url_requests_carry_no_tenant(serve):
    s = serve("--task-root", PERL_FUNCTIONS, "--tenant-isolation", "--function-url", "handler.handle")
    p = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", f"{s.endpoint}/"], capture_output=True,
                       text=True, timeout=30)
    body, status = p.stdout.rsplit("\n", 1)
    assert status == "400", p.stdout
    assert "Add a valid tenant ID" in json.loads(body)["message"]
