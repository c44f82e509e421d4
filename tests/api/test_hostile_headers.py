"""Oversized and odd headers on every route, through Chalice's test client (on moto; the
normal answers on DynamoDB Local too): a 7 KB cookie or Authorization header, a 5,000-character Accept-Language,
a huge If-None-Match, a 3,000-character Origin, a Content-Type with a long charset or one
no route takes. Each gets the normal answer or one of our 4xx in the error shape, never a
5xx and never Chalice's own error body. (The same against `make run`, and what it does
beyond API Gateway's size limits: tests/tools/test_local_limits.py.)"""
import json
import re
import uuid

import pytest

import app as application
from chalicelib.staff import sessions
from tests.conftest import report_body

ROUTES = sorted((path, method) for path, methods in application.app.routes.items() for method in methods)
PARAMS = {"campaign_id": "ua-47-22", "report_ref": uuid.uuid4().hex, "request_id": uuid.uuid4().hex}
HOSTILE = {
    "7 KB cookie": {"Cookie": f"{sessions.COOKIE}={'c' * 7000}"},
    "7 KB cookie of many": {"Cookie": "; ".join(f"k{i}=v{i}" for i in range(800))[:7000]},
    "7 KB Authorization": {"Authorization": "Bearer " + "t" * 7000},
    "5,000-character Accept-Language": {"Accept-Language": ("en-GB;q=0.9, " * 400)[:5000]},
    "huge If-None-Match": {"If-None-Match": ", ".join(f'"{i:032x}"' for i in range(230))},
    "3,000-character Origin": {"Origin": "https://" + "o" * 2992},
    "long charset": {"Content-Type": "application/json; charset=" + "x" * 3000},
    "form with a long charset": {"Content-Type": "application/x-www-form-urlencoded; charset=" + "x" * 3000},
    "a media type no route takes": {"Content-Type": "text/plain; charset=" + "x" * 3000},
    "a Content-Type of 7 KB": {"Content-Type": "a" * 7000},
}


def _url(path):
    return re.sub(r"\{(\w+)\}", lambda m: PARAMS[m.group(1)], path)


def _body(path, method):
    if method not in ("POST", "PUT"):
        return b""
    return json.dumps({"reason": "genuine", "by": "Ana"} if "reinstate" in path else report_body())


def _credentials(backend, path):
    if path == "/staff/logout" or path.startswith("/staff/dashboard"):
        return dict(backend.dashboard)
    return dict(backend.staff) if path.startswith("/staff/") and path != "/staff/login" else {}


@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("path, method", ROUTES, ids=[f"{m} {p}" for p, m in ROUTES])
def test_odd_headers_get_the_normal_answer_or_our_own_4xx(moto_backend, path, method, hostile):
    headers = {**_credentials(moto_backend, path), **hostile}
    response = moto_backend.client.http.request(method, _url(path), headers=headers, body=_body(path, method))

    assert response.status_code < 500, (response.status_code, response.body[:300])
    assert b'"Code"' not in response.body, response.body[:300]    # Chalice's shape, not ours
    if response.status_code >= 400 and response.headers.get("Content-Type", "").startswith("application/json"):
        error = json.loads(response.body)["error"]
        assert set(error) <= {"code", "message", "fields"} and len(error["message"]) < 400, error
    assert len(response.body) < 200_000


@pytest.mark.parametrize("path", ["/campaigns/ua-47-22", "/campaigns/ua-47-22/form", "/campaigns/ua-47-22/totals",
                                  "/embed.js"])
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded; charset=" + "x" * 3000,
                                          "a" * 7000])
def test_a_get_with_any_content_type_gets_the_normal_answer(any_backend, path, content_type):
    # A GET has no body to check; Chalice would refuse any type but JSON, in its own shape.
    assert any_backend.client.http.get(path, headers={"Content-Type": content_type}).status_code == 200


def test_the_normal_answers_to_hostile_headers(any_backend):
    http = any_backend.client.http
    accept = HOSTILE["5,000-character Accept-Language"]
    assert http.get("/campaigns/ua-47-22/form", headers=accept).status_code == 200
    etag = http.get("/embed.js").headers["ETag"]
    many_tags = HOSTILE["huge If-None-Match"]["If-None-Match"]
    assert http.get("/embed.js", headers={"If-None-Match": many_tags}).status_code == 200
    assert http.get("/embed.js", headers={"If-None-Match": f"{many_tags}, {etag}"}).status_code == 304
    origin = HOSTILE["3,000-character Origin"]
    public = http.get("/campaigns/ua-47-22", headers=origin)
    assert public.status_code == 200 and "Access-Control-Allow-Origin" not in public.headers
    refused = http.request("OPTIONS", "/campaigns/ua-47-22", headers=origin, body=b"")
    assert refused.status_code == 403 and len(json.loads(refused.body)["error"]["message"]) < 400
    long_charset = HOSTILE["long charset"]
    assert http.post("/campaigns/ua-47-22/reports", headers=long_charset,
                     body=json.dumps(report_body())).status_code == 201
    for path, credential in (("/staff/campaigns/ua-47-22/totals", HOSTILE["7 KB Authorization"]),
                             ("/staff/dashboard", HOSTILE["7 KB cookie"])):
        refused = http.get(path, headers=credential)
        assert refused.status_code == 401 and json.loads(refused.body)["error"]["code"] == "unauthorized"
    # A signed-in dashboard still works with a cookie header of 7 KB around its own cookie.
    crowded = {"Cookie": f"{'x' * 3500}=1; {any_backend.dashboard['Cookie']}; y={'y' * 3500}"}
    assert http.get("/staff/dashboard", headers=crowded).status_code == 200
