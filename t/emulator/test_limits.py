"""Front-door limits: oversized request heads get 431 with a JSON error (nothing is invoked), a function response
with a header that would split the HTTP response gets 502 and a logged reason, and JSON nested past the service's
limit is refused saying so and where."""
import http.client
import json

from conftest import PERL_FUNCTIONS


def raw(s, method, path, headers, body=b""):
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    conn.putrequest(method, path, skip_accept_encoding=True)
    for k, v in headers:
        conn.putheader(k, v)
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    r = conn.getresponse()
    out = (r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    conn.close()
    return out


INVOKE = "/2015-03-31/functions/function/invocations"


def test_too_many_request_headers_get_431(serve):
    s = serve("--task-root", PERL_FUNCTIONS)
    status, headers, body = raw(s, "POST", INVOKE, [(f"X-H{i}", "v") for i in range(150)], b"{}")
    assert status == 431
    assert headers["content-type"] == "application/json"
    doc = json.loads(body)
    assert "152 request header fields (the limit is 100)" in doc["message"]  # with Host and Content-Length
    assert "START RequestId" not in s.output(), "the function was invoked"
    status, _, _ = raw(s, "POST", INVOKE, [(f"X-H{i}", "v") for i in range(60)], b"{}")
    assert status == 200, "60 headers are fine"


def test_oversized_request_head_gets_431(serve):
    s = serve("--task-root", PERL_FUNCTIONS)
    status, _, body = raw(s, "POST", INVOKE, [("X-Big", "x" * 11_000)], b"{}")
    assert status == 431
    assert "bytes of request line and header values (the limit is 10240)" in json.loads(body)["message"]
    assert raw(s, "POST", INVOKE, [("X-Big", "x" * 9_000)], b"{}")[0] == 200


def test_function_url_head_limits_and_split_headers(serve):
    s = serve("--task-root", PERL_FUNCTIONS, "--function-url")
    status, _, body = raw(s, "GET", "/anything", [(f"X-H{i}", "v") for i in range(200)])
    assert status == 431 and json.loads(body)["message"].startswith("Request Header Fields Too Large")
    status, headers, body = raw(s, "GET", "/x?action=bad_header", [])
    assert status == 502
    assert json.loads(body) == {"message": "Internal Server Error"}
    assert "x-injected" not in headers and "x-fine" not in headers
    assert s.wait_for_log(r"refused \(502\): header X-Bad has a value with CR, LF or NUL")
    assert raw(s, "GET", "/x?action=echo", [])[0] == 200, "the connection and server keep serving"


def test_json_nesting_limit(serve):
    s = serve("--task-root", PERL_FUNCTIONS)
    ok = ("[" * 600 + "]" * 600).encode()
    status, _, _ = s.post(ok)
    assert status == 200, "600 levels are within Lambda's limit of 1,000"
    deep = ('{"k":' * 1200 + "0" + "}" * 1200).encode()
    status, headers, body = s.post(deep)
    assert status == 400 and headers["x-amzn-errortype"] == "InvalidRequestContentException"
    message = json.loads(body)["message"]
    assert "Document nesting depth (1001) exceeds the maximum allowed (1000) at line 1, column 5001" in message, message
