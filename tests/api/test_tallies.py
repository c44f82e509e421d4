"""POST /staff/campaigns/{id}/tallies through the HTTP API: one tally as JSON or a CSV file of
them; counted in the totals like reports, listed apart in staff totals and exports (never in
public ones); replays, bad input and closed campaigns; never a 5xx."""
import json
import uuid
from datetime import timedelta

import pytest

from tests.conftest import post_report, report_body, run_scheduled

TALLIES = "/staff/campaigns/ua-47-22/tallies"
DEADLINE_PASSED = timedelta(days=11)


def tally_body(**overrides):
    body = {"source": "Madrid group letter-writing evening", "acted_on": "2026-01-09", "country": "ES",
            "participants": 40, "per_target": {"governor": {"letter": 38}, "ambassador": {"email": 12}}}
    body.update(overrides)
    return body


def post_tally(client, headers, body, content_type="application/json"):
    payload = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.http.post(TALLIES, headers={**headers, "Content-Type": content_type}, body=payload)


def staff_totals(client, headers, fmt="json"):
    response = client.http.get(f"/staff/campaigns/ua-47-22/totals?format={fmt}", headers=headers)
    assert response.status_code == 200
    return json.loads(response.body) if fmt == "json" else response.body.decode()


@pytest.fixture(autouse=True)
def _no_5xx(no_server_errors):
    pass


def test_a_tally_is_201_then_200_with_the_stored_one_and_counted_once(client, campaign, staff_headers):
    tally_id = str(uuid.uuid4())
    created = post_tally(client, staff_headers, tally_body(tally_id=tally_id))
    assert created.status_code == 201, created.body
    answer = json.loads(created.body)
    assert answer["tally_id"] == tally_id and answer["entered_by"] == "tests" and answer["counted"]
    assert answer["actions_total"] == 50 and answer["republication_due"] is False
    again = post_tally(client, staff_headers, tally_body(tally_id=tally_id, source="changed", participants=2))
    assert again.status_code == 200 and json.loads(again.body) == answer
    post_report(client, campaign, report_body())
    run_scheduled(client)
    totals = staff_totals(client, staff_headers)
    assert (totals["reports"], totals["people"], totals["actions_total"]) == (2, 41, 53)
    offline = totals["offline"]
    assert (offline["reports"], offline["people"], offline["actions_total"], offline["voided"]) == (1, 40, 50, 0)
    (listed,) = offline["tallies"]
    assert listed["tally_id"] == tally_id and listed["source"] == "Madrid group letter-writing evening"
    assert listed["entered_by"] == "tests" and listed["acted_on"] == "2026-01-09" and listed["counted"]
    public = json.loads(client.http.get("/campaigns/ua-47-22/totals").body)
    assert public["reports"] == 2 and public["actions_total"] == 53
    assert "offline" not in public and "Madrid" not in json.dumps(public)


def test_without_a_tally_id_each_post_is_a_new_tally(client, campaign, staff_headers):
    first = json.loads(post_tally(client, staff_headers, tally_body()).body)
    second = json.loads(post_tally(client, staff_headers, tally_body()).body)
    assert first["tally_id"] != second["tally_id"]
    assert staff_totals(client, staff_headers)["offline"]["reports"] == 2


@pytest.mark.parametrize("body, field", [
    (tally_body(per_target={"mayor": {"letter": 3}}), "per_target.mayor"),
    (tally_body(per_target={"governor": {"letter": "3"}}), "per_target.governor.letter"),
    (tally_body(per_target={"governor": {"letter": 2.5}}), "per_target.governor.letter"),
    (tally_body(per_target={"governor": {"banner": 1}}), "per_target.governor.banner"),
    (tally_body(per_target={"governor": {"letter": 0}}), "per_target"),
    (tally_body(participants=0), "participants"),
    (tally_body(participants=10_001), "participants"),
    (tally_body(participants="40"), "participants"),
    (tally_body(source="x" * 201), "source"),
    (tally_body(source=None), "source"),
    (tally_body(acted_on="2027-01-01"), "acted_on"),
    (tally_body(acted_on="yesterday"), "acted_on"),
    (tally_body(country="Spain"), "country"),
    (tally_body(tally_id="42"), "tally_id"),
    (tally_body(actions={"letter": 1}), "actions"),
    ([tally_body()], "body"),
])
def test_a_bad_tally_is_422_naming_the_field_and_stores_nothing(client, campaign, staff_headers, body, field):
    response = post_tally(client, staff_headers, body)
    assert response.status_code == 422, response.body
    error = json.loads(response.body)["error"]
    assert error["code"] == "validation_failed" and field in error["fields"]
    assert staff_totals(client, staff_headers)["offline"] == {
        "reports": 0, "people": 0, "actions_total": 0, "voided": 0, "tallies": [],
        "actions": {"letter": 0, "email": 0, "fax": 0, "call": 0, "tweet": 0}}


