"""POST /staff/campaign-drafts: a case sheet's text in, a draft ready for PUT out, nothing
stored; every bad input a clear error of the contract's shape, never a 5xx."""
import json
from pathlib import Path

import pytest

from tests.api.test_campaigns import assert_error, json_of, public, put_campaign
from tests.conftest import campaign_body

ROOT = Path(__file__).resolve().parents[2]
SEED = (ROOT / "campaigns" / "ua-47-22.txt").read_text(encoding="utf-8")
SHEETS = ROOT / "tests" / "casesheet" / "sheets"
# The tests' clock is 2026-01-10: UA 47.22 with a deadline still ahead
CURRENT = SEED.replace("UNTIL: July 15, 2022", "UNTIL: January 20, 2026")
pytestmark = pytest.mark.usefixtures("no_server_errors")


def post_draft(client, headers, body=None, raw=None):
    payload = raw if raw is not None else json.dumps(body)
    return client.http.post("/staff/campaign-drafts", headers=headers, body=payload)


def campaigns_in(moto_table):
    return [item for item in moto_table.scan()["Items"] if item["sk"].startswith("CAMPAIGN")]


def test_a_case_sheet_becomes_a_draft_that_put_accepts_as_it_is(client, staff_headers, moto_table):
    response = post_draft(client, staff_headers, {"text": CURRENT, "timezone": "America/Caracas"})
    assert response.status_code == 200, response.body
    answer = json_of(response)
    assert set(answer) == {"draft", "warnings", "suggested_id", "follow_up"}
    assert answer["suggested_id"] == "ua-47-22" and answer["follow_up"] is None
    draft = answer["draft"]
    assert draft["deadline"] == "2026-01-20" and draft["timezone"] == "America/Caracas"
    assert {"field": "targets[1].social[0]", "line": 28,
            "message": "'@ONUVE NuevaYork' has a space, which no handle has: read as '@ONUVENuevaYork'; check it "
                       "on the network"} in answer["warnings"]
    assert campaigns_in(moto_table) == []                     # nothing stored

    created = put_campaign(client, staff_headers, "ua-47-22", body=draft)
    assert created.status_code == 201, created.body
    view = json_of(public(client))
    assert view["deadline"] == "2026-01-21T03:59:59Z"          # 23:59:59 in Caracas
    assert view["targets"][0]["emails"] == ["sgeneralcarabobo@gmail.com"]
    assert view["targets"][1]["faxes"] == ["2125573528"]
    assert view["letter"]["en"].startswith("Dear governor Rafael Lacava,")
    assert view["people"][0] == {"name": "Marino Alvarado", "pronouns": "he/him/his"}


def test_the_timezone_defaults_to_the_setting(client, staff_headers, monkeypatch):
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Europe/Madrid")
    from chalicelib.runtime import process
    process.reset()
    answer = json_of(post_draft(client, staff_headers, {"text": CURRENT}))
    assert answer["draft"]["timezone"] == "Europe/Madrid"


def test_an_update_names_the_campaign_it_follows(client, staff_headers):
    assert put_campaign(client, staff_headers, "ua-47-22").status_code == 201
    sheet = (SHEETS / "current-en-fi-47-22.txt").read_text(encoding="utf-8")
    sheet = sheet.replace("UNTIL: 20 September 2022", "UNTIL: 20 September 2026")
    answer = json_of(post_draft(client, staff_headers, {"text": sheet}))
    assert answer["follow_up"] == {"reference": "UA 47/22", "campaign_id": "ua-47-22"}
    assert answer["draft"]["follow_up_of"] == "ua-47-22" and answer["suggested_id"] == "ua-47-22-fi"
    created = put_campaign(client, staff_headers, answer["suggested_id"], body=answer["draft"])
    assert created.status_code == 201, created.body
    assert json_of(created)["follow_up_of"] == "ua-47-22"


def test_an_update_of_an_unknown_campaign_says_so(client, staff_headers):
    sheet = (SHEETS / "current-en-fi-47-22.txt").read_text(encoding="utf-8")
    answer = json_of(post_draft(client, staff_headers, {"text": sheet}))
    assert answer["follow_up"] == {"reference": "UA 47/22", "campaign_id": None}
    assert "follow_up_of" not in answer["draft"]
    assert any(w["field"] == "follow_up_of" and w["line"] == 1 for w in answer["warnings"])


