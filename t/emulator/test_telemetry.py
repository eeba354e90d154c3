"""The Telemetry API and the Logs API under `serve`, checked event by event with a real extension
(t/emulator/telemetry/extension.py, stdlib only, written from AWS's documented protocol). The extension is started by
the runtime's wrapper script (t/emulator/telemetry/wrapper.sh) with the runtime's environment, as an internal
extension is on Lambda; it registers, subscribes during init, and records every batch its listener receives."""
import collections
import json
import os
import re
import time

import pytest

from conftest import BIN, HERE

TEL = os.path.join(HERE, "telemetry")
BOOTSTRAP = os.path.join(os.path.dirname(BIN), "bootstrap")
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def start(serve, tmp_path, *extra, **tel):
    out = tmp_path / "telemetry.jsonl"
    env = {"TEL_OUT": str(out), "TEL_BOOTSTRAP": BOOTSTRAP}
    env.update({f"TEL_{k.upper()}": v for k, v in tel.items()})
    args = ["--task-root", TEL]
    for k, v in env.items():
        args += ["-e", f"{k}={v}"]
    return serve(*args, *extra, "handler.handle", "--", "/bin/sh", os.path.join(TEL, "wrapper.sh")), out


def records(out):
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


def events(out):
    return [e for r in records(out) if r["kind"] == "batch" for e in r["events"]]


