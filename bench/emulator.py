#!/usr/bin/env python3
"""Benchmarks of `perl-lambda serve` against the real AWS Runtime Interface Emulator, measured in the same run:

  1. sequential invokes/s, our `bootstrap` as the runtime:      serve / RIE  (target >= 1.5x)
  2. sequential invokes/s, awslambdaric (Python) as the runtime: serve / RIE  (target >= 1.0x)
  3. scaling of serve with --concurrency 2 and 2 callers over --concurrency 1 and 1 caller, with a handler that
     burns a few ms of CPU                                                     (target >= 1.7x on 2 cores)
  4. latency p50/p99 that serve adds over a direct Runtime API round trip (this script playing the Runtime API
     for one bootstrap process), and what the RIE adds, for comparison.
For 1 and 2 it also prints the CPU time the emulator process itself spends per invoke, which a busy machine
disturbs much less than throughput.

Only ratios measured in this run are printed, nothing is asserted: the machine may be shared. Each comparison
alternates the two sides for --rounds rounds and reports each side's fastest round (and the median emulator CPU).
The client keeps its connection alive, sets TCP_NODELAY and sends each request in one write.

usage: python3 bench/emulator.py [--seconds S] [--rounds R] [--skip-python]
       (from the repo root after `make release`; PERL_LAMBDA_BIN / BOOTSTRAP / RIE override the binaries)
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
INVOKE_PATH = "/2015-03-31/functions/function/invocations"

HELLO_PL = 'sub handle { return +{ hello => "lambda" } }\n1;\n'
# A few ms of CPU per invocation so that parallelism, not the emulator, decides the throughput.
CPU_PL = """sub handle {
    my ($event) = @_;
    my $n = $event->{n} // 60000; my $x = 0;
    $x += sqrt($_) * 1.0001 for 1 .. $n;
    return +{ x => int($x) };
}
1;
"""
APP_PY = 'def handler(event, context):\n    return {"hello": "lambda"}\n'


# ---------------------------------------------------------------- HTTP client

class Client:
    """A keep-alive HTTP/1.1 client: TCP_NODELAY, one write per request, Content-Length or chunked replies."""

    def __init__(self, port, path=INVOKE_PATH):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.path = path
        self.buf = b""

    def invoke(self, body=b"{}"):
        self.sock.sendall(b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          b"Content-Length: %d\r\n\r\n%s" % (self.path.encode(), len(body), body))
        status, headers = self._head()
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            payload = self._chunked()
        else:
            payload = self._exactly(int(headers.get(b"content-length", b"0")))
        if status != 200:
            raise RuntimeError(f"invoke answered {status}: {payload[:200]!r}")
        return payload

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf += data

    def _message_head(self):
        """Reads one HTTP message head: (start line, lower-cased headers)."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers[k.strip().lower()] = v.strip()
        return lines[0], headers

    def _head(self):
        start, headers = self._message_head()
        return int(start.split()[1]), headers

    def _exactly(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _chunked(self):
        out = b""
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            size_line, self.buf = self.buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                while b"\r\n\r\n" not in self.buf and not self.buf.startswith(b"\r\n"):
                    self._fill()
                self.buf = self.buf[2:] if self.buf.startswith(b"\r\n") else self.buf.split(b"\r\n\r\n", 1)[1]
                return out
            out += self._exactly(size + 2)[:-2]

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------- servers under test

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{proc.args[0]} did not listen on {port}")


class Server:
    """A running emulator (ours or the RIE) with its function; `stop()` ends it and its processes."""

    def __init__(self, kind, task_root, runtime, concurrency=1):
        self.port = free_port()
        env = dict(os.environ, LAMBDA_TASK_ROOT=task_root, AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="bench",
                   AWS_SECRET_ACCESS_KEY="bench")
        if kind == "serve":
            cmd = [BIN, "serve", "--port", str(self.port), "--task-root", task_root, "--timeout", "60",
                   "--concurrency", str(concurrency), "--log-level", "warning", "--"] + runtime
        else:
            cmd = [RIE, "--runtime-interface-emulator-address", f"127.0.0.1:{self.port}",
                   "--runtime-api-address", f"127.0.0.1:{free_port()}"] + runtime
        self.proc = subprocess.Popen(cmd, cwd=task_root, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        wait_port(self.port, self.proc)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, 9)  # the RIE's runtime process, if the RIE left it behind
        except OSError:
            pass
        self.proc.wait()


def cpu_seconds(pid):
    """utime + stime of one process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_clients(port, clients, seconds, body=b"{}", warmup=50, pid=None):
    """Invokes/s of `clients` parallel keep-alive callers over `seconds`, each call's latency (s), and the CPU
    time process `pid` (the emulator) spent per invoke (s)."""
    conns = [Client(port) for _ in range(clients)]
    for c in conns:
        for _ in range(warmup // clients + 1):
            c.invoke(body)
    latencies = [[] for _ in conns]
    counts = [0] * clients
    stop_at = time.perf_counter() + seconds

    def loop(i):
        c, lat, n = conns[i], latencies[i], 0
        while True:
            t0 = time.perf_counter()
            if t0 >= stop_at:
                break
            c.invoke(body)
            lat.append(time.perf_counter() - t0)
            n += 1
        counts[i] = n

    cpu0 = cpu_seconds(pid) if pid else 0
    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    cpu = (cpu_seconds(pid) - cpu0) / max(1, sum(counts)) if pid else 0
    for c in conns:
        c.close()
    return sum(counts) / elapsed, [x for l in latencies for x in l], cpu


def measure(kind, task_root, runtime, seconds, concurrency=1, clients=1, body=b"{}"):
    server = Server(kind, task_root, runtime, concurrency)
    try:
        return run_clients(server.port, clients, seconds, body, pid=server.proc.pid)
    finally:
        server.stop()


# ---------------------------------------------------------------- direct Runtime API round trip

def direct_round_trips(task_root, seconds):
    """This script is the Runtime API for one bootstrap: the time from writing a /next response to reading
    that invocation's result, per invocation."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    api = f"127.0.0.1:{srv.getsockname()[1]}"
    env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=api, LAMBDA_TASK_ROOT=task_root, _HANDLER="handler.handle",
               AWS_LAMBDA_FUNCTION_NAME="function", AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128",
               AWS_LAMBDA_FUNCTION_VERSION="$LATEST", AWS_REGION="us-east-1")
    proc = subprocess.Popen([BOOTSTRAP, "handler.handle"], cwd=task_root, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    times = []
    try:
        srv.settimeout(20)
        conn, _ = srv.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = Client.__new__(Client)
        reader.sock, reader.buf = conn, b""
        stop_at = time.perf_counter() + seconds
        n = 0
        sent = None
        while True:
            _, headers = request_head(reader)
            length = int(headers.get(b"content-length", b"0"))
            if length:
                reader._exactly(length)
            if sent is not None:
                times.append(time.perf_counter() - sent)
                conn.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n"
                             b'{"status":"OK"}\n')
                request_head(reader)  # GET /next
            if time.perf_counter() >= stop_at and n > 100:
                break
            n += 1
            rid = b"req-%d" % n
            deadline = int(time.time() * 1000) + 60000
            body = b"{}"
            msg = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: %s\r\n"
                   b"Lambda-Runtime-Deadline-Ms: %d\r\nLambda-Runtime-Invoked-Function-Arn: "
                   b"arn:aws:lambda:us-east-1:012345678912:function:function\r\n"
                   b"Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000\r\n"
                   b"Content-Length: %d\r\n\r\n%s" % (rid, deadline, len(body), body))
            sent = time.perf_counter()
            conn.sendall(msg)
    finally:
        proc.kill()
        proc.wait()
        srv.close()
    return times[50:]


