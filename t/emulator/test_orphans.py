"""An environment's whole process tree goes with it: children a handler forked (in the environment's process
group, or escaped from it with setsid) die when the environment is reset after a crash, times out, or serve stops;
children in the group die even when serve is SIGKILLed."""
import os
import signal
import time

from conftest import PERL_FUNCTIONS, PY_FUNCTIONS, alive


def gone(pid, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline and alive(pid):
        time.sleep(0.05)
    return not alive(pid)


def spawned(s, action, **extra):
    status, _, body = s.invoke({"action": action, **extra})
    assert status == 200, body
    assert alive(body["child"]), "the forked child runs after the invocation"
    return body["child"]


def test_children_die_when_the_environment_is_reset_after_a_crash(serve):
    s = serve("--task-root", PERL_FUNCTIONS)
    kids = [spawned(s, "spawn"), spawned(s, "daemon")]
    status, headers, body = s.invoke({"action": "crash"})
    assert headers.get("x-amz-function-error") == "Unhandled", body
    assert all(gone(k) for k in kids), [k for k in kids if alive(k)]
    assert s.invoke({"action": "echo"})[0] == 200


def test_children_die_with_a_timed_out_environment(serve):
    s = serve("--task-root", PERL_FUNCTIONS, "--timeout", "1")
    kid = spawned(s, "spawn")
    daemon = spawned(s, "daemon")
    status, _, body = s.invoke({"action": "sleep", "seconds": 5})
    assert body["errorType"] == "Sandbox.Timedout"
    assert gone(kid) and gone(daemon)


def test_children_die_when_serve_stops(serve):
    s = serve("--task-root", PERL_FUNCTIONS)
    kids = [spawned(s, "spawn"), spawned(s, "daemon")]
    s.stop()
    assert all(gone(k) for k in kids), [k for k in kids if alive(k)]


def test_children_in_the_group_die_with_a_sigkilled_serve(serve):
    s = serve("--task-root", PERL_FUNCTIONS)
    kid = spawned(s, "spawn")
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    try:
        assert gone(kid), "a handler's child outlived a SIGKILLed serve"
    finally:
        if alive(kid):
            os.kill(kid, signal.SIGKILL)


def test_a_daemon_escaped_from_one_environment_does_not_touch_another(serve):
    """Adopted orphans are killed with the environment they came from, not by another one's reset."""
    from concurrent.futures import ThreadPoolExecutor
    s = serve("--task-root", PERL_FUNCTIONS, "--concurrency", "2")
    with ThreadPoolExecutor(2) as pool:
        # in flight together, so in two environments: the first keeps a daemon, the second crashes
        keeper = pool.submit(s.invoke, {"action": "daemon", "then_sleep": 1.5})
        time.sleep(0.3)
        crasher = pool.submit(s.invoke, {"action": "spawn", "then_sleep": 0.3, "then_crash": True})
        kept = keeper.result()[2]
        crashed = crasher.result()
    assert crashed[1].get("x-amz-function-error") == "Unhandled"
    time.sleep(0.5)
    assert alive(kept["child"]), "the other environment's daemon was killed"
    s.stop()
    assert gone(kept["child"]), "and it goes when serve stops"


def test_another_runtimes_children_die_with_a_sigkilled_serve(serve):
    """A runtime other than our bootstrap cannot kill its group itself: serve starts `bootstrap --guard-group`
    beside it, which does when serve dies."""
    import sys
    s = serve("--task-root", PY_FUNCTIONS, "--", sys.executable, "-m", "awslambdaric", "app.handler")
    status, _, body = s.invoke({"action": "spawn"})
    assert status == 200, body
    kid = body["child"]
    assert alive(kid)
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    try:
        assert gone(kid), "a Python handler's child outlived a SIGKILLed serve"
        assert gone(body["pid"]), "and the runtime itself"
    finally:
        for p in (kid, body["pid"]):
            if alive(p):
                os.kill(p, signal.SIGKILL)
