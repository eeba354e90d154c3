"""`perl-lambda serve --template`: the functions of a SAM template, each under its logical ID, with Handler,
CodeUri (relative to the template), Timeout, MemorySize, Environment and Globals.Function."""
import json
import subprocess
import time

import boto3
import botocore.config

from conftest import BIN

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
Globals:
  Function:
    Runtime: provided.al2023
    Timeout: 5
    MemorySize: 256
    Environment:
      Variables:
        SHARED: globals
        STAGE: !Ref Stage
Resources:
  Greeter:
    Type: AWS::Serverless::Function
    Properties:
      Handler: handler.handle
      CodeUri: greeter/
      Environment:
        Variables:
          WHO: greeter
  Counter:
    Type: AWS::Serverless::Function
    Properties:
      Handler: lib/main.run
      CodeUri: ./counter
      Timeout: 2
      MemorySize: 1024
      Environment:
        Variables:
          WHO: counter
          SHARED: counter
"""

HANDLER = """\
use strict;
use warnings;
my $calls = 0;
sub %s {
    my ($event, $context) = @_;
    return +{ who => $ENV{WHO}, shared => $ENV{SHARED}, stage => $ENV{STAGE}, extra => $ENV{EXTRA},
              calls => ++$calls, name => $context->function_name, memory => $context->memory_limit_in_mb,
              remaining => $context->get_remaining_time_in_millis, event => $event };
}
1;
"""


def make_project(tmp_path):
    (tmp_path / "sam").mkdir()
    (tmp_path / "sam" / "template.yaml").write_text(TEMPLATE)
    (tmp_path / "sam" / "greeter").mkdir()
    (tmp_path / "sam" / "greeter" / "handler.pl").write_text(HANDLER % "handle")
    (tmp_path / "sam" / "counter" / "lib").mkdir(parents=True)
    (tmp_path / "sam" / "counter" / "lib" / "main.pl").write_text(HANDLER % "run")
    return tmp_path / "sam" / "template.yaml"


def test_two_functions_each_by_name(tmp_path, serve):
    template = make_project(tmp_path)
    # Started from elsewhere: CodeUri is relative to the template, not to the working directory.
    s = serve("--template", str(template), "--env", "EXTRA=cli", cwd=str(tmp_path))
    status, _, g = s.invoke({"n": 1}, function="Greeter")
    assert status == 200, g
    assert g["who"] == "greeter" and g["shared"] == "globals" and g["stage"] == "dev" and g["extra"] == "cli"
    assert g["name"] == "Greeter" and int(g["memory"]) == 256
    assert 3000 < int(g["remaining"]) <= 5000
    assert g["event"] == {"n": 1}
    status, _, c = s.invoke({}, function="Counter")
    assert status == 200, c
    assert c["who"] == "counter" and c["shared"] == "counter" and c["stage"] == "dev"
    assert c["name"] == "Counter" and int(c["memory"]) == 1024
    assert int(c["remaining"]) <= 2000
    # separate environments: each function counts its own calls
    assert s.invoke({}, function="Counter")[2]["calls"] == 2
    assert s.invoke({}, function="Greeter")[2]["calls"] == 2

    lam = boto3.client("lambda", endpoint_url=s.endpoint, region_name="us-east-1", aws_access_key_id="test",
                       aws_secret_access_key="test", config=botocore.config.Config(retries={"max_attempts": 1}))
    r = lam.invoke(FunctionName="Counter", Payload=b'{"via":"boto3"}')
    assert json.loads(r["Payload"].read())["event"] == {"via": "boto3"}


def test_unknown_function_is_404(tmp_path, serve):
    s = serve("--template", str(make_project(tmp_path)))
    for name in ["function", "greeter", "Nope"]:
        status, headers, doc = s.invoke({}, function=name)
        assert status == 404, (name, doc)
        assert headers["x-amzn-errortype"] == "ResourceNotFoundException"
        assert name in doc["message"]


def test_parameter_override_and_timeout_from_template(tmp_path, serve):
    s = serve("--template", str(make_project(tmp_path)), "--parameter", "Stage=prod")
    assert s.invoke({}, function="Greeter")[2]["stage"] == "prod"
    (tmp_path / "sam" / "counter" / "lib" / "main.pl").write_text("sub run { sleep 10 } 1;\n")
    s2 = serve("--template", str(tmp_path / "sam" / "template.yaml"))
    started = time.monotonic()
    status, headers, doc = s2.invoke({}, function="Counter")
    assert headers.get("x-amz-function-error") == "Unhandled" and doc["errorType"] == "Sandbox.Timedout"
    assert "2.00 seconds" in doc["errorMessage"] and time.monotonic() - started < 6


def test_template_errors_are_reported(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")
    p = subprocess.run([BIN, "serve", "--port", "0", "--template", str(bad)], capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "AWS::Serverless::Function" in p.stderr
    p = subprocess.run([BIN, "serve", "--port", "0", "--template", str(tmp_path / "missing.yaml")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "cannot read" in p.stderr
    p = subprocess.run([BIN, "serve", "--port", "0", "--template", str(make_project(tmp_path)), "handler.handle"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "HANDLER" in p.stderr
