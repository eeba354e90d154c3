"""Fixtures for the emulator's integration tests: start `perl-lambda serve` on a free port, talk to it with
real clients (curl, awscli, boto3), stop it and check that no function process outlives it."""
import base64
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("PERL_LAMBDA_BIN") or os.path.join(ROOT, ".build-emu", "debug", "perl-lambda")
PERL_FUNCTIONS = os.path.join(HERE, "functions")
PY_FUNCTIONS = os.path.join(HERE, "pyfunc")


def descendants(pid):
    """PIDs whose parent chain leads to pid (the function processes a server spawned)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents[int(entry)] = ppid
    found, frontier = set(), {pid}
    while frontier:
        children = {p for p, pp in parents.items() if pp in frontier and p not in found}
        found |= children
        frontier = children
    return found


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Server:
    def __init__(self, args, cwd=ROOT, env=None):
        self.log_path = os.path.join("/tmp", f"perl-lambda-test-{os.getpid()}-{time.monotonic_ns()}.log")
        self.log = open(self.log_path, "wb")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen([BIN, "serve", "--port", "0", *args], cwd=cwd, stdout=self.log,
                                     stderr=subprocess.STDOUT, env=full_env)
        deadline = time.time() + 20
        self.port = None
        while time.time() < deadline and self.port is None:
            m = re.search(r"serving .* on http://127\.0\.0\.1:(\d+)", self.output())
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"perl-lambda serve exited: {self.output()}")
            time.sleep(0.02)
        if self.port is None:
            self.stop()
            raise RuntimeError(f"perl-lambda serve did not start: {self.output()}")
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def url(self, function="function"):
        return f"{self.endpoint}/2015-03-31/functions/{function}/invocations"

    def post(self, payload, function="function", headers=None, timeout=30):
        """(status, headers, body bytes) of a raw Invoke API call."""
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        req = urllib.request.Request(self.url(function), data=data, method="POST", headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()

    def invoke(self, payload, **kw):
        status, headers, body = self.post(payload, **kw)
        return status, headers, json.loads(body) if body else None

    def wait_for_log(self, pattern, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if re.search(pattern, self.output()):
                return True
            time.sleep(0.05)
        return False

    def stop(self, check_orphans=True):
        if self.proc.poll() is None:
            children = descendants(self.proc.pid)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("perl-lambda serve did not stop on SIGTERM")
            if check_orphans:
                deadline = time.time() + 3
                while time.time() < deadline and any(alive(p) for p in children):
                    time.sleep(0.05)
                left = [p for p in children if alive(p)]
                assert not left, f"function processes left behind: {left}"
        self.log.close()


@pytest.fixture
def serve():
    """serve(*args) starts a server; all are stopped (SIGTERM, orphan check) at the end of the test."""
    servers = []

    def start(*args, **kw):
        s = Server(list(args), **kw)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


@pytest.fixture(scope="module")
def perl_server():
    """One shared server for the Perl test function, two environments."""
    s = Server(["--task-root", PERL_FUNCTIONS, "--concurrency", "2", "handler.handle"])
    yield s
    s.stop()


def decode_tail(value):
    return base64.b64decode(value).decode("utf-8", "replace")


@pytest.fixture(scope="session")
def aws_env():
    env = dict(os.environ)
    env.setdefault("AWS_ACCESS_KEY_ID", "test")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    env["AWS_PAGER"] = ""
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
