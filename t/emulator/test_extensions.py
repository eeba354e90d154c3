"""The Extensions API, layers and the shutdown phase of `perl-lambda serve`, with a real extension (layers/recorder,
written from AWS's documented protocol) beside our bootstrap and beside awslambdaric, and the same extension under
the real AWS RIE for comparison."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import HERE, PERL_FUNCTIONS, PY_FUNCTIONS, ROOT, alive, descendants, free_port

RECORDER = os.path.join(HERE, "layers", "recorder")
TOOLS = os.path.join(HERE, "layers", "tools")
RIE = os.path.join(ROOT, ".cache", "bin", "aws-lambda-rie")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def records(path, timeout=0):
    """The recorder's JSON lines (waiting up to timeout s for at least one SHUTDOWN when timeout > 0)."""
    deadline = time.time() + timeout
    while True:
        try:
            with open(path) as f:
                out = [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            out = []
        if time.time() >= deadline or any(e["kind"] == "event" and e["body"]["eventType"] == "SHUTDOWN" for e in out):
            return out
        time.sleep(0.05)


def first_invocation(port, seconds):
    """The answer to `{}` on the Invoke API at port, retried until the server that is starting there answers."""
    url = f"http://127.0.0.1:{port}/2015-03-31/functions/function/invocations"
    deadline = time.time() + seconds
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=b"{}", method="POST"), timeout=10) as r:
                return json.loads(r.read())
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)


def events(recs, kind):
    return [e for e in recs if e["kind"] == "event" and e["body"]["eventType"] == kind]


def check_shapes(recs, request_ids, documented=True):
    """What AWS documents for register, INVOKE and SHUTDOWN. documented=False relaxes what the RIE leaves out or
    words differently (noted at each place)."""
    reg = [e for e in recs if e["kind"] == "register"]
    assert len(reg) == 1 and reg[0]["status"] == 200, recs
    assert UUID.match(reg[0]["headers"]["Lambda-Extension-Identifier"])
    body = reg[0]["body"]
    assert body["functionVersion"] == "$LATEST" and body["functionName"] and body["handler"] == "handler.handle"
    if documented:
        # the extension sends Lambda-Extension-Accept-Feature: accountId; the RIE has no account and omits it
        assert re.fullmatch(r"\d{12}", body["accountId"])
    invokes = events(recs, "INVOKE")
    assert [e["body"]["requestId"] for e in invokes] == request_ids
    for e in invokes:
        b = e["body"]
        assert isinstance(b["deadlineMs"], int) and b["deadlineMs"] > e["t"] * 1000
        assert b["invokedFunctionArn"].startswith("arn:aws:lambda:us-east-1:012345678912:function:")
        assert UUID.match(e["headers"]["Lambda-Extension-Event-Identifier"])
        if documented:
            # Lambda always sends tracing (it makes a trace id when the caller has none); the RIE omits it then
            assert b["tracing"]["type"] == "X-Amzn-Trace-Id" and b["tracing"]["value"].startswith("Root=1-")
    shutdowns = events(recs, "SHUTDOWN")
    assert len(shutdowns) == 1, recs
    s = shutdowns[0]
    assert set(s["body"]) == {"eventType", "shutdownReason", "deadlineMs"}
    assert s["body"]["deadlineMs"] > s["t"] * 1000, "SHUTDOWN's deadline is in the future"
    if documented:
        # AWS documents spindown, timeout, failure; the RIE sends "SandboxTerminated" when it is stopped
        assert s["body"]["shutdownReason"] == "spindown"
    return s


def stop_and_time(server):
    """SIGTERM serve; (seconds it took to exit, processes it left behind)."""
    children = descendants(server.proc.pid)
    t = time.time()
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(timeout=10)
    took = time.time() - t
    deadline = time.time() + 1
    while time.time() < deadline and any(alive(p) for p in children):
        time.sleep(0.05)
    return took, [p for p in children if alive(p)]


def test_extension_beside_our_bootstrap(serve, tmp_path):
    log, marker = tmp_path / "rec.jsonl", tmp_path / "term"
    s = serve("--task-root", PERL_FUNCTIONS, "--layer", RECORDER, "-e", f"RECORDER_LOG={log}",
              "-e", f"EMU_TEST_TERM_MARKER={marker}", "handler.handle")
    ids = []
    for _ in range(2):
        status, headers, doc = s.invoke({})
        assert status == 200, doc
        ids.append(headers["x-amzn-requestid"])
    pid = doc["pid"]
    time.sleep(0.2)
    took, left = stop_and_time(s)
    assert took < 5, f"serve took {took:.2f} s to stop"
    assert not left, f"processes left behind: {left}"
    shutdown = check_shapes(records(str(log)), ids)
    # the runtime's $SIG{TERM} hook ran (Lambda SIGTERMs the runtime when extensions are registered)
    assert marker.read_text() == f"term {pid}\n"
    assert shutdown["body"]["deadlineMs"] - shutdown["t"] * 1000 <= 2000