def request_head(reader):
    """Reads one request head from the runtime: (request line, headers)."""
    return reader._message_head()


# ---------------------------------------------------------------- report

def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


def fastest(runs):
    """The fastest of several runs: on a shared machine other work only ever slows a run down."""
    return max(runs, key=lambda r: r[0])


def main():
    global BIN, BOOTSTRAP, RIE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 2)),
                    help="length of each measurement (default 2)")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 5)),
                    help="alternating rounds per comparison; the fastest is reported (default 5)")
    ap.add_argument("--skip-python", action="store_true", help="skip the awslambdaric comparison")
    args = ap.parse_args()
    BIN = os.environ.get("PERL_LAMBDA_BIN") or os.path.join(ROOT, ".build/release/perl-lambda")
    BOOTSTRAP = os.environ.get("BOOTSTRAP") or os.path.join(os.path.dirname(BIN), "bootstrap")
    RIE = os.environ.get("RIE") or os.path.join(ROOT, ".cache/bin/aws-lambda-rie")
    for path, hint in [(BIN, "make release"), (BOOTSTRAP, "make release"), (RIE, "scripts/fetch-rie.sh")]:
        if not os.access(path, os.X_OK):
            sys.exit(f"missing {path}: run {hint}")

    work = tempfile.mkdtemp(prefix="bench-emulator-")
    try:
        for name, files in {"hello": {"handler.pl": HELLO_PL}, "cpu": {"handler.pl": CPU_PL},
                            "py": {"app.py": APP_PY}}.items():
            os.makedirs(os.path.join(work, name))
            for f, text in files.items():
                with open(os.path.join(work, name, f), "w") as fh:
                    fh.write(text)
        hello, cpu, py = (os.path.join(work, n) for n in ("hello", "cpu", "py"))
        perl_rt = [BOOTSTRAP, "handler.handle"]
        print(f"== perl-lambda serve vs the AWS RIE ({os.cpu_count()} CPUs, best of {args.rounds} rounds of {args.seconds:g} s, "
              f"load {os.getloadavg()[0]:.2f}) ==")

        def compare(title, root, runtime, target):
            ours, rie = [], []
            for _ in range(args.rounds):
                ours.append(measure("serve", root, runtime, args.seconds))
                rie.append(measure("rie", root, runtime, args.seconds))
            o, r = fastest(ours), fastest(rie)
            oc, rc = statistics.median(x[2] for x in ours) * 1e6, statistics.median(x[2] for x in rie) * 1e6
            print(f"{title}: serve {o[0]:6.0f}/s  RIE {r[0]:6.0f}/s  ratio {o[0] / r[0]:.2f}x  (target >= {target});"
                  f"  emulator CPU/invoke: serve {oc:4.0f} us  RIE {rc:4.0f} us  ({rc / oc:.2f}x less)")
            return o, r

        o, r = compare("sequential, bootstrap   ", hello, perl_rt, "1.5x")
        if not args.skip_python:
            try:
                import awslambdaric  # noqa: F401
                compare("sequential, awslambdaric", py, [sys.executable, "-m", "awslambdaric", "app.handler"], "1.0x")
            except ImportError:
                print("sequential, awslambdaric: skipped (pip install awslambdaric)")

        one, two = [], []
        for _ in range(args.rounds):
            one.append(measure("serve", cpu, perl_rt, args.seconds, concurrency=1, clients=1))
            two.append(measure("serve", cpu, perl_rt, args.seconds, concurrency=2, clients=2))
        a, b = fastest(one), fastest(two)
        print(f"scaling, CPU handler ({statistics.median(a[1]) * 1000:.1f} ms/call): --concurrency 1 {a[0]:6.0f}/s  "
              f"--concurrency 2 (2 callers) {b[0]:6.0f}/s  ratio {b[0] / a[0]:.2f}x  (target >= 1.7x)")

        direct = direct_round_trips(hello, args.seconds)
        d50, d99 = pct(direct, 50) * 1e6, pct(direct, 99) * 1e6
        s50, s99 = pct(o[1], 50) * 1e6, pct(o[1], 99) * 1e6
        r50, r99 = pct(r[1], 50) * 1e6, pct(r[1], 99) * 1e6
        print(f"latency (us)            p50      p99")
        print(f"  direct Runtime API  {d50:7.0f}  {d99:7.0f}")
        print(f"  serve               {s50:7.0f}  {s99:7.0f}   adds {s50 - d50:5.0f} / {s99 - d99:5.0f}")
        print(f"  RIE                 {r50:7.0f}  {r99:7.0f}   adds {r50 - d50:5.0f} / {r99 - d99:5.0f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