def wait_for(out, predicate, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        evs = events(out)
        if predicate(evs):
            return evs
        time.sleep(0.05)
    got = collections.Counter(e["type"] for e in events(out))
    raise AssertionError(f"telemetry did not arrive in time; got {dict(got)}")


def reports_for(ids):
    return lambda evs: {e["record"].get("requestId") for e in evs if e["type"] == "platform.report"} >= set(ids)


def test_telemetry_events_one_by_one(serve, tmp_path):
    s, out = start(serve, tmp_path, buffering='{"maxItems":1000,"maxBytes":262144,"timeoutMs":25}')
    ids = []
    for n in (2, 3):
        status, headers, doc = s.invoke({"lines": n})
        assert status == 200, doc
        ids.append(headers["x-amzn-requestid"])
    evs = wait_for(out, reports_for(ids))

    # what serve answered the extension's requests
    recs = records(out)
    probes = {r["name"]: r for r in recs if r["kind"] == "probe"}
    assert probes["no_identifier"]["status"] == 403
    assert json.loads(probes["no_identifier"]["body"])["errorType"] == "Extension.MissingExtensionIdentifier"
    assert probes["unknown_identifier"]["status"] == 403
    assert json.loads(probes["unknown_identifier"]["body"])["errorType"] == "Extension.InvalidExtensionIdentifier"
    bad = json.loads(probes["bad_buffering"]["body"])
    assert probes["bad_buffering"]["status"] == 400 and bad["errorType"] == "ValidationError"
    assert "buffering.maxItems" in bad["errorMessage"] and "buffering.timeoutMs" in bad["errorMessage"]
    sub = next(r for r in recs if r["kind"] == "subscribe")
    assert sub["status"] == 200 and json.loads(sub["body"]) == "OK"

    batches = [r for r in recs if r["kind"] == "batch"]
    assert all(b["method"] == "POST" and b["path"] == "/telemetry" and b["content_type"] == "application/json"
               for b in batches)
    for e in evs:
        assert set(e) == {"time", "type", "record"} and ISO_MS.match(e["time"]), e

    # the order of everything, per the lifecycle; function lines where the handler printed them
    def label(e):
        r = e["record"]
        if e["type"] == "function":
            return "function:" + r
        return e["type"] + (":" + r["requestId"] if isinstance(r, dict) and "requestId" in r else "")

    got = [label(e) for e in evs if e["type"] != "extension"]
    # the internal extension's line for each INVOKE is a function record too; where it falls among the handler's
    # lines is a race between two processes, so it is checked apart
    for rid in ids:
        mark = f"function:telemetry-recorder: invoke {rid}"
        assert got.index(f"platform.start:{rid}") < got.index(mark)
    got = [g for g in got if "telemetry-recorder: invoke" not in g]
    # the extension shares the runtime's stdout (started by its wrapper script, as an internal extension is), so
    # its own line is a function record too
    expected = ["platform.initStart", "platform.extension", "function:telemetry-recorder: subscribed",
                "function:init: telemetry handler loaded", "platform.telemetrySubscription",
                "platform.initRuntimeDone", "platform.initReport"]
    for rid, n in zip(ids, (2, 3)):
        expected += [f"platform.start:{rid}"] + [f"function:line {i} of {rid}" for i in range(1, n + 1)]
        expected += [f"function:to stderr {rid}", f"platform.runtimeDone:{rid}", f"platform.report:{rid}"]
    # the extension's own registration, the runtime's first lines and the subscription race during init: compare
    # init as a set and everything after it in order
    init_end = got.index("platform.initReport") + 1
    assert sorted(got[:init_end]) == sorted(expected[:7]), got[:init_end]
    assert got[0] == "platform.initStart" and got[init_end - 2:init_end] == expected[5:7]
    assert got.index("platform.extension") < got.index("platform.telemetrySubscription")
    assert got[init_end:] == expected[7:], got

    by_type = {}
    for e in evs:
        by_type.setdefault(e["type"], []).append(e["record"])
    init_start = by_type["platform.initStart"][0]
    assert init_start["initializationType"] == "on-demand" and init_start["phase"] == "init"
    assert init_start["functionName"] == "function" and init_start["functionVersion"] == "$LATEST"
    assert by_type["platform.extension"][0] == {"name": "telemetry-recorder", "state": "Ready", "events": ["INVOKE"]}
    assert by_type["platform.telemetrySubscription"][0] == {"name": "telemetry-recorder", "state": "Subscribed",
                                                           "types": ["platform", "function", "extension"]}
    assert by_type["platform.initRuntimeDone"][0]["status"] == "success"
    assert by_type["platform.initReport"][0]["metrics"]["durationMs"] > 0

    for i, rid in enumerate(ids):
        start_rec = next(r for r in by_type["platform.start"] if r["requestId"] == rid)
        assert start_rec["version"] == "$LATEST" and start_rec["tracing"]["type"] == "X-Amzn-Trace-Id"
        assert start_rec["tracing"]["value"].startswith("Root=1-")
        done = next(r for r in by_type["platform.runtimeDone"] if r["requestId"] == rid)
        assert done["status"] == "success" and "errorType" not in done
        body = json.dumps({"ok": 1, "request_id": rid}, separators=(",", ":"))
        assert done["metrics"]["producedBytes"] == len(body)
        assert done["metrics"]["durationMs"] > 0
        assert [sp["name"] for sp in done["spans"]] == ["responseLatency", "responseDuration"]
        assert all(ISO_MS.match(sp["start"]) and sp["durationMs"] >= 0 for sp in done["spans"])
        assert done["tracing"] == start_rec["tracing"]
        report = next(r for r in by_type["platform.report"] if r["requestId"] == rid)
        m = report["metrics"]
        assert report["status"] == "success"
        assert {"durationMs", "billedDurationMs", "memorySizeMB", "maxMemoryUsedMB"} <= set(m)
        assert m["memorySizeMB"] == 128 and m["maxMemoryUsedMB"] > 0
        assert m["billedDurationMs"] == max(1, -int(-m["durationMs"] // 1))
        assert ("initDurationMs" in m) == (i == 0), m   # a cold start only
    # the REPORT line serve writes carries the same request ids
    assert all(s.wait_for_log(rf"REPORT RequestId: {rid}") for rid in ids)


def test_json_log_format_records_are_objects(serve, tmp_path):
    s, out = start(serve, tmp_path, "-e", "AWS_LAMBDA_LOG_FORMAT=JSON",
                   buffering='{"timeoutMs":25}', types="function")
    status, headers, _ = s.invoke({"lines": 2})
    rid = headers["x-amzn-requestid"]
    evs = wait_for(out, lambda evs: sum(1 for e in evs if isinstance(e["record"], dict)
                                        and e["record"].get("requestId") == rid) >= 3)
    assert {e["type"] for e in evs} == {"function"}
    mine = [e["record"] for e in evs if isinstance(e["record"], dict) and e["record"].get("requestId") == rid]
    assert [r["message"] for r in mine] == [f"line 1 of {rid}", f"line 2 of {rid}", f"to stderr {rid}"]
    assert all(ISO_MS.match(r["timestamp"]) and r["level"] for r in mine)


def test_batches_honour_max_items_and_keep_order(serve, tmp_path):
    s, out = start(serve, tmp_path, buffering='{"maxItems":1000,"timeoutMs":30000}', types="function")
    status, headers, _ = s.invoke({"lines": 2500})
    rid = headers["x-amzn-requestid"]
    # 2,500 lines and a few more: two full batches go at once; the rest would wait for timeoutMs (30 s), so the
    # test reads what arrived well before that
    evs = wait_for(out, lambda evs: len(evs) >= 2000, timeout=10)
    batches = [r["events"] for r in records(out) if r["kind"] == "batch"]
    assert all(len(b) <= 1000 for b in batches)
    assert len(batches) == 2 and all(len(b) == 1000 for b in batches)
    lines = [e["record"] for e in evs if e["record"].startswith("line ")]
    assert lines == [f"line {i} of {rid}" for i in range(1, len(lines) + 1)]


def test_a_slow_listener_loses_what_exceeds_the_bound_and_is_told(serve, tmp_path):
    total = 14000
    s, out = start(serve, tmp_path, buffering='{"maxItems":1000,"timeoutMs":25}', types="platform,function",
                   slow_ms="400")
    status, headers, _ = s.invoke({"lines": total}, timeout=60)
    assert status == 200
    first = headers["x-amzn-requestid"]
    # what was dropped may include that invocation's own platform events; once the listener has caught up, the
    # next invocation's arrive whole
    wait_for(out, lambda evs: any(e["type"] == "platform.logsDropped" for e in evs), timeout=30)
    status, headers, _ = s.invoke({"lines": 1}, timeout=60)
    rid = headers["x-amzn-requestid"]
    evs = wait_for(out, reports_for([rid]), timeout=60)
    assert f"line 1 of {rid}" in [e["record"] for e in evs if e["type"] == "function"]
    dropped = [e["record"] for e in evs if e["type"] == "platform.logsDropped"]
    assert dropped, "no platform.logsDropped"
    assert all(d["reason"] and d["droppedRecords"] > 0 and d["droppedBytes"] > 0 for d in dropped)
    lines = [int(e["record"].split()[1]) for e in evs
             if e["type"] == "function" and e["record"].startswith("line ") and e["record"].endswith(first)]
    assert lines == sorted(lines) and len(set(lines)) == len(lines)   # in order, none twice
    assert len(lines) + sum(d["droppedRecords"] for d in dropped) >= total
    assert len(lines) < total
    # each batch within the subscription's limits
    assert all(len(r["events"]) <= 1001 for r in records(out) if r["kind"] == "batch")   # + platform.logsDropped


def test_logs_api(serve, tmp_path):
    s, out = start(serve, tmp_path, api="logs", schema="2021-03-18", buffering='{"timeoutMs":25}',
                   types="platform,function")
    status, headers, _ = s.invoke({"lines": 1})
    rid = headers["x-amzn-requestid"]
    evs = wait_for(out, reports_for([rid]))
    types = [e["type"] for e in evs]
    assert "platform.initStart" not in types and "platform.telemetrySubscription" not in types
    assert "platform.logsSubscription" in types
    mine = [e["type"] for e in evs if isinstance(e["record"], dict) and e["record"].get("requestId") == rid]
    assert mine == ["platform.start", "platform.runtimeDone", "platform.end", "platform.report"]
    done = next(e["record"] for e in evs if e["type"] == "platform.runtimeDone")
    assert done == {"requestId": rid, "status": "success"}
    report = next(e["record"] for e in evs if e["type"] == "platform.report")
    assert set(report) == {"requestId", "metrics"} and "initDurationMs" in report["metrics"]
    assert f"line 1 of {rid}" in [e["record"] for e in evs if e["type"] == "function"]
    probes = {r["name"]: r for r in records(out) if r["kind"] == "probe"}
    assert json.loads(probes["bad_buffering"]["body"])["errorType"] == "Logs.ValidationError"


def test_an_external_extension_from_a_layer(serve, tmp_path):
    """The same extension started by serve from a layer's extensions/ (`--layer`): registered under its file name
    for INVOKE and SHUTDOWN, its own output as extension records, platform.report once it is back at /event/next."""
    out = tmp_path / "telemetry.jsonl"
    s = serve("--task-root", TEL, "--layer", os.path.join(HERE, "layers", "telemetry"), "-e", f"TEL_OUT={out}",
              "-e", "TEL_EVENTS=INVOKE,SHUTDOWN", "-e", 'TEL_BUFFERING={"timeoutMs":25}', "handler.handle")
    ids = []
    for _ in range(2):
        status, headers, _ = s.invoke({"lines": 1})
        assert status == 200
        ids.append(headers["x-amzn-requestid"])
    evs = wait_for(out, lambda evs: reports_for(ids)(evs)
                   and sum(1 for e in evs if e["type"] == "extension" and "invoke" in e["record"]) >= 2)
    ext = next(e["record"] for e in evs if e["type"] == "platform.extension")
    assert ext == {"name": "telemetry-recorder", "state": "Ready", "events": ["INVOKE", "SHUTDOWN"]}
    lines = [e["record"] for e in evs if e["type"] == "extension"]
    assert "telemetry-recorder: subscribed" in lines
    assert [line for line in lines if "invoke" in line] == [f"telemetry-recorder: invoke {rid}" for rid in ids]
    # the handler's lines are function records, not extension ones
    assert all(f"line 1 of {rid}" in [e["record"] for e in evs if e["type"] == "function"] for rid in ids)
    types = [e["type"] for e in evs]
    for rid in ids:
        order = [e["type"] for e in evs if isinstance(e["record"], dict) and e["record"].get("requestId") == rid]
        assert order == ["platform.start", "platform.runtimeDone", "platform.report"], order
    assert types.index("platform.initStart") < types.index("platform.extension") < types.index("platform.initReport")