def test_extension_beside_awslambdaric(serve, tmp_path):
    log = tmp_path / "rec.jsonl"
    s = serve("--task-root", PY_FUNCTIONS, "--layer", RECORDER, "-e", f"RECORDER_LOG={log}",
              "--", sys.executable, "-m", "awslambdaric", "app.handler")
    status, headers, doc = s.invoke({"hello": "python"}, headers={"X-Amzn-Trace-Id": "Root=1-5f35ae12-0c0fec141ab77a00bc047aa2;Parent=2be948a625588e32;Sampled=1"})
    assert status == 200 and doc["runtime"] == "python", doc
    took, left = stop_and_time(s)
    assert took < 5 and not left, (took, left)
    recs = records(str(log))
    check_shapes(recs, [headers["x-amzn-requestid"]])
    assert events(recs, "INVOKE")[0]["body"]["tracing"]["value"].startswith("Root=1-5f35ae12-0c0fec141ab77a00bc047aa2")


@pytest.mark.skipif(not os.path.exists(RIE) or shutil.which("unshare") is None or os.geteuid() != 0,
                    reason="needs .cache/bin/aws-lambda-rie (scripts/fetch-rie.sh), unshare and root")
def test_same_extension_under_the_real_rie(tmp_path):
    """The RIE starts only /opt/extensions/*: a private mount namespace puts the layer's extensions there."""
    log = tmp_path / "rec.jsonl"
    port, api = free_port(), free_port()
    script = tmp_path / "ns.sh"
    script.write_text("""set -e
mount --make-rprivate /
orig=$(mktemp -d)
mount --bind /opt "$orig"
mount -t tmpfs tmpfs /opt
for d in "$orig"/*; do [ -d "$d" ] || continue; mkdir "/opt/${d##*/}"; mount --bind "$d" "/opt/${d##*/}"; done
mkdir /opt/extensions
mount --bind "$LAYER/extensions" /opt/extensions
exec "$@"
""")
    bootstrap = os.path.join(os.path.dirname(os.environ.get("PERL_LAMBDA_BIN") or os.path.join(ROOT, ".build-emu", "debug", "x")), "bootstrap")
    env = dict(os.environ, LAYER=RECORDER, RECORDER_LOG=str(log), LAMBDA_TASK_ROOT=PERL_FUNCTIONS, _HANDLER="handler.handle")
    out = open(tmp_path / "rie.out", "wb")
    proc = subprocess.Popen(["unshare", "-m", "sh", str(script), RIE, "--runtime-interface-emulator-address",
                             f"127.0.0.1:{port}", "--runtime-api-address", f"127.0.0.1:{api}", bootstrap],
                            env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        doc = first_invocation(port, seconds=10)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        out.close()
    recs = records(str(log), timeout=3)
    check_shapes(recs, [doc["request_id"]], documented=False)
    # where the RIE differs from AWS's documentation (serve follows the documentation):
    reg = [e for e in recs if e["kind"] == "register"][0]
    assert "accountId" not in reg["body"]
    assert "tracing" not in events(recs, "INVOKE")[0]["body"]
    assert events(recs, "SHUTDOWN")[0]["body"]["shutdownReason"] not in ("spindown", "timeout", "failure")


def test_invocation_ends_when_the_extension_is_done(serve, tmp_path):
    """The caller is answered when the runtime responds; the REPORT and the next invocation wait for the extension."""
    log = tmp_path / "rec.jsonl"
    s = serve("--task-root", PERL_FUNCTIONS, "--layer", RECORDER, "-e", f"RECORDER_LOG={log}",
              "-e", "RECORDER_WORK_MS=800", "handler.handle")
    s.invoke({})   # cold start
    time.sleep(1)  # the extension is done with it
    t0 = time.time()
    status, headers, _ = s.invoke({})
    first_answer = time.time()
    status2, headers2, _ = s.invoke({})
    second_answer = time.time()
    assert status == status2 == 200
    assert first_answer - t0 < 0.6, "the caller does not wait for the extension"
    worked = [e for e in records(str(log)) if e["kind"] == "worked" and e["requestId"] == headers["x-amzn-requestid"]]
    assert worked, "the extension finished its work"
    assert second_answer > worked[0]["t"], "the next invocation waited for the extension"
    out = s.output()
    report = out.index(f"REPORT RequestId: {headers['x-amzn-requestid']}")
    assert out.index(f"START RequestId: {headers2['x-amzn-requestid']}") > report
    assert float(re.search(rf"REPORT RequestId: {headers['x-amzn-requestid']}\tDuration: ([\d.]+) ms", out).group(1)) >= 700


def test_invoke_timeout_counts_extension_time(serve, tmp_path):
    log = tmp_path / "rec.jsonl"
    # the extension works 1.6 s on the invocation: past the 1 s timeout, but within the shutdown phase's 2 s,
    # so it is back at /event/next in time to get its SHUTDOWN
    s = serve("--task-root", PERL_FUNCTIONS, "--layer", RECORDER, "-e", f"RECORDER_LOG={log}", "--timeout", "1",
              "-e", "RECORDER_WORK_MS=1600", "handler.handle")
    status, headers, doc = s.invoke({})
    assert status == 200 and "pid" in doc, "answered when the runtime responded"
    rid = headers["x-amzn-requestid"]
    assert s.wait_for_log(rf"Task timed out after 1\.00 seconds", timeout=5)
    shutdown = events(records(str(log), timeout=5), "SHUTDOWN")
    assert shutdown and shutdown[0]["body"]["shutdownReason"] == "timeout"
    assert re.search(rf"REPORT RequestId: {rid}.*Status: timeout", s.output())


def test_init_waits_for_the_extension_and_counts_its_time(serve, tmp_path):
    log = tmp_path / "rec.jsonl"
    s = serve("--task-root", PERL_FUNCTIONS, "--layer", RECORDER, "-e", f"RECORDER_LOG={log}",
              "-e", "RECORDER_INIT_MS=700", "-e", "EMU_TEST_INIT_LOG=1", "handler.handle")
    status, headers, _ = s.invoke({})
    assert status == 200
    deadline = time.time() + 5   # the extension records its INVOKE while the caller already has its answer
    while not events(recs := records(str(log)), "INVOKE") and time.time() < deadline:
        time.sleep(0.05)
    initialized = [e for e in recs if e["kind"] == "initialized"][0]["t"]
    assert initialized < events(recs, "INVOKE")[0]["t"]
    assert s.wait_for_log(rf"REPORT RequestId: {headers['x-amzn-requestid']}")
    out = s.output()
    # the runtime started once the extension had registered, and its first event waited for the extension's init
    assert out.index("init: handler.pl loaded") < out.index("START RequestId")
    init_ms = float(re.search(r"Init Duration: ([\d.]+) ms", out).group(1))
    assert init_ms >= 700


def test_extension_crash_resets_the_environment(serve, tmp_path):
    log = tmp_path / "rec.jsonl"
    s = serve("--task-root", PERL_FUNCTIONS, "--layer", RECORDER, "-e", f"RECORDER_LOG={log}",
              "-e", "RECORDER_ON_INVOKE=crash", "-e", f"RECORDER_ONCE={tmp_path / 'once'}", "handler.handle")
    status, headers, doc = s.invoke({"action": "sleep", "seconds": 2})
    assert status == 200 and headers["x-amz-function-error"] == "Unhandled"
    assert doc["errorType"] == "Extension.Crash", doc
    assert "extension recorder exited: exit status 3" in doc["errorMessage"]
    status, _, doc2 = s.invoke({})
    assert status == 200 and "pid" in doc2, "a fresh environment serves the next invocation"
    assert len([e for e in records(str(log)) if e["kind"] == "register"]) == 2


def test_extension_exit_error_resets_the_environment(serve, tmp_path):
    log = tmp_path / "rec.jsonl"
    s = serve("--task-root", PERL_FUNCTIONS, "--layer", RECORDER, "-e", f"RECORDER_LOG={log}",
              "-e", "RECORDER_ON_INVOKE=exit-error", "-e", f"RECORDER_ONCE={tmp_path / 'once'}", "handler.handle")
    status, headers, doc = s.invoke({"action": "sleep", "seconds": 2})
    assert headers["x-amz-function-error"] == "Unhandled" and doc["errorType"] == "Extension.ExitError", doc
    assert "Extension.Broken" in doc["errorMessage"]
    # the extension hears its 202 when the caller hears the error: give it a moment to write down what it got
    deadline = time.time() + 5
    while not (posted := [e for e in records(str(log)) if e["kind"] == "exit-error"]) and time.time() < deadline:
        time.sleep(0.05)
    assert posted and posted[0]["status"] == 202
    status, _, doc2 = s.invoke({})
    assert status == 200 and "pid" in doc2


def test_extension_init_error_fails_init(serve, tmp_path):
    log = tmp_path / "rec.jsonl"
    s = serve("--task-root", PERL_FUNCTIONS, "--layer", RECORDER, "-e", f"RECORDER_LOG={log}",
              "-e", "RECORDER_ON_INIT=init-error", "handler.handle")
    status, headers, doc = s.invoke({})
    assert headers["x-amz-function-error"] == "Unhandled" and doc["errorType"] == "Extension.InitError", doc
    assert "Extension.ConfigInvalid" in doc["errorMessage"]
    assert s.wait_for_log(r"INIT_REPORT Init Duration: [\d.]+ ms\tPhase: init\tStatus: error\tError Type: Extension\.InitError")


def test_layer_gives_path_libraries_and_modules(serve):
    s = serve("--task-root", PERL_FUNCTIONS, "--layer", TOOLS, "handler.handle")
    status, _, doc = s.invoke({"action": "layer"})
    assert status == 200, doc
    assert doc["probe"] == "from the layer"
    assert doc["tool"] == "layer tool ran\n"
    assert doc["PATH"].split(":")[-1] == f"{TOOLS}/bin", "after the function's PATH, as /opt/bin on Lambda"
    assert doc["LD_LIBRARY_PATH"].split(":")[-1] == f"{TOOLS}/lib"
    assert f"{TOOLS}/perl5/lib/perl5" in doc["PERL5LIB"].split(":")


def test_layer_must_be_a_directory(tmp_path):
    from conftest import BIN
    r = subprocess.run([BIN, "serve", "--layer", str(tmp_path / "missing"), "--task-root", PERL_FUNCTIONS],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode != 0 and "is not a directory" in r.stderr


def test_template_layers_are_local_layer_versions(serve, tmp_path):
    log = tmp_path / "rec.jsonl"
    (tmp_path / "template.yaml").write_text(f"""Transform: AWS::Serverless-2016-10-31
Resources:
  Tools:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: {TOOLS}
  Recorder:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: {RECORDER}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: handler.handle
      CodeUri: {PERL_FUNCTIONS}
      Layers: [!Ref Tools, !Ref Recorder]
      Environment:
        Variables:
          RECORDER_LOG: {log}
""")
    s = serve("--template", str(tmp_path / "template.yaml"))
    status, headers, doc = s.invoke({"action": "layer"}, function="Fn")
    assert status == 200 and doc["probe"] == "from the layer", doc
    took, left = stop_and_time(s)
    assert not left
    recs = records(str(log))
    assert [e["body"]["requestId"] for e in events(recs, "INVOKE")] == [headers["x-amzn-requestid"]]
    assert [e["body"]["functionName"] for e in recs if e["kind"] == "register"] == ["Fn"]


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0, reason="needs unshare and root")
def test_image_entrypoint_starts_opt_extensions(tmp_path):
    """images/lambda-entrypoint.sh outside Lambda runs serve with /opt as a layer when /opt/extensions exists, as
    Lambda starts /opt/extensions/*. Run on this machine in a private mount namespace that gives it the image's
    /usr/local/bin (perl-lambda, bootstrap) and an /opt holding the recorder."""
    from conftest import BIN
    log = tmp_path / "rec.jsonl"
    port = free_port()
    script = tmp_path / "ns.sh"
    script.write_text("""set -e
mount --make-rprivate /
orig=$(mktemp -d)
mount --bind /opt "$orig"
mount -t tmpfs tmpfs /opt
for d in "$orig"/*; do [ -d "$d" ] || continue; mkdir "/opt/${d##*/}"; mount --bind "$d" "/opt/${d##*/}"; done
mkdir /opt/extensions
mount --bind "$LAYER/extensions" /opt/extensions
bin=$(mktemp -d)
mount --bind /usr/local/bin "$bin"
mount -t tmpfs tmpfs /usr/local/bin
for f in "$bin"/*; do [ -e "$f" ] && ln -s "$f" /usr/local/bin/; done
ln -sf "$CLI" /usr/local/bin/perl-lambda
ln -sf "$(dirname "$CLI")/bootstrap" /usr/local/bin/bootstrap
exec sh "$ENTRYPOINT" handler.handle
""")
    env = dict(os.environ, LAYER=RECORDER, CLI=BIN, ENTRYPOINT=os.path.join(ROOT, "images", "lambda-entrypoint.sh"),
               RECORDER_LOG=str(log), LAMBDA_TASK_ROOT=PERL_FUNCTIONS, PERL_LAMBDA_PORT=str(port))
    env.pop("AWS_LAMBDA_RUNTIME_API", None)
    out = open(tmp_path / "serve.out", "wb")
    proc = subprocess.Popen(["unshare", "-m", "sh", str(script)], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        doc = first_invocation(port, seconds=15)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        out.close()
    recs = records(str(log), timeout=3)
    check_shapes(recs, [doc["request_id"]])


def test_watch_restart_runs_the_shutdown_phase(serve, tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    shutil.copy(os.path.join(PERL_FUNCTIONS, "handler.pl"), code / "handler.pl")
    log = tmp_path / "rec.jsonl"
    s = serve("--task-root", str(code), "--watch", "--layer", RECORDER, "-e", f"RECORDER_LOG={log}", "handler.handle")
    assert s.wait_for_log(r"watching .* for changes")
    status, headers, _ = s.invoke({})
    assert status == 200
    with open(code / "handler.pl", "a") as f:
        f.write("# edited\n")
    assert s.wait_for_log(r"handler\.pl changed under", timeout=5)
    shutdown = events(records(str(log), timeout=5), "SHUTDOWN")
    assert shutdown and shutdown[0]["body"]["shutdownReason"] == "spindown"
    status, headers2, _ = s.invoke({})
    assert status == 200
    recs = records(str(log))
    assert len([e for e in recs if e["kind"] == "register"]) == 2, "a fresh environment with a fresh extension"


def test_extensions_die_with_a_sigkilled_serve(serve, tmp_path):
    s = serve("--task-root", PERL_FUNCTIONS, "--layer", RECORDER, "-e", f"RECORDER_LOG={tmp_path / 'rec.jsonl'}",
              "handler.handle")
    assert s.invoke({})[0] == 200
    children = descendants(s.proc.pid)
    extension = [p for p in children if "recorder" in open(f"/proc/{p}/cmdline").read()]
    assert extension, "the extension runs under serve"
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    deadline = time.time() + 3
    while time.time() < deadline and any(alive(p) for p in children):
        time.sleep(0.05)
    left = [p for p in children if alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    assert not left, "processes outlived a SIGKILLed serve"


def test_more_than_ten_extensions_fail_init(serve, tmp_path):
    ext = tmp_path / "many" / "extensions"
    ext.mkdir(parents=True)
    for i in range(11):
        (ext / f"e{i:02}").write_text("#!/bin/sh\nsleep 30\n")
        (ext / f"e{i:02}").chmod(0o755)
    s = serve("--task-root", PERL_FUNCTIONS, "--layer", str(tmp_path / "many"), "handler.handle")
    status, headers, doc = s.invoke({})
    assert headers["x-amz-function-error"] == "Unhandled" and doc["errorType"] == "Extension.LaunchError", doc
    assert "11 extensions in the layers; Lambda allows 10" in doc["errorMessage"]


def test_extension_crash_during_init_fails_init(serve, tmp_path):
    s = serve("--task-root", PERL_FUNCTIONS, "--layer", RECORDER, "-e", f"RECORDER_LOG={tmp_path / 'rec.jsonl'}",
              "-e", "RECORDER_ON_INIT=crash", "handler.handle")
    status, headers, doc = s.invoke({})
    assert headers["x-amz-function-error"] == "Unhandled" and doc["errorType"] == "Extension.Crash", doc
    assert "extension recorder exited: exit status 4" in doc["errorMessage"]
    assert s.wait_for_log(r"INIT_REPORT .*Error Type: Extension\.Crash")


def test_init_error_after_init_is_refused(serve, tmp_path):
    log = tmp_path / "rec.jsonl"
    s = serve("--task-root", PERL_FUNCTIONS, "--layer", RECORDER, "-e", f"RECORDER_LOG={log}",
              "-e", "RECORDER_ON_INVOKE=init-error", "handler.handle")
    status, _, first = s.invoke({})
    assert status == 200 and "pid" in first
    status, _, second = s.invoke({})   # after the extension is back at /event/next: it has its answer
    late = [e for e in records(str(log)) if e["kind"] == "late-init-error"]
    assert late and late[0]["status"] == 403 and late[0]["body"]["errorType"] == "Extension.InvalidExtensionState", late
    assert status == 200 and second["pid"] == first["pid"], "the environment was not reset"
