#!/usr/bin/env python3
"""A Lambda extension written from AWS's documented protocol, standard library only: it registers with the
Extensions API, listens for telemetry on the loopback (the host `sandbox.localdomain` names inside an execution
environment), subscribes through the Telemetry API (or the Logs API), and writes everything that arrives as JSON
lines to $TEL_OUT. Settings from the environment:

  TEL_OUT        file to append records to (required); TEL_OUT.ready is created once subscribed
  TEL_API        telemetry (default) or logs
  TEL_SCHEMA     schemaVersion (default 2022-12-13, or 2021-03-18 for the Logs API)
  TEL_TYPES      comma-separated types (default platform,function,extension)
  TEL_BUFFERING  the buffering object as JSON (default none: Lambda's defaults)
  TEL_SLOW_MS    milliseconds the listener sleeps before answering each batch (a slow consumer)
  TEL_EVENTS     Extensions API events to register for (default INVOKE)

Started as extension.py (by a wrapper script) it registers as `telemetry-recorder`; started from a layer's
extensions/ directory it registers under its file name, as an external extension must.
"""
import http.server
import json
import os
import socketserver
import sys
import threading
import time
import urllib.error
import urllib.request

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
OUT = os.environ["TEL_OUT"]
NAME = "telemetry-recorder" if sys.argv[0].endswith(".py") else os.path.basename(sys.argv[0])
LOCK = threading.Lock()


def record(kind, **fields):
    with LOCK, open(OUT, "a") as f:
        f.write(json.dumps({"kind": kind, "at": time.time(), **fields}) + "\n")


def call(method, path, body=None, headers=None, timeout=30):
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    req = urllib.request.Request(f"http://{API}{path}", data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


class Listener(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        record("batch", method="POST", path=self.path, content_type=self.headers.get("Content-Type"),
               events=json.loads(body))
        slow = int(os.environ.get("TEL_SLOW_MS", "0"))
        if slow:
            time.sleep(slow / 1000)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):   # printing here would feed the extension stream back to itself
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    events = os.environ.get("TEL_EVENTS", "INVOKE").split(",")
    status, headers, body = call("POST", "/2020-01-01/extension/register", {"events": events},
                                 {"Lambda-Extension-Name": NAME})
    ident = {k.lower(): v for k, v in headers.items()}.get("lambda-extension-identifier")
    record("register", status=status, body=body, identifier=ident)
    if status != 200:
        sys.exit(1)

    server = Server(("127.0.0.1", 0), Listener)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()

    api = os.environ.get("TEL_API", "telemetry")
    path = "/2022-07-01/telemetry" if api == "telemetry" else "/2020-08-15/logs"
    request = {
        "schemaVersion": os.environ.get("TEL_SCHEMA", "2022-12-13" if api == "telemetry" else "2021-03-18"),
        "destination": {"protocol": "HTTP", "URI": f"http://sandbox.localdomain:{port}/telemetry"},
        "types": os.environ.get("TEL_TYPES", "platform,function,extension").split(","),
    }
    if os.environ.get("TEL_BUFFERING"):
        request["buffering"] = json.loads(os.environ["TEL_BUFFERING"])

    # what Lambda answers to requests it refuses, recorded for the test
    probes = {
        "no_identifier": call("PUT", path, request),
        "unknown_identifier": call("PUT", path, request, {"Lambda-Extension-Identifier": "00000000-0000-4000-8000-000000000000"}),
        "bad_buffering": call("PUT", path, {**request, "buffering": {"maxItems": 5, "timeoutMs": 10}},
                              {"Lambda-Extension-Identifier": ident}),
    }
    for name, (status, _, body) in probes.items():
        record("probe", name=name, status=status, body=body)

    status, _, body = call("PUT", path, request, {"Lambda-Extension-Identifier": ident, "Content-Type": "application/json"})
    record("subscribe", status=status, body=body, request=request)
    print(f"{NAME}: subscribed", flush=True)
    open(OUT + ".ready", "w").close()

    while True:
        # /event/next blocks until there is an event: no client timeout
        status, _, body = call("GET", "/2020-01-01/extension/event/next", headers={"Lambda-Extension-Identifier": ident},
                               timeout=None)
        record("event", status=status, body=body)
        if status != 200:
            time.sleep(0.1)
            continue
        event = json.loads(body)
        if event.get("eventType") == "SHUTDOWN":
            time.sleep(0.2)   # the last batches, flushed at shutdown
            return
        print(f"{NAME}: invoke {event.get('requestId')}", flush=True)   # an extension log line


if __name__ == "__main__":
    main()
