"""Execution environments: parallelism, queueing, timeouts, crashes, init errors, bad clients, shutdown."""
import json

import pytest
import os
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from conftest import PERL_FUNCTIONS, Server, alive, descendants


def test_eight_parallel_calls_on_four_environments(serve):
    s = serve("--task-root", PERL_FUNCTIONS, "--concurrency", "4", "--timeout", "10")
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: s.invoke({"action": "sleep", "seconds": 1, "i": i}), range(8)))
    elapsed = time.monotonic() - started
    assert all(status == 200 for status, _, _ in results), results
    ids = {doc["request_id"] for _, _, doc in results}
    assert len(ids) == 8
    assert len({doc["pid"] for _, _, doc in results}) == 4
    assert elapsed < 3.5, elapsed


def test_timeout_kills_and_replaces_the_environment(serve):
    s = serve("--task-root", PERL_FUNCTIONS, "--timeout", "1")
    _, _, first = s.invoke({"action": "echo"})
    started = time.monotonic()
    status, headers, doc = s.invoke({"action": "sleep", "seconds": 5})
    assert time.monotonic() - started < 3
    assert status == 200 and headers["x-amz-function-error"] == "Unhandled"
    assert doc["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in doc["errorMessage"]
    deadline = time.time() + 2
    while alive(first["pid"]) and time.time() < deadline:
        time.sleep(0.02)
    assert not alive(first["pid"])
    status, _, after = s.invoke({"action": "echo"})
    assert status == 200 and after["pid"] != first["pid"]
    assert s.wait_for_log(r"Task timed out after 1\.00 seconds") and "Status: timeout" in s.output()


def test_crash_is_reported_and_the_next_call_works(serve):
    s = serve("--task-root", PERL_FUNCTIONS)
    status, headers, doc = s.invoke({"action": "crash"}, headers={"X-Amz-Log-Type": "Tail"})
    assert status == 200 and headers["x-amz-function-error"] == "Unhandled"
    assert doc["errorType"] == "Runtime.ExitError"
    assert "signal: killed" in doc["errorMessage"]
    status, _, doc = s.invoke({"action": "echo"})
    assert status == 200 and doc["event"] == {"action": "echo"}


def test_init_error_reaches_the_caller(serve):
    s = serve("--task-root", PERL_FUNCTIONS, "--env", "EMU_TEST_FAIL_INIT=1")
    for _ in range(2):  # each call gets a fresh environment and the same error
        status, headers, doc = s.invoke({"action": "echo"})
        assert status == 200 and headers["x-amz-function-error"] == "Unhandled"
        assert "init failure requested" in doc["errorMessage"], doc
        assert doc["errorType"]
    assert "INIT_REPORT" in s.output()


def test_missing_runtime_command(serve):
    s = serve("--task-root", PERL_FUNCTIONS, "--", "/nonexistent/runtime")
    status, headers, doc = s.invoke({})
    assert status == 200 and headers["x-amz-function-error"] == "Unhandled"
    assert doc["errorType"] in ("Runtime.InvalidEntrypoint", "Runtime.ExitError")


def test_queued_invocations_are_not_lost(serve):
    s = serve("--task-root", PERL_FUNCTIONS, "--concurrency", "2", "--timeout", "10")
    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(lambda i: s.invoke({"action": "sleep", "seconds": 0.1, "i": i}), range(12)))
    assert sorted(doc["slept"] for _, _, doc in results) == [0.1] * 12
    assert len({doc["request_id"] for _, _, doc in results}) == 12


def test_garbage_and_half_open_connections(serve):
    s = serve("--task-root", PERL_FUNCTIONS)
    garbage = socket.create_connection(("127.0.0.1", s.port))
    garbage.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n")
    half = socket.create_connection(("127.0.0.1", s.port))
    half.sendall(b"POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"a")
    idle = socket.create_connection(("127.0.0.1", s.port))
    shut = socket.create_connection(("127.0.0.1", s.port))
    shut.sendall(b"POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
    shut.shutdown(socket.SHUT_WR)
    status, _, doc = s.invoke({"action": "echo", "still": "serving"})
    assert status == 200 and doc["event"]["still"] == "serving"
    garbage.settimeout(5)
    assert garbage.recv(100).startswith(b"HTTP/1.1 400")
    for sock in (garbage, half, idle, shut):
        sock.close()
    status, _, _ = s.invoke({"action": "echo"})
    assert status == 200


def test_sigint_stops_cleanly_without_orphans():
    s = Server(["--task-root", PERL_FUNCTIONS, "--concurrency", "3", "--timeout", "30"])
    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(s.invoke, {"action": "sleep", "seconds": 20}) for _ in range(3)]
        deadline = time.time() + 10
        while time.time() < deadline and len(descendants(s.proc.pid)) < 3:
            time.sleep(0.05)
        children = descendants(s.proc.pid)
        assert len(children) >= 3
        s.proc.send_signal(signal.SIGINT)
        assert s.proc.wait(timeout=10) == 0
        for f in futures:
            f.result(timeout=10)  # answered (as errors) or connection closed, never hanging
    deadline = time.time() + 3
    while time.time() < deadline and any(alive(p) for p in children):
        time.sleep(0.05)
    assert not [p for p in children if alive(p)]
    s.stop()


@pytest.mark.parametrize("runtime", ["bootstrap", "awslambdaric"])
def test_busy_runtimes_die_with_a_killed_serve(serve, runtime):
    """SIGKILL gives serve no chance to stop its environments, and a runtime inside a long invocation would not
    notice its Runtime API is gone: the kernel kills it (PR_SET_PDEATHSIG, set by the bootstrap itself, and
    through `setpriv --pdeathsig` for other runtimes)."""
    import sys
    import threading
    from conftest import PY_FUNCTIONS
    if runtime == "bootstrap":
        s = serve("--task-root", PERL_FUNCTIONS, "--timeout", "60")
    else:
        s = serve("--task-root", PY_FUNCTIONS, "--timeout", "60", "--", sys.executable, "-m", "awslambdaric", "app.handler")
    assert s.invoke({})[0] == 200
    runtimes = descendants(s.proc.pid)
    assert runtimes
    def call():
        try:
            s.post({"action": "sleep", "seconds": 30}, timeout=60)
        except OSError:
            pass  # the server is killed under it

    busy = threading.Thread(target=call, daemon=True)
    busy.start()
    time.sleep(1)  # the runtime is inside its 30-second invocation
    s.proc.kill()
    s.proc.wait()
    deadline = time.time() + 3
    while time.time() < deadline and any(alive(p) for p in runtimes):
        time.sleep(0.05)
    left = [p for p in runtimes if alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    assert not left, "runtime processes outlived a SIGKILLed serve"
