"""Staff exports of totals and reports: CSV safe from formula injection, personal data only
where consented, exclusions explained; staff only (tests/staff/test_auth.py walks the routes)."""
import csv
import io
import json

import pytest

from chalicelib.counting import reinstating, voiding
from chalicelib.staff.csvfile import csv_safe, csv_text
from tests.conftest import post_report, report_body

HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1+1", "-2+3", "@SUM(A1:A9)", "\tTAB", "\rCR",
           "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cell_starting_like_a_formula_is_made_text(value):
    assert csv_safe(value) == "'" + value
    assert csv_safe("Ana =1") == "Ana =1" and csv_safe(42) == "42"


def test_numbers_stay_numbers_and_text_is_neutralised():
    text = csv_text(["a", "b"], [[-5, "-5"], [None, True]])
    assert text == "a,b\r\n-5,'-5\r\n,True\r\n"


def rows(response):
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(response.body.decode())))


def test_reports_csv_neutralises_hostile_names_and_keeps_consent(client, campaign, staff_headers, fake_clock):
    for name in HOSTILE:
        assert post_report(client, campaign, report_body(name=name, contact_email="a@example.org",
                                                         consent=True)).status_code == 201
    post_report(client, campaign, report_body(country="ES"))
    response = client.http.get(f"/staff/campaigns/{campaign}/reports?format=csv", headers=staff_headers)

    exported = rows(response)
    assert len(exported) == len(HOSTILE) + 1
    names = {row["name"] for row in exported}
    assert names == {"'" + name.strip() if name.strip()[0] in "=+-@" else name.strip() for name in HOSTILE} | {""}
    for row in exported:
        assert not row["name"].startswith(("=", "+", "-", "@", "\t", "\r"))
        assert row["counted"] == "true" and row["action_letter"] == "2" and row["action_fax"] == "0"
    assert {row["contact_email"] for row in exported} == {"a@example.org", ""}


def test_reports_json_lists_voided_reports_with_why(client, campaign, staff_headers, store, fake_clock):
    kept = json.loads(post_report(client, campaign, report_body()).body)["report_id"]
    gone = json.loads(post_report(client, campaign, report_body()).body)["report_id"]
    voiding.void_report(store, campaign, gone, reason="=bad data", by="Ana", now=fake_clock())

    response = client.http.get(f"/staff/campaigns/{campaign}/reports", headers=staff_headers)
    body = json.loads(response.body)
    assert body["counted"] == 1 and body["excluded"] == 1
    by_id = {r["report_id"]: r for r in body["reports"]}
    assert by_id[kept]["counted"] is True and by_id[kept]["name"] is None
    assert by_id[gone] | {"counted": False, "excluded": "void", "voided_by": "Ana", "void_reason": "=bad data"} \
        == by_id[gone]
    csv_rows = {r["report_id"]: r for r in rows(client.http.get(
        f"/staff/campaigns/{campaign}/reports?format=csv", headers=staff_headers))}
    assert csv_rows[gone]["void_reason"] == "'=bad data" and csv_rows[gone]["excluded"] == "void"


def test_reports_export_says_which_were_flagged_and_who_reinstated_them(client, campaign, staff_headers, store,
                                                                          fake_clock):
    bot = json.loads(post_report(client, campaign, report_body(website="spam")).body)["report_id"]
    genuine = json.loads(post_report(client, campaign, report_body(website="autofill")).body)["report_id"]
    reinstating.reinstate_report(store, campaign, genuine, reason="+she phoned", by="Ben", now=fake_clock())

    by_id = {r["report_id"]: r for r in json.loads(client.http.get(
        f"/staff/campaigns/{campaign}/reports", headers=staff_headers).body)["reports"]}
    assert by_id[bot] | {"counted": False, "excluded": "flagged", "flag_reason": "honeypot",
                         "reinstated_by": None} == by_id[bot]
    assert by_id[genuine] | {"counted": True, "excluded": None, "flag_reason": "honeypot", "reinstated_by": "Ben",
                             "reinstate_reason": "+she phoned"} == by_id[genuine]
    csv_rows = {r["report_id"]: r for r in rows(client.http.get(
        f"/staff/campaigns/{campaign}/reports?format=csv", headers=staff_headers))}
    assert csv_rows[bot]["flag_reason"] == "honeypot" and csv_rows[bot]["reinstated_at"] == ""
    assert csv_rows[genuine]["reinstate_reason"] == "'+she phoned" and csv_rows[genuine]["counted"] == "true"


def test_totals_csv_neutralises_hostile_keys(client, campaign, staff_headers):
    response = client.http.get(f"/staff/campaigns/{campaign}/totals?format=csv", headers=staff_headers)
    assert rows(response)[0]["metric"] == "reports"


@pytest.mark.parametrize("path", ["reports", "totals"])
def test_an_unknown_format_is_a_422_naming_the_field(client, campaign, staff_headers, path):
    response = client.http.get(f"/staff/campaigns/{campaign}/{path}?format=xlsx", headers=staff_headers)
    assert response.status_code == 422 and "format" in json.loads(response.body)["error"]["fields"]


def test_an_unknown_campaign_is_a_404(client, staff_headers):
    response = client.http.get("/staff/campaigns/nope-nope/reports", headers=staff_headers)
    assert response.status_code == 404


def test_exports_keep_what_reached_each_official_and_the_people_in_full(client, campaign, staff_headers,
                                                                        fake_clock):
    from tests.conftest import run_scheduled
    v2 = {key: value for key, value in report_body().items() if key not in ("actions", "targets")}
    post_report(client, campaign, {**v2, "per_target": {"governor": {"letter": 2}, "ambassador": {"fax": 1}},
                                   "participants": 3})
    post_report(client, campaign, report_body(actions={"call": 1}, targets=["governor", "ambassador"]))
    fake_clock.advance(minutes=2)
    run_scheduled(client)

    reports = rows(client.http.get(f"/staff/campaigns/{campaign}/reports?format=csv", headers=staff_headers))
    by_shape = {row["participants"]: row for row in reports}
    assert by_shape["3"]["count.governor.letter"] == "2" and by_shape["3"]["count.ambassador.fax"] == "1"
    assert by_shape["3"]["count.ambassador.letter"] == "0"
    assert by_shape["1"]["count.governor.call"] == ""   # v1's shape does not say which official
    totals = rows(client.http.get(f"/staff/campaigns/{campaign}/totals?format=csv", headers=staff_headers))
    figures = {(row["metric"], row["key"]): row["value"] for row in totals}
    assert figures[("people", "")] == "4" and figures[("target_action", "ambassador.fax")] == "1"
    assert figures[("target_action", "unattributed.call")] == "1"   # below 10, and shown: staff see every figure
    records = json.loads(client.http.get(f"/staff/campaigns/{campaign}/reports?format=json",
                                         headers=staff_headers).body)["reports"]
    assert sorted(record["participants"] for record in records) == [1, 3]
    assert {json.dumps(record["per_target"], sort_keys=True) for record in records} == {
        "null", '{"ambassador": {"fax": 1}, "governor": {"letter": 2}}'}
