"""`make run` meets hostile requests as a user sends them: the issue's 3,000-character ids,
oversized headers, and requests past API Gateway's 10,240 bytes of request line and header
values, each a clean answer in the API's error shape, and the server stays up."""
import json
import socket
import time
import urllib.parse

import pytest

from tests.api.test_hostile_headers import HOSTILE
from tests.tools.test_local_run import TOKEN, LocalRun
from tools.local_http import MAX_BODY, REQUEST_LINE_AND_HEADERS

pytestmark = [pytest.mark.dynamodb_local, pytest.mark.slow]
LONG = "a" * 3000


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    local = LocalRun(tmp_path_factory.mktemp("limits"), MIN_FILL_SECONDS="0", RATE_LIMIT_PER_MINUTE="0")
    yield local
    local.stop()


def exchange(port, data: bytes, timeout=10):
    """Send ``data`` on a fresh connection; ``(status, headers, body, closed)`` of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(data)
        received = b""
        closed = False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = connection.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                closed = True
                break
            received += chunk
            head, _, body = received.partition(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), None)
            if length is not None and len(body) >= length and b"connection: close" not in head.lower():
                break
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split(" ")[1]), headers, body, closed


def request_bytes(method, path, headers=(), body=b""):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{name}: {value}" for name, value in headers)]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def assert_refused(answer, status, code):
    got, headers, body, closed = answer
    assert got == status, (got, body[:300])
    assert headers["Content-Type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert error["code"] == code and len(error["message"]) < 400, error
    assert closed, "the connection stays open after a refusal"


def alive(run):
    assert run.process.poll() is None, run.output()[-3000:]
    assert run.request("GET", "/campaigns/ua-47-22")[0] == 200


def test_the_issues_long_ids_are_answered_like_unknown_ones(run):
    staff = {"Authorization": f"Bearer {TOKEN}"}
    for campaign_id in (LONG, urllib.parse.quote("ü" * 400), "ü" * 400):
        path = urllib.parse.quote(campaign_id, safe="%")
        for method, route, headers, expected in (
                ("GET", f"/campaigns/{path}", {}, 404), ("GET", f"/campaigns/{path}/totals", {}, 404),
                ("GET", f"/campaigns/{path}/form", {}, 404), ("POST", f"/campaigns/{path}/reports", {}, 404),
                ("OPTIONS", f"/campaigns/{path}", {"Origin": "https://www.example.org"}, 403),
                ("GET", f"/staff/campaigns/{path}/totals", staff, 404),
                ("GET", f"/staff/campaigns/{path}/flagged", staff, 404),
                ("PUT", f"/staff/campaigns/{path}", staff, 422)):
            status, body = run.request(method, route, body={} if method in ("POST", "PUT") else None, headers=headers)
            assert status == expected, (method, route[:60], status, body[:300])
    log = run.output()
    assert LONG not in log.replace(f"/campaigns/{LONG}", ""), "the id reached a log line other than the access log"
    alive(run)


@pytest.mark.parametrize("name", HOSTILE)
def test_oversized_and_odd_headers_get_a_clean_answer(run, name):
    for method, path in (("GET", "/campaigns/ua-47-22"), ("GET", "/campaigns/ua-47-22/form"), ("GET", "/embed.js"),
                         ("OPTIONS", "/campaigns/ua-47-22"), ("GET", "/staff/dashboard"),
                         ("GET", "/staff/campaigns/ua-47-22/totals"), ("POST", "/campaigns/ua-47-22/reports")):
        body = b"{}" if method == "POST" else b""
        status, headers, answer, _ = exchange(run.port, request_bytes(method, path, HOSTILE[name].items(), body))
        assert status < 500, (name, method, path, status, answer[:300])
        if status >= 400 and headers.get("Content-Type", "").startswith("application/json"):
            assert set(json.loads(answer)["error"]) <= {"code", "message", "fields"}
    alive(run)


def _padded(total):
    """A request whose request line and header values come to ``total`` bytes exactly."""
    line = f"GET /campaigns/{'b' * 30} HTTP/1.1"
    pad = total - len(line) - len("127.0.0.1")
    return request_bytes("GET", f"/campaigns/{'b' * 30}", [("X-Pad", "p" * pad)])


def test_up_to_api_gateways_bound_the_request_is_served_and_one_byte_over_it_is_431(run):
    assert exchange(run.port, _padded(REQUEST_LINE_AND_HEADERS))[0] == 404     # served: no such campaign
    assert_refused(exchange(run.port, _padded(REQUEST_LINE_AND_HEADERS + 1)), 431, "headers_too_large")
    alive(run)


@pytest.mark.parametrize("request_data, status, code", [
    (request_bytes("GET", "/campaigns/" + "a" * 10_300), 414, "uri_too_long"),
    (request_bytes("GET", "/campaigns/" + "a" * 70_000), 414, "uri_too_long"),
    (request_bytes("GET", "/campaigns/ua-47-22", [("Cookie", "c=" + "c" * 11_000)]), 431, "headers_too_large"),
    (request_bytes("GET", "/campaigns/ua-47-22", [("X-Big", "x" * 70_000)]), 431, "headers_too_large"),
    (request_bytes("GET", "/campaigns/ua-47-22", [(f"X-{i}", "1") for i in range(101)]), 431, "headers_too_large"),
    (b"HELLO\r\n\r\n", 400, "malformed_request"),
    (b"GET /campaigns/ua-47-22\r\n\r\n", 400, "malformed_request"),
    (b"GET /campaigns/ua-47-22 HTTP/9.9\r\n\r\n", 505, "http_version_not_supported"),
    (request_bytes("GET", "/campaigns/ua-47-22", [("Content-Length", "abc")]), 400, "malformed_request"),
    (request_bytes("POST", "/campaigns/ua-47-22/reports", [("Content-Length", "-5")]), 400, "malformed_request"),
], ids=["request line over the bound", "request line over http.server's", "a cookie over the bound",
        "one header line over http.server's", "101 headers", "not HTTP", "HTTP/0.9", "HTTP/9.9", "Content-Length abc",
        "Content-Length -5"])
def test_what_api_gateway_would_refuse_is_refused_in_the_error_shape_and_the_server_stays_up(run, request_data,
                                                                                          status, code):
    assert_refused(exchange(run.port, request_data), status, code)
    alive(run)


def test_a_body_past_the_local_bound_gets_413_and_the_connection_closed(run):
    body = b"x" * (MAX_BODY + 100)
    status, headers, answer, closed = exchange(run.port, request_bytes(
        "POST", "/campaigns/ua-47-22/reports", [("Content-Type", "application/json")], body))
    assert status == 413 and json.loads(answer)["error"]["code"] == "body_too_large" and closed
    alive(run)


def test_a_slow_client_holds_up_no_one_else(run):
    with socket.create_connection(("127.0.0.1", run.port), timeout=10) as slow:
        slow.sendall(b"POST /campaigns/ua-47-22/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 500\r\n\r\n{\"submission_id\"")   # and then nothing for a while
        started = time.monotonic()
        alive(run)
        assert time.monotonic() - started < 5