def test_a_suggested_id_already_taken_is_a_warning(client, staff_headers):
    assert put_campaign(client, staff_headers, "ua-47-22").status_code == 201
    answer = json_of(post_draft(client, staff_headers, {"text": CURRENT}))
    assert any(w["field"] == "campaign_id" and "exists already" in w["message"] for w in answer["warnings"])


def test_an_outcome_notice_is_not_an_action(client, staff_headers, moto_table):
    sheet = (SHEETS / "outcome-en-ua-33-21.txt").read_text(encoding="utf-8")
    error = assert_error(post_draft(client, staff_headers, {"text": sheet}), 422, "not_an_action", "text")
    assert "outcome notice" in error["message"] and "no further action is requested" in error["message"]
    assert campaigns_in(moto_table) == []


@pytest.mark.parametrize("body, status, code, field", [
    ({"text": ""}, 422, "validation_failed", "text"),
    ({"text": "  \n "}, 422, "validation_failed", "text"),
    ({}, 422, "validation_failed", "text"),
    ({"text": 42}, 422, "validation_failed", "text"),
    ({"text": "PDF-1.7\u0000\u0001\u0002\u0003 binary"}, 422, "validation_failed", "text"),
    ({"text": "a" * 100_001}, 413, "body_too_large", "text"),
    ({"text": "é" * 50_001}, 413, "body_too_large", "text"),        # 100,002 bytes of UTF-8
    ({"text": "x", "timezone": "Mars/Olympus"}, 422, "validation_failed", "timezone"),
    ({"text": "x", "timezone": "../../etc/passwd"}, 422, "validation_failed", "timezone"),
    ({"text": "x", "campaign_id": "ua-1-22"}, 422, "validation_failed", "campaign_id"),
    (["text"], 422, "validation_failed", "body"),
])
def test_bad_input_is_a_clear_error_and_stores_nothing(client, staff_headers, moto_table, body, status, code, field):
    assert_error(post_draft(client, staff_headers, body), status, code, field)
    assert campaigns_in(moto_table) == []


@pytest.mark.parametrize("raw, status, code", [
    ('{"text": "\\ud800 half a surrogate pair"}', 422, "validation_failed"),
    (b'{"text": "caf\xe9"}', 400, "malformed_body"),                  # Latin-1, not UTF-8
    ("not json", 400, "malformed_body"),
    (json.dumps({"text": "\u0041" * 90_000}).replace("A", "\\u0041"), 200, None),   # 540 KB of escapes: read
    (json.dumps({"text": "a" * (640 * 1024)}), 413, "body_too_large"),
])
def test_bodies_are_checked_before_they_are_read(client, staff_headers, raw, status, code):
    response = post_draft(client, staff_headers, raw=raw)
    if code:
        assert_error(response, status, code)
    else:
        assert response.status_code == 422 and json_of(response)["error"]["code"] == "not_an_action"


def test_html_pasted_is_read_with_a_warning(client, staff_headers):
    sheet = (SHEETS / "html-en-ua-19-24.html").read_text(encoding="utf-8").replace("15 June 2024", "15 June 2026")
    answer = json_of(post_draft(client, staff_headers, {"text": sheet}))
    assert answer["warnings"][0]["field"] == "text" and answer["draft"]["reference"] == "UA 19.24"


def test_the_route_is_for_staff_only(client):
    response = client.http.post("/staff/campaign-drafts", headers={"Content-Type": "application/json"},
                                body=json.dumps({"text": CURRENT}))
    assert response.status_code == 401


def test_put_refuses_a_follow_up_of_a_campaign_that_does_not_exist(client, staff_headers):
    error = assert_error(put_campaign(client, staff_headers, body=campaign_body(follow_up_of="ua-1-99")), 422,
                         "validation_failed", "follow_up_of")
    assert error["fields"]["follow_up_of"] == "there is no campaign 'ua-1-99'"
