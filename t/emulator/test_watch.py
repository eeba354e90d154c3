"""`perl-lambda serve --watch`: editing the code restarts the execution environments; an invocation in flight
finishes on the old code, the next one runs the new code."""
import threading
import time

VERSION = """\
use strict;
use warnings;
use Time::HiRes ();
sub handle {
    my ($event) = @_;
    Time::HiRes::sleep($event->{sleep}) if $event->{sleep};
    return +{ version => %d, pid => $$ };
}
1;
"""


def edit(path, version):
    path.write_text(VERSION % version)


def test_edit_restarts_the_environment(tmp_path, serve):
    edit(tmp_path / "handler.pl", 1)
    s = serve("--task-root", str(tmp_path), "--watch")
    assert s.wait_for_log(r"watching .* for changes")
    status, _, first = s.invoke({})
    assert status == 200 and first["version"] == 1
    edit(tmp_path / "handler.pl", 2)
    assert s.wait_for_log(r"handler\.pl changed under .*; restarting function", timeout=5)
    status, _, second = s.invoke({})
    assert status == 200 and second["version"] == 2
    assert second["pid"] != first["pid"]
    # a new file in a subdirectory counts too
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "Helper.pm").write_text("package Helper; 1;\n")
    assert s.wait_for_log(r"lib/Helper\.pm changed", timeout=5)


def test_busy_environment_finishes_then_is_replaced(tmp_path, serve):
    edit(tmp_path / "handler.pl", 1)
    s = serve("--task-root", str(tmp_path), "--watch", "--concurrency", "2", "--timeout", "10")
    results = {}
    t = threading.Thread(target=lambda: results.update(slow=s.invoke({"sleep": 2})))
    t.start()
    time.sleep(0.8)  # the slow call is running on version 1
    edit(tmp_path / "handler.pl", 2)
    assert s.wait_for_log(r"changed under .*; restarting function \(1 environment\)", timeout=5)
    status, _, fresh = s.invoke({})
    assert status == 200 and fresh["version"] == 2
    t.join(10)
    status, headers, slow = results["slow"]
    assert status == 200 and "x-amz-function-error" not in headers, slow
    assert slow["version"] == 1
    assert fresh["pid"] != slow["pid"]
    status, _, after = s.invoke({})
    assert after["version"] == 2


def test_hidden_files_do_not_restart(tmp_path, serve):
    edit(tmp_path / "handler.pl", 1)
    s = serve("--task-root", str(tmp_path), "--watch")
    _, _, first = s.invoke({})
    (tmp_path / ".handler.pl.swp").write_text("x")
    (tmp_path / "handler.pl~").write_text("x")
    time.sleep(1.2)
    assert "changed under" not in s.output()
    assert s.invoke({})[2]["pid"] == first["pid"]


TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Greeter:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: %s
      Runtime: provided.al2023
      Timeout: %d
      Environment:
        Variables:
          GREETING: %s
"""

GREETER = """\
sub handle { +{ greeting => $ENV{GREETING}, timeout => $ENV{AWS_LAMBDA_FUNCTION_TIMEOUT} // '', via => 'handle' } }
sub other { +{ greeting => $ENV{GREETING}, via => 'other' } }
1;
"""


def test_template_edit_reaches_the_next_environment(tmp_path, serve):
    (tmp_path / "handler.pl").write_text(GREETER)
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE % ("handler.handle", 3, "hello"))
    s = serve("--template", str(template), "--watch")
    status, _, first = s.invoke({}, function="Greeter")
    assert status == 200 and first["greeting"] == "hello" and first["via"] == "handle", first

    template.write_text(TEMPLATE % ("handler.other", 3, "bonjour"))
    assert s.wait_for_log(r"template\.yaml changed", timeout=5), s.output()
    # (the task-root watcher may have restarted it first: the template lives in the code directory)
    assert s.wait_for_log(r"Greeter: new settings; restarting \(\d environments?\)", timeout=5), s.output()
    status, _, second = s.invoke({}, function="Greeter")
    assert status == 200 and second == {"greeting": "bonjour", "via": "other"}, second

    # a template that no longer loads is reported; the last good settings stay
    template.write_text("Resources: [unclosed\n")
    assert s.wait_for_log(r"template\.yaml changed but cannot be used", timeout=5), s.output()
    status, _, third = s.invoke({}, function="Greeter")
    assert status == 200 and third == second

    # a new function needs a restart, and says so
    template.write_text(TEMPLATE % ("handler.other", 3, "bonjour")
                        + "  Extra:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: .\n"
                        + "      Handler: handler.handle\n")
    assert s.wait_for_log(r"Extra is new: restart serve to serve it", timeout=5), s.output()