def test_unknown_campaign_bad_bodies_and_media_types(client, campaign, staff_headers):
    unknown = client.http.post("/staff/campaigns/ua-00-00/tallies", headers=staff_headers,
                               body=json.dumps(tally_body()))
    assert unknown.status_code == 404 and json.loads(unknown.body)["error"]["code"] == "campaign_not_found"
    assert client.http.post("/staff/campaigns/NOT%20AN%20ID/tallies", headers=staff_headers,
                            body=json.dumps(tally_body())).status_code == 404
    assert post_tally(client, staff_headers, "{not json").status_code == 400
    assert post_tally(client, staff_headers, "source=x", "application/x-www-form-urlencoded").status_code == 415
    assert post_tally(client, staff_headers, b"\xff\xfe", "text/csv").status_code == 400
    too_large = post_tally(client, staff_headers, "a" * (512 * 1024 + 1), "text/csv")
    assert too_large.status_code == 413 and json.loads(too_large.body)["error"]["code"] == "body_too_large"
    assert post_tally(client, staff_headers, json.dumps(tally_body(source="x" * 17_000))).status_code == 413
    assert client.http.post(TALLIES, headers={"Content-Type": "application/json"},
                            body=json.dumps(tally_body())).status_code == 401


def test_a_csv_file_is_stored_whole_with_a_bom_and_sent_again_changes_nothing(client, campaign, staff_headers):
    content = ("\ufefftally_id,source,acted_on,country,participants,governor.letter,ambassador.email\r\n"
               ",School A,2026-01-08,ES,30,20,0\r\n"
               ",\"Group, Bilbao\",2026-01-09,,,0,4\r\n").encode("utf-8")
    response = post_tally(client, staff_headers, content, "text/csv; charset=utf-8")
    assert response.status_code == 201, response.body
    answer = json.loads(response.body)
    assert (answer["created"], answer["replayed"]) == (2, 0)
    assert [t["source"] for t in answer["tallies"]] == ["School A", "Group, Bilbao"]
    assert answer["tallies"][1]["country"] == "ZZ" and answer["tallies"][1]["participants"] == 1
    again = post_tally(client, staff_headers, content, "text/csv")
    assert again.status_code == 200 and json.loads(again.body)["replayed"] == 2
    assert [t["tally_id"] for t in json.loads(again.body)["tallies"]] == [t["tally_id"] for t in answer["tallies"]]
    offline = staff_totals(client, staff_headers)["offline"]
    assert (offline["reports"], offline["people"], offline["actions_total"]) == (2, 31, 24)


def test_a_csv_file_with_a_bad_row_is_422_by_row_and_field_and_stores_nothing(client, campaign, staff_headers):
    content = ("source,acted_on,country,governor.letter\r\n"
               "School A,2026-01-08,ES,20\r\n"
               "School B,2026-01-08,Spain,20\r\n"
               "School C,2026-01-08,ES,lots\r\n")
    response = post_tally(client, staff_headers, content, "text/csv")
    assert response.status_code == 422
    error = json.loads(response.body)["error"]
    assert error["code"] == "validation_failed"
    assert set(error["fields"]) == {"row 3.country", "row 4.per_target.governor.letter"}
    assert staff_totals(client, staff_headers)["offline"]["tallies"] == []
    assert json.loads(client.http.get("/staff/campaigns/ua-47-22/reports", headers=staff_headers).body)[
        "reports"] == []


def test_a_tally_on_a_closed_campaign_is_published_as_one_new_version(client, campaign, staff_headers,
                                                                      fake_clock):
    post_report(client, campaign, report_body())
    fake_clock.advance(days=11)
    run_scheduled(client)
    assert staff_totals(client, staff_headers)["version"] == 1
    response = post_tally(client, staff_headers, tally_body(acted_on="2026-01-19"))
    assert response.status_code == 201 and json.loads(response.body)["republication_due"] is True
    run_scheduled(client)
    run_scheduled(client)
    totals = staff_totals(client, staff_headers)
    assert totals["version"] == 2 and totals["reports"] == 2 and totals["offline"]["reports"] == 1
    public = json.loads(client.http.get("/campaigns/ua-47-22/totals").body)
    assert public["final"] and public["reports"] == 2
    rows = staff_totals(client, staff_headers, "csv").splitlines()
    assert "ua-47-22,true," in rows[1] and any(",offline_reports,,1" in row for row in rows)
    assert any(",offline_tally," in row and row.endswith(",50") for row in rows)


def test_the_reports_export_lists_a_tally_with_its_source_and_who_entered_it(client, campaign, staff_headers):
    tally_id = json.loads(post_tally(client, staff_headers, tally_body(source="=HYPERLINK(1)")).body)["tally_id"]
    export = json.loads(client.http.get("/staff/campaigns/ua-47-22/reports", headers=staff_headers).body)
    (record,) = export["reports"]
    assert record["submission_id"] == tally_id and record["offline_source"] == "=HYPERLINK(1)"
    assert record["offline_entered_by"] == "tests" and record["offline_acted_on"] == "2026-01-09"
    csv_export = client.http.get("/staff/campaigns/ua-47-22/reports?format=csv", headers=staff_headers).body.decode()
    header, row = csv_export.splitlines()[:2]
    assert header.endswith("offline_source,offline_entered_by,offline_entered_at,offline_acted_on")
    assert "'=HYPERLINK(1)" in row   # neutralised against formula injection
