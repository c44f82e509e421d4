"""Ids a client can put in a path that no campaign or report can have: every route answers
as for an unknown one (404 in the error shape, the not-found page for the form), never a 5xx,
and no DynamoDB request ever carries them."""
import json
import uuid
from urllib.parse import quote

import pytest

import app as application
from tests.conftest import report_body

LONG = "a" * 3000                        # the issue's: DynamoDB refuses a key this long
CANNOT_EXIST = {
    "3000 characters": LONG,
    "multi-byte": "ü" * 400,
    "multi-byte, percent-encoded": quote("ü" * 400),
    "upper case": "UA-47-22",
    "too short": "ua",
    "one too long": "u" * 65,
    "leading hyphen": "-ua-47-22",
    "an encoded space": "ua%2047-22",
    "an encoded NUL": "ua-47-22%00",
}
CAMPAIGN_ROUTES = sorted((path, method) for path, methods in application.app.routes.items()
                         if "{campaign_id}" in path for method in methods)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PAGES = {("/campaigns/{campaign_id}/form", "GET")}   # answered with the not-found page


def _request(backend, path, method, campaign_id, extra_headers=None):
    url = path.replace("{campaign_id}", campaign_id).replace("{report_ref}", uuid.uuid4().hex)
    # A partner page's Origin makes the public routes read the campaign for CORS; on a POST
    # to no campaign it is refused (403) as from any foreign page, so POSTs are sent without.
    headers = {"Origin": "https://www.example.org"} if method in ("GET", "OPTIONS") else {}
    if path.startswith("/staff/campaigns"):
        headers.update(backend.staff)
    elif path.startswith("/staff/dashboard"):
        headers.update(backend.dashboard)
    else:
        headers["Content-Type"] = "application/json"
    headers.update(extra_headers or {})
    body = json.dumps({"reason": "genuine", "by": "Ana"} if "reinstate" in path else report_body())
    if method in ("POST", "PUT") and headers.get("Content-Type") == FORM["Content-Type"]:
        body = f"submission_id={uuid.uuid4()}&action_letter=1&target=governor"
    return backend.client.http.request(method, url, headers=headers,
                                       body=body if method in ("POST", "PUT") else b"")


def _assert_error(response, status, code):
    assert response.status_code == status, (response.status_code, response.body[:300])
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    error = json.loads(response.body)["error"]
    assert error["code"] == code, error
    assert len(error["message"]) < 300, "the message echoes the whole id"
    return error


@pytest.mark.parametrize("campaign_id", CANNOT_EXIST.values(), ids=CANNOT_EXIST.keys())
@pytest.mark.parametrize("path, method", CAMPAIGN_ROUTES, ids=[f"{m} {p}" for p, m in CAMPAIGN_ROUTES])
def test_an_id_no_campaign_can_have_is_answered_as_an_unknown_one(any_backend, path, method, campaign_id):
    response = _request(any_backend, path, method, campaign_id)

    if method == "OPTIONS":   # a preflight for no campaign: no origin may call it
        _assert_error(response, 403, "origin_not_allowed")
    elif method == "PUT" and path == "/staff/campaigns/{campaign_id}":   # creating one: the id is what is wrong
        assert "campaign_id" in _assert_error(response, 422, "validation_failed")["fields"]
    elif (path, method) in PAGES:
        assert response.status_code == 404, response.body[:300]
        assert response.headers["Content-Type"].startswith("text/html")
        assert len(response.body) < 20000
    else:
        _assert_error(response, 404, "campaign_not_found")
    assert any_backend.dynamodb_requests_naming(campaign_id[:40]) == []


@pytest.mark.parametrize("campaign_id", [LONG, "UA-47-22"], ids=["3000 characters", "upper case"])
def test_a_form_post_for_an_impossible_id_gets_the_not_found_page(any_backend, campaign_id):
    response = _request(any_backend, "/campaigns/{campaign_id}/reports", "POST", campaign_id, FORM)

    assert response.status_code == 404, response.body[:300]
    assert response.headers["Content-Type"].startswith("text/html")
    assert LONG not in response.body.decode()
    assert any_backend.dynamodb_requests_naming(campaign_id[:40]) == []


def test_a_partner_page_posting_to_an_impossible_id_is_refused_as_for_an_unknown_one(any_backend):
    headers = {"Origin": "https://www.example.org", "Content-Type": "application/json"}
    for campaign_id in ("ua-99-99", LONG):
        response = any_backend.client.http.post(f"/campaigns/{campaign_id}/reports", headers=headers,
                                                body=json.dumps(report_body()))
        _assert_error(response, 403, "origin_not_allowed")
    assert any_backend.dynamodb_requests_naming(LONG[:40]) == []


@pytest.mark.parametrize("report_ref", ["r" * 3000, quote("ü" * 400), "not-a-report", "f" * 31],
                         ids=["3000 characters", "multi-byte", "words", "31 hex digits"])
def test_a_report_ref_no_report_can_have_is_not_found_without_a_search(any_backend, report_ref):
    response = any_backend.client.http.post(f"/staff/campaigns/ua-47-22/reports/{report_ref}/reinstate",
                                            headers=any_backend.staff,
                                            body=json.dumps({"reason": "genuine", "by": "Ana"}))

    _assert_error(response, 404, "report_not_found")
    assert [operation for operation, _ in any_backend.calls if operation == "Query"] == []


def test_a_route_that_forgot_its_check_still_answers_404_not_500(any_backend, monkeypatch):
    # As if the guard were missing: storage refuses the key itself, and the answer is ours.
    from chalicelib.counting import intake
    from chalicelib.web import identifiers
    monkeypatch.setattr(identifiers, "is_campaign_id", lambda value: True)
    monkeypatch.setattr(intake, "is_campaign_id", lambda value: True)   # the remembered read's own check

    for path in (f"/campaigns/{LONG}", f"/campaigns/{LONG}/totals", f"/staff/campaigns/{LONG}/totals"):
        response = any_backend.client.http.get(path, headers=any_backend.staff)
        _assert_error(response, 404, "not_found")
    assert any_backend.dynamodb_requests_naming(LONG[:40]) == []
