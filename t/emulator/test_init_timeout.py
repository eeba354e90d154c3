"""--init-timeout: past the init phase's limit Lambda writes INIT_REPORT ... Phase: init Status: timeout and retries
init for the waiting invocation within that invocation's timeout (its Duration includes the retried init)."""
import re
import subprocess

from conftest import BIN


SLOW_INIT = """
use Time::HiRes ();
my $f = "$ENV{LAMBDA_TASK_ROOT}/init-seconds";
if (open my $fh, '<', $f) { my $s = <$fh>; print "init sleeping $s\\n"; Time::HiRes::sleep($s) }
print "init done\\n";
sub handle { +{ pid => $$ } }
1;
"""


def slow_function(tmp_path, seconds):
    (tmp_path / "slow.pl").write_text(SLOW_INIT)
    if seconds is None:
        (tmp_path / "init-seconds").unlink(missing_ok=True)
    else:
        (tmp_path / "init-seconds").write_text(str(seconds))
    return str(tmp_path)


def test_init_timeout_retries_within_the_invoke(serve, tmp_path):
    root = slow_function(tmp_path, 1.5)
    s = serve("--task-root", root, "--init-timeout", "1", "--timeout", "5", "slow.handle")
    status, _, body = s.invoke({})
    assert status == 200 and "pid" in body, body
    assert s.wait_for_log(r"REPORT RequestId")
    log = s.output()
    m = re.search(r"INIT_REPORT Init Duration: ([\d.]+) ms\tPhase: init\tStatus: timeout\n", log)
    assert m, log
    assert 1000 <= float(m.group(1)) < 1400
    # the retry: START, init's output again, END, a REPORT whose Duration holds the retried init and no Init Duration
    after = log[m.end():]
    assert re.match(r"START RequestId: \S+ Version: \$LATEST\n", after), after
    assert after.count("init done") == 1
    report = re.search(r"REPORT RequestId: .*", after).group(0)
    assert "Init Duration" not in report
    assert float(re.search(r"Duration: ([\d.]+) ms", report).group(1)) >= 1500
    assert "will be replaced" not in log, "the timed-out init's process ending is expected, not warned about"
    # warm afterwards: no more init
    status, _, body2 = s.invoke({})
    assert body2["pid"] == body["pid"]


def test_retried_init_that_runs_out_of_time(serve, tmp_path):
    root = slow_function(tmp_path, 5)
    s = serve("--task-root", root, "--init-timeout", "0.5", "--timeout", "1", "slow.handle")
    status, headers, body = s.invoke({})
    assert status == 200 and headers.get("x-amz-function-error") == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert s.wait_for_log(r"REPORT RequestId")
    log = s.output()
    assert re.search(r"INIT_REPORT Init Duration: [\d.]+ ms\tPhase: init\tStatus: timeout\n", log), log
    assert re.search(r"Task timed out after 1\.00 seconds\n"
                     r"INIT_REPORT Init Duration: [\d.]+ ms\tPhase: invoke\tStatus: timeout\n"
                     r"END RequestId: \S+\n"
                     r"REPORT RequestId: .*\tStatus: timeout", log), log
    # serve keeps serving: with a quick init the next call succeeds
    slow_function(tmp_path, None)
    status, _, body = s.invoke({})
    assert status == 200 and "pid" in body, body


def test_default_is_lambdas_ten_seconds(serve, tmp_path):
    for command in ["serve", "invoke"]:
        out = subprocess.run([BIN, command, "--help"], capture_output=True, text=True, check=True).stdout
        assert re.search(r"--init-timeout <init-timeout>\s+Init phase limit in seconds \(Lambda's is 10\)[^()]*\(default: 10\.0\)",
                         re.sub(r"\s+", " ", out)), out
    root = slow_function(tmp_path, 0.2)
    s = serve("--task-root", root, "slow.handle")
    status, _, _ = s.invoke({})
    assert status == 200
    assert "INIT_REPORT" not in s.output()
