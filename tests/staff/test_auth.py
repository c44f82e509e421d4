"""Staff authentication: every staff route, walked from the app's own route table, refuses a
missing, malformed, unknown, revoked or expired credential with 401 in the API's error shape;
the authorizers and the views each refuse on their own; the dashboard's sign-in is CSRF-safe."""
import json
from urllib.parse import urlencode
import re
from datetime import timedelta

import pytest
from chalice import AuthResponse

import app as application
from chalicelib.domain.errors import ServiceUnavailable, Unauthorized
from chalicelib.staff import sessions
from chalicelib.staff.auth import StaffTokenRefused, hash_token, issue_token, new_token
from chalicelib.storage import StaffToken, StorageUnavailable
from tests.conftest import START, campaign_body, post_report, report_body
from tools.local_gateway import gateway_responses

PUBLIC_STAFF_ROUTES = {("/staff/login", "GET"), ("/staff/login", "POST")}   # the sign-in page itself
SAMPLE_PARAMS = {"campaign_id": "ua-47-22", "report_ref": "0" * 32, "request_id": "0" * 32}


def staff_routes():
    """(path, method, authorizer name) of every /staff route but the sign-in page."""
    routes = []
    for path, methods in application.app.routes.items():
        for method, entry in methods.items():
            if path.startswith("/staff") and (path, method) not in PUBLIC_STAFF_ROUTES:
                routes.append((path, method, entry.authorizer.name if entry.authorizer else None))
    return sorted(routes)


STAFF_ROUTES = staff_routes()


def concrete(path, **params):
    return re.sub(r"\{(\w+)\}", lambda m: {**SAMPLE_PARAMS, **params}[m.group(1)], path)


def stored_token(store, **dates):
    token = new_token()
    store.put_staff_token(StaffToken(hash_token(token), "old laptop", START - timedelta(days=30), **dates))
    return token


def session_for(store, token, when=START):
    session_id, _ = sessions.sign_in(store, token, when)
    return f"{sessions.COOKIE}={session_id}"


# Each case gives the header value for a Bearer route and for a session-cookie route.
CREDENTIALS = {
    "missing": lambda store: (None, None),
    "empty": lambda store: ("", ""),
    "malformed": lambda store: ("Basic dXNlcjpwYXNz", f"{sessions.COOKIE}=short"),
    "token without scheme": lambda store: (new_token(), f"other={new_token()}"),
    "unknown": lambda store: (f"Bearer {new_token()}", f"{sessions.COOKIE}={new_token()}"),
    "revoked": lambda store: (f"Bearer {stored_token(store, revoked_at=START - timedelta(days=1))}",
                              _revoked_session(store)),
    "expired": lambda store: (f"Bearer {stored_token(store, expires_at=START)}", _expired_session(store)),
}


def _revoked_session(store):
    token = stored_token(store)
    cookie = session_for(store, token, START - timedelta(hours=1))
    store.revoke_staff_token(hash_token(token), START - timedelta(minutes=1))
    return cookie


def _expired_session(store):
    return session_for(store, stored_token(store), START - timedelta(hours=sessions.SESSION_HOURS, seconds=1))


def test_the_walk_covers_every_staff_route_and_each_has_an_authorizer():
    paths = {path for path, _, _ in STAFF_ROUTES}
    assert {"/staff/campaigns/{campaign_id}", "/staff/campaigns/{campaign_id}/totals",
            "/staff/campaigns/{campaign_id}/reports", "/staff/dashboard",
            "/staff/dashboard/{campaign_id}/summary", "/staff/logout"} <= paths
    assert all(name in ("staff_token", "staff_session") for _, _, name in STAFF_ROUTES), STAFF_ROUTES
    public = {(path, method) for path, methods in application.app.routes.items() for method, entry in methods.items()
              if entry.authorizer is None}
    supporter_paths = ("/campaigns/{campaign_id}", "/campaigns/{campaign_id}/form",
                       "/campaigns/{campaign_id}/reports", "/campaigns/{campaign_id}/totals", "/cases/{campaign_id}")
    assert public == PUBLIC_STAFF_ROUTES | {("/campaigns/{campaign_id}", "GET"),
                                            ("/campaigns/{campaign_id}/form", "GET"),
                                            ("/campaigns/{campaign_id}/reports", "POST"),
                                            ("/campaigns/{campaign_id}/totals", "GET"),
                                            ("/cases/{campaign_id}", "GET"),
                                            ("/embed.js", "GET")} | {(path, "OPTIONS") for path in supporter_paths}


@pytest.mark.parametrize("path, method, authorizer", STAFF_ROUTES,
                         ids=[f"{m} {p}" for p, m, _ in STAFF_ROUTES])
