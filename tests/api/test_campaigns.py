"""Staff campaign API (v1): create/update, staff tokens, validation, and the public view."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.staff.auth import hash_token, new_token
from chalicelib.storage import StaffToken
from tests.conftest import START, campaign_body, post_report, report_body, run_scheduled

CAMPAIGN = "ua-47-22"
NEW = "ua-48-22"
DEADLINE = datetime(2026, 1, 21, 3, 59, 59, tzinfo=timezone.utc)   # 2026-01-20T23:59:59-04:00
STAFF_ONLY = {"allowed_origins", "state", "created_at", "updated_at", "closed_at",
              "published_version", "report_shards"}


# -- helpers ------------------------------------------------------------------

# Every HTTP response in this module must be below 500, whatever the test asserts next.
pytestmark = pytest.mark.usefixtures("no_server_errors")


def put_campaign(client, headers, campaign_id=CAMPAIGN, body=None, raw=None):
    payload = raw if raw is not None else json.dumps(campaign_body() if body is None else body)
    return client.http.put(f"/staff/campaigns/{campaign_id}", headers=headers, body=payload)


def public(client, campaign_id=CAMPAIGN):
    return client.http.get(f"/campaigns/{campaign_id}")


def json_of(response):
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    return json.loads(response.body)


def assert_error(response, status, code=None, field=None):
    """The v1 error shape; ``field`` must be named in error.fields (or be the parent of one)."""
    assert response.status_code == status, response.body
    body = json_of(response)
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) <= {"code", "message", "fields"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code:
        assert error["code"] == code, error
    if field:
        fields = error.get("fields", {})
        assert any(key == field or key.startswith((f"{field}.", f"{field}[")) for key in fields), error
        assert all(isinstance(message, str) and message for message in fields.values()), error
    return error


# -- create, then update ----------------------------------------------------------

def test_create_answers_201_with_the_staff_view(client, staff_headers):
    response = put_campaign(client, staff_headers)

    assert response.status_code == 201, response.body
    view = json_of(response)
    assert view["campaign_id"] == CAMPAIGN
    assert view["reference"] == "UA 47.22"
    assert view["status"] == "open"
    assert [t["id"] for t in view["targets"]] == ["governor", "ambassador"]
    assert view["actions"] == ["letter", "email", "fax", "call", "tweet"]
    assert view["languages"] == ["en", "es"] and view["letter_language"] == "es"
    assert view["allowed_origins"] == ["https://www.example.org"]
    assert view["created_at"] == "2026-01-10T12:00:00Z"


def test_second_put_updates_with_200_and_keeps_created_at(client, staff_headers, fake_clock):
    assert put_campaign(client, staff_headers).status_code == 201
    fake_clock.advance(hours=1)

    response = put_campaign(client, staff_headers, body=campaign_body(title="New title"))

    assert response.status_code == 200, response.body
    view = json_of(response)
    assert view["title"] == "New title"
    assert view["created_at"] == "2026-01-10T12:00:00Z"
    assert view["updated_at"] == "2026-01-10T13:00:00Z"
    assert json_of(public(client))["title"] == "New title"


def test_the_same_put_twice_is_a_200_without_change(client, staff_headers):
    first = put_campaign(client, staff_headers)
    second = put_campaign(client, staff_headers)

    assert (first.status_code, second.status_code) == (201, 200)
    assert json_of(public(client))["title"] == campaign_body()["title"]


def test_deadline_is_stored_and_shown_in_utc(client, staff_headers):
    response = put_campaign(client, staff_headers, body=campaign_body(deadline="2026-01-20T23:59:59-04:00"))

    assert json_of(response)["deadline"] == "2026-01-21T03:59:59Z"
    assert json_of(public(client))["deadline"] == "2026-01-21T03:59:59Z"


@pytest.mark.parametrize("origin, stored", [
    ("https://www.example.org/", "https://www.example.org"),
    ("https://WWW.Example.org", "https://www.example.org"),
    ("http://localhost:8000", "http://localhost:8000"),
    ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
])
def test_allowed_origins_are_normalised(client, staff_headers, origin, stored):
    response = put_campaign(client, staff_headers, body=campaign_body(allowed_origins=[origin]))

    assert response.status_code == 201, response.body
    assert json_of(response)["allowed_origins"] == [stored]


# -- staff tokens --------------------------------------------------------------------

STAFF_ROUTES = [
    ("PUT", f"/staff/campaigns/{NEW}"),
    ("GET", f"/staff/campaigns/{CAMPAIGN}/totals"),
    ("GET", f"/staff/campaigns/{CAMPAIGN}/totals?format=csv"),
    ("PUT", f"/staff/campaigns/{CAMPAIGN}/outcome"),
]


def stored_token(store, **dates):
    """A well-formed token whose stored record carries ``expires_at`` / ``revoked_at``."""
    token = new_token()
    store.put_staff_token(StaffToken(hash_token(token), "old laptop", START - timedelta(days=30), **dates))
    return token


AUTHORIZATIONS = {
    "no header": lambda store: None,
    "empty header": lambda store: "",
    "wrong scheme": lambda store: f"Basic {new_token()}",
    "token without scheme": lambda store: new_token(),
    "too-short token": lambda store: "Bearer abc123",
    "unknown token": lambda store: f"Bearer {new_token()}",
    "expired token": lambda store: f"Bearer {stored_token(store, expires_at=START - timedelta(minutes=1))}",
    "expires right now": lambda store: f"Bearer {stored_token(store, expires_at=START)}",
    "revoked token": lambda store: f"Bearer {stored_token(store, revoked_at=START - timedelta(days=1))}",
}


@pytest.mark.parametrize("method, path", STAFF_ROUTES, ids=["put-campaign", "totals", "totals-csv", "outcome"])
@pytest.mark.parametrize("case", list(AUTHORIZATIONS))
def test_staff_routes_refuse_a_missing_or_invalid_token(client, campaign, store, method, path, case):
    headers = {"Content-Type": "application/json"}
    authorization = AUTHORIZATIONS[case](store)
    if authorization is not None:
        headers["Authorization"] = authorization

    response = client.http.request(method, path, headers=headers, body=json.dumps(campaign_body()))

    assert_error(response, 401, "unauthorized")
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert public(client, NEW).status_code == 404   # the PUT created nothing
    assert store.get_outcome(CAMPAIGN) is None       # nor recorded an outcome


def test_a_token_still_valid_until_its_expiry_is_accepted(client, store):
    token = stored_token(store, expires_at=START + timedelta(minutes=1))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    assert put_campaign(client, headers).status_code == 201


def test_the_bearer_scheme_is_case_insensitive(client, staff_headers):
    headers = dict(staff_headers, Authorization=staff_headers["Authorization"].replace("Bearer", "bearer"))

    assert put_campaign(client, headers).status_code == 201


# -- validation: each bad field is named, and nothing changes ------------------------------

def without(field):
    body = campaign_body()
    del body[field]
    return body


def target(target_id, name="Someone"):
    return {"id": target_id, "name": name, "role": "Official"}


INVALID_BODIES = {
    "missing reference": (without("reference"), "reference"),
    "missing title": (without("title"), "title"),
    "missing deadline": (without("deadline"), "deadline"),
    "deadline without offset": (campaign_body(deadline="2026-01-20T23:59:59"), "deadline"),
    "deadline an impossible date": (campaign_body(deadline="2026-02-30"), "deadline"),
    "deadline a past date": (campaign_body(deadline="2026-01-09"), "deadline"),
    "deadline in the past": (campaign_body(deadline="2026-01-01T00:00:00Z"), "deadline"),
    "deadline is now": (campaign_body(deadline="2026-01-10T12:00:00Z"), "deadline"),
    "deadline not ISO": (campaign_body(deadline="20 January 2026"), "deadline"),
    "deadline not a string": (campaign_body(deadline=1768967999), "deadline"),
    "deadline overflows in UTC": (campaign_body(deadline="9999-12-31T23:00:00-04:00"), "deadline"),
    "deadline underflows in UTC": (campaign_body(deadline="0001-01-01T00:00:00+01:00"), "deadline"),
    "empty targets": (campaign_body(targets=[]), "targets"),
    "targets not a list": (campaign_body(targets={"id": "governor"}), "targets"),
    "duplicate target ids": (campaign_body(targets=[target("governor"), target("governor", "Other")]),
                             "targets"),
    "bad target id": (campaign_body(targets=[target("The Governor!")]), "targets"),
    "target without name": (campaign_body(targets=[{"id": "governor"}]), "targets"),
    "target not an object": (campaign_body(targets=["governor"]), "targets"),
    "unknown action type": (campaign_body(actions=["letter", "petition"]), "actions"),
    "empty actions": (campaign_body(actions=[]), "actions"),
    "repeated action": (campaign_body(actions=["letter", "letter"]), "actions"),
    "bad language code": (campaign_body(languages=["english"]), "languages"),
    "bad letter language": (campaign_body(letter_language="Spanish"), "letter_language"),
    "origin with a path": (campaign_body(allowed_origins=["https://www.example.org/ua"]), "allowed_origins"),
    "plain http origin": (campaign_body(allowed_origins=["http://www.example.org"]), "allowed_origins"),
    "origin not a URL": (campaign_body(allowed_origins=["www.example.org"]), "allowed_origins"),
    "origins not a list": (campaign_body(allowed_origins="https://www.example.org"), "allowed_origins"),
    "reference too long": (campaign_body(reference="UA " + "9" * 60), "reference"),
    "title with a newline": (campaign_body(title="Two\nlines"), "title"),
    "unknown top-level field": (campaign_body(colour="red"), "colour"),
    "body is a list": ([campaign_body()], "body"),
    "body is a string": ("UA 47.22", "body"),
    "body is null": (None, "body"),
}


@pytest.mark.parametrize("case", list(INVALID_BODIES))
def test_invalid_body_on_create_is_422_and_creates_nothing(client, staff_headers, case):
    body, field = INVALID_BODIES[case]

    response = put_campaign(client, staff_headers, NEW, raw=json.dumps(body))

    assert_error(response, 422, "validation_failed", field)
    assert_error(public(client, NEW), 404, "campaign_not_found")


@pytest.mark.parametrize("case", list(INVALID_BODIES))
def test_invalid_body_on_update_is_422_and_changes_nothing(client, staff_headers, campaign, case):
    body, field = INVALID_BODIES[case]
    before = json_of(public(client))

    response = put_campaign(client, staff_headers, raw=json.dumps(body))

    assert_error(response, 422, "validation_failed", field)
    assert json_of(public(client)) == before


@pytest.mark.parametrize("campaign_id", ["UA-47-22", "ua", "-ua-47", "ua_47_22", "ua.47", "u" * 65])
def test_bad_campaign_id_is_422_naming_campaign_id(client, staff_headers, campaign_id):
    response = put_campaign(client, staff_headers, campaign_id)

    assert_error(response, 422, "validation_failed", "campaign_id")
    assert public(client, campaign_id).status_code == 404


def test_every_invalid_field_is_reported_at_once(client, staff_headers):
    body = campaign_body(reference="", deadline="soon", actions=["petition"], languages=["english"])

    error = assert_error(put_campaign(client, staff_headers, NEW, body=body), 422, "validation_failed")

    assert {"reference", "deadline", "actions", "languages"} <= set(error["fields"])


@pytest.mark.parametrize("raw", ['{"reference": "UA 47.22",', "reference=UA", "", '{"title": NaN}'],
                         ids=["truncated", "form-like", "empty", "NaN"])
def test_malformed_json_is_400_and_changes_nothing(client, staff_headers, campaign, raw):
    before = json_of(public(client))

    assert_error(put_campaign(client, staff_headers, raw=raw), 400, "malformed_body")
    assert_error(put_campaign(client, staff_headers, NEW, raw=raw), 400, "malformed_body")

    assert json_of(public(client)) == before
    assert public(client, NEW).status_code == 404


def test_body_over_256_kib_is_413_and_changes_nothing(client, staff_headers, campaign):
    before = json_of(public(client))
    body = campaign_body(title="x" * (256 * 1024))

    assert_error(put_campaign(client, staff_headers, body=body), 413, "body_too_large")
    assert_error(put_campaign(client, staff_headers, NEW, body=body), 413, "body_too_large")

    assert json_of(public(client)) == before
    assert public(client, NEW).status_code == 404


def test_a_non_json_content_type_is_415(client, staff_headers):
    headers = dict(staff_headers, **{"Content-Type": "text/plain"})

    assert_error(put_campaign(client, headers, NEW), 415, "unsupported_media_type")
    assert public(client, NEW).status_code == 404


# -- closed campaigns are frozen ---------------------------------------------------------

@pytest.mark.parametrize("change", [
    campaign_body(title="Edited after closing"),
    campaign_body(title="Edited after closing", deadline="2026-02-20T23:59:59-04:00"),
], ids=["same-deadline", "deadline-extended"])
@pytest.mark.parametrize("closed_by_job", [False, True], ids=["deadline-passed", "job-closed-it"])
def test_update_after_the_deadline_is_409_and_changes_nothing(client, staff_headers, campaign, fake_clock,
                                                               change, closed_by_job):
    fake_clock.set(DEADLINE + timedelta(seconds=1))
    if closed_by_job:
        fake_clock.advance(minutes=5)
        run_scheduled(client)
    before = json_of(public(client))

    response = put_campaign(client, staff_headers, body=change)

    assert_error(response, 409)
    assert json_of(public(client)) == before
    assert before["title"] == campaign_body()["title"]


# -- once reports exist, targets and action types can only be added ---------------------

def given_a_report(client):
    response = post_report(client, CAMPAIGN, report_body())
    assert response.status_code == 201, response.body


def test_removing_a_target_after_a_report_is_409(client, staff_headers, campaign):
    given_a_report(client)
    before = json_of(public(client))

    response = put_campaign(client, staff_headers, body=campaign_body(targets=campaign_body()["targets"][:1]))

    error = assert_error(response, 409, "campaign_has_reports", "targets")
    assert "ambassador" in error["fields"]["targets"]
    assert json_of(public(client)) == before


def test_removing_an_action_type_after_a_report_is_409(client, staff_headers, campaign):
    given_a_report(client)
    before = json_of(public(client))

    response = put_campaign(client, staff_headers, body=campaign_body(actions=["letter", "email"]))

    assert_error(response, 409, "campaign_has_reports", "actions")
    assert json_of(public(client)) == before


def test_adding_a_target_after_a_report_is_200(client, staff_headers, campaign):
    given_a_report(client)
    targets = campaign_body()["targets"] + [target("minister", "Minister of Justice")]

    response = put_campaign(client, staff_headers, body=campaign_body(targets=targets))

    assert response.status_code == 200, response.body
    assert [t["id"] for t in json_of(public(client))["targets"]] == ["governor", "ambassador", "minister"]
    assert post_report(client, CAMPAIGN, report_body(targets=["minister"])).status_code == 201


def test_removing_a_target_before_any_report_is_allowed(client, staff_headers, campaign):
    response = put_campaign(client, staff_headers, body=campaign_body(targets=campaign_body()["targets"][:1]))

    assert response.status_code == 200, response.body
    assert [t["id"] for t in json_of(public(client))["targets"]] == ["governor"]


# -- the public view ------------------------------------------------------------------------

def test_public_view_hides_staff_fields(client, campaign):
    view = json_of(public(client))

    assert not STAFF_ONLY & set(view), view
    assert set(view) == {"campaign_id", "reference", "title", "deadline", "status", "targets",
                         "actions", "languages", "letter_language", "form_token",
                         # v2: the rest of the case sheet (empty for this v1 body) and where it ends
                         "index", "issued_on", "summary", "people", "copies_to", "letter", "timezone",
                         "follow_up_of",
                         # issue 14: how the case ended (null until staff record it), and until
                         # when a report after the deadline may come late
                         "outcome", "late_reports_until"}
    assert view["status"] == "open"


def test_unknown_campaign_is_404(client):
    assert_error(public(client, "no-such-campaign"), 404, "campaign_not_found")


def test_status_is_open_up_to_the_deadline_and_closed_after_it(client, campaign, fake_clock):
    fake_clock.set(DEADLINE)
    assert json_of(public(client))["status"] == "open"

    fake_clock.set(DEADLINE + timedelta(seconds=1))
    assert json_of(public(client))["status"] == "closed"

    fake_clock.advance(minutes=5)
    run_scheduled(client)
    view = json_of(public(client))
    assert view["status"] == "closed"
    assert not STAFF_ONLY & set(view), view
