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