@pytest.mark.parametrize("case", list(CREDENTIALS))
def test_every_staff_route_answers_401_for_a_bad_credential(client, campaign, store, path, method, authorizer,
                                                           case):
    bearer, cookie = CREDENTIALS[case](store)
    value = bearer if authorizer == "staff_token" else cookie
    header = "Authorization" if authorizer == "staff_token" else "Cookie"
    headers = {"Content-Type": "application/json"}
    if value is not None:
        headers[header] = value

    response = client.http.request(method, concrete(path), headers=headers,
                                   body=json.dumps(campaign_body(title="Changed")))

    assert response.status_code == 401, (response.status_code, response.body[:300])
    assert json.loads(response.body) == Unauthorized().body()
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert json.loads(client.http.get("/campaigns/ua-47-22").body)["title"] != "Changed"


@pytest.mark.parametrize("path, method, authorizer", STAFF_ROUTES, ids=[f"{m} {p}" for p, m, _ in STAFF_ROUTES])
def test_every_staff_route_lets_valid_staff_in(client, campaign, store, staff_headers, path, method, authorizer):
    if authorizer == "staff_token":
        headers = staff_headers
    else:
        headers = {"Cookie": session_for(store, staff_headers["Authorization"].split()[1])}
    bodies = {"/staff/campaigns/{campaign_id}": campaign_body(),
              "/staff/erasures": {"contact_email": "nobody@example.org"},
              "/staff/campaign-drafts": {"text": "URGENT ACTION\n\nA TITLE\n\nGovernor of X, Ana Ruiz\n"
                                                 "Email: ana@example.org\n\nUNTIL: 1 March 2026"},
              "/staff/campaigns/{campaign_id}/reports/{report_ref}/reinstate": {"reason": "genuine", "by": "Ana"},
              "/staff/campaigns/{campaign_id}/outcome": {"status": "no_change", "on": "2026-01-10"},
              "/staff/campaigns/{campaign_id}/tallies": {"source": "Madrid group", "acted_on": "2026-01-10",
                                                         "per_target": {"governor": {"letter": 3}}}}
    body = json.dumps(bodies[path]) if path in bodies else b""
    forms = {"/staff/new-campaign": {"text": bodies["/staff/campaign-drafts"]["text"]},
             "/staff/new-campaign/create": {"campaign_id": "ua-99-26", "reference": "UA 99.26", "title": "A title",
                                            "deadline": "2026-03-01", "languages": "en", "actions": "letter",
                                            "targets-rows": "1", "targets-0-id": "governor",
                                            "targets-0-name": "Ana Ruiz"},
             "/staff/dashboard/{campaign_id}/tallies": {"source": "Madrid group", "acted_on": "2026-01-10",
                                                        "count.governor.letter": "3"}}
    if path in forms and method == "POST":   # the dashboard's forms: form-encoded, with the session's form token
        headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        body = urlencode({**forms[path], "form_token": sessions.form_token(headers["Cookie"])})
    flagged = json.loads(post_report(client, campaign, report_body(website="x")).body)["report_id"]
    erasure = client.http.post("/staff/erasures", headers=staff_headers, body=json.dumps({"contact_email": "a@b.org"}))
    response = client.http.request(method, concrete(path, report_ref=flagged,
                                                    request_id=json.loads(erasure.body)["request_id"]),
                                   headers=headers, body=body)
    assert response.status_code in (200, 201, 202, 303), (response.status_code, response.body[:300])


def test_the_authorizer_alone_refuses_and_allows(store, fake_clock, moto_table):
    from chalice.app import AuthRequest
    good = issue_token(store, "ops", fake_clock())
    allowed = application.staff_token.func(AuthRequest("TOKEN", f"Bearer {good}", "arn:x"))
    assert isinstance(allowed, AuthResponse) and allowed.principal_id == hash_token(good)[:12]
    assert allowed.routes == ["/staff/*"] and allowed.context == {"label": "ops"}
    with pytest.raises(StaffTokenRefused, match="^Unauthorized$"):
        application.staff_token.func(AuthRequest("TOKEN", f"Bearer {new_token()}", "arn:x"))
    with pytest.raises(StaffTokenRefused):
        application.staff_session.func(AuthRequest("TOKEN", f"{sessions.COOKIE}={new_token()}", "arn:x"))


def test_the_view_refuses_on_its_own_if_the_authorizer_let_a_request_through(client, campaign, store,
                                                                              monkeypatch):
    """Defence in depth: a deployment that lost its authorizer still answers 401."""
    for authorizer in (application.staff_token, application.staff_session):
        monkeypatch.setattr(authorizer, "func", lambda request: AuthResponse(routes=["*"], principal_id="x"))
    response = client.http.get("/staff/campaigns/ua-47-22/totals",
                               headers={"Authorization": f"Bearer {new_token()}"})
    assert response.status_code == 401 and json.loads(response.body) == Unauthorized().body()
    response = client.http.get("/staff/dashboard", headers={"Cookie": f"{sessions.COOKIE}={new_token()}"})
    assert response.status_code == 401


def test_dynamodb_down_in_the_authorizer_is_a_503_in_the_error_shape(client, campaign, store, monkeypatch):
    def unavailable(token_hash):
        raise StorageUnavailable("throttled")

    monkeypatch.setattr(store, "get_staff_token", unavailable)
    monkeypatch.setattr("chalicelib.runtime.process._STORE", store)
    response = client.http.get("/staff/campaigns/ua-47-22/totals", headers={"Authorization": f"Bearer {new_token()}"})
    assert response.status_code == 503 and json.loads(response.body) == ServiceUnavailable().body()


def test_the_gateway_responses_file_matches_the_api_error_shape():
    """.chalice/gateway-responses.json is what the deployed RestAPI must carry (SAM GatewayResponses)."""
    responses = gateway_responses()
    unauthorized = responses["UNAUTHORIZED"]
    assert unauthorized["StatusCode"] == 401
    assert json.loads(unauthorized["ResponseTemplates"]["application/json"]) == Unauthorized().body()
    assert unauthorized["ResponseParameters"]["Headers"]["WWW-Authenticate"] == "'Bearer realm=\"action-tally\"'"
    failure = responses["AUTHORIZER_FAILURE"]
    assert failure["StatusCode"] == 503
    assert json.loads(failure["ResponseTemplates"]["application/json"]) == ServiceUnavailable().body()
    for response in responses.values():   # VTL templates: no $ or # directives hidden in our messages
        assert not set(response["ResponseTemplates"]["application/json"]) & {"$", "#"}


def test_plain_chalice_local_would_not_answer_a_refusal_without_our_gateway(moto_table, fake_clock):
    """Why tools/local_gateway.py exists: chalice's own local gateway lets the refusal escape."""
    from chalice.test import Client
    with Client(application.app, stage_name="dev") as raw:
        with pytest.raises(StaffTokenRefused):
            raw.http.get("/staff/campaigns/ua-47-22/totals", headers={"Authorization": f"Bearer {new_token()}"})
        assert json.loads(raw.http.get("/staff/campaigns/ua-47-22/totals").body) == {"message": "Unauthorized"}


# -- the dashboard's sign-in ---------------------------------------------------------------

def login(client, token, **headers):
    return client.http.post("/staff/login", body=f"token={token}",
                            headers={"Content-Type": "application/x-www-form-urlencoded", **headers})


def test_signing_in_sets_a_hardened_session_cookie_and_signing_out_ends_it(client, campaign, store, staff_headers,
                                                                            fake_clock):
    token = staff_headers["Authorization"].split()[1]
    response = login(client, token, **{"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 303 and response.headers["Location"] == "dashboard"
    cookie = response.headers["Set-Cookie"]
    assert {"HttpOnly", "Secure", "SameSite=Strict", "Path=/", f"Max-Age={8 * 3600}"} <= set(cookie.split("; "))
    session = cookie.split(";")[0]
    assert token not in cookie
    assert store.get_staff_session(hash_token(session.split("=", 1)[1])) is not None   # stored hashed

    assert client.http.get("/staff/dashboard", headers={"Cookie": session}).status_code == 200
    fake_clock.advance(hours=8)
    assert client.http.get("/staff/dashboard", headers={"Cookie": session}).status_code == 401   # expired
    fake_clock.advance(hours=-8)

    out = client.http.post("/staff/logout", headers={"Cookie": session})
    assert out.status_code == 303 and "Max-Age=0" in out.headers["Set-Cookie"]
    assert client.http.get("/staff/dashboard", headers={"Cookie": session}).status_code == 401


def test_a_session_never_outlives_its_token(client, campaign, store, fake_clock):
    token = stored_token(store, expires_at=START + timedelta(hours=1))
    response = login(client, token)
    assert "Max-Age=3600" in response.headers["Set-Cookie"]


def test_a_bad_token_gets_the_form_again_with_401(client, campaign):
    response = login(client, new_token())
    assert response.status_code == 401 and "not valid" in response.body.decode()
    assert "Set-Cookie" not in response.headers
    assert login(client, "").status_code == 401


def test_a_sign_in_posted_from_another_site_is_refused(client, campaign, staff_headers):
    response = login(client, staff_headers["Authorization"].split()[1], **{"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403 and "Set-Cookie" not in response.headers


def test_the_sign_in_page_is_plain_html_without_the_token_in_it(client):
    response = client.http.get("/staff/login")
    assert response.status_code == 200 and 'type="password"' in response.body.decode()
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_dynamodb_down_at_sign_in_shows_the_form_with_503(client, campaign, store, staff_headers, monkeypatch):
    def unavailable(session):
        raise StorageUnavailable("throttled")

    monkeypatch.setattr(store, "put_staff_session", unavailable)
    monkeypatch.setattr("chalicelib.runtime.process._STORE", store)
    response = login(client, staff_headers["Authorization"].split()[1])
    assert response.status_code == 503 and "busy" in response.body.decode()
