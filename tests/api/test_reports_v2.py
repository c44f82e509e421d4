"""Reports per official (contract v2) and group reports through the API: ``per_target``,
``participants``, the group threshold, and the totals' ``people`` and ``by_target_action``
(``unattributed`` for a v1 report naming several officials), public ones with small cells
withheld. v1 bodies stay valid (tests/api/test_reports.py)."""
import json

import pytest

from tests.api.test_reports import assert_error, counted, json_of
from tests.conftest import post_report, report_body

CAMPAIGN = "ua-47-22"
pytestmark = pytest.mark.usefixtures("no_server_errors")


DEFAULT = {"governor": {"letter": 2}, "ambassador": {"email": 1, "fax": 1}}


def v2_body(per_target=DEFAULT, **overrides):
    body = {key: value for key, value in report_body().items() if key not in ("actions", "targets")}
    body["per_target"] = per_target
    body.update(overrides)
    return body


def public_totals(client):
    response = client.http.get(f"/campaigns/{CAMPAIGN}/totals")
    assert response.status_code == 200, response.body
    return json_of(response)


def test_a_per_target_report_is_counted_for_each_official_exactly_once(client, campaign, staff_headers, fake_clock):
    body = v2_body()
    first = post_report(client, campaign, body)
    replay = post_report(client, campaign, body)

    assert (first.status_code, replay.status_code) == (201, 200)
    assert json_of(replay)["report_id"] == json_of(first)["report_id"]
    totals = counted(client, staff_headers, fake_clock=fake_clock)
    assert totals["reports"] == 1 and totals["people"] == 1 and totals["actions_total"] == 4
    assert totals["actions"] == {"letter": 2, "email": 1, "fax": 1, "call": 0, "tweet": 0}
    assert totals["by_target"] == {"governor": 1, "ambassador": 1}
    assert totals["by_target_action"] == {
        "governor": {"letter": 2, "email": 0, "fax": 0, "call": 0, "tweet": 0},
        "ambassador": {"letter": 0, "email": 1, "fax": 1, "call": 0, "tweet": 0}}


def test_a_v1_report_naming_one_official_is_theirs_and_one_naming_several_is_unattributed(
        client, campaign, staff_headers, fake_clock):
    post_report(client, campaign, report_body(actions={"letter": 1}, targets=["ambassador"]))
    post_report(client, campaign, report_body(actions={"letter": 3, "call": 1}, targets=["governor", "ambassador"]))

    totals = counted(client, staff_headers, fake_clock=fake_clock)
    assert totals["by_target_action"]["ambassador"]["letter"] == 1
    assert totals["by_target_action"]["governor"]["letter"] == 0
    assert totals["by_target_action"]["unattributed"] == {"letter": 3, "email": 0, "fax": 0, "call": 1, "tweet": 0}
    assert totals["by_target"] == {"governor": 1, "ambassador": 2}   # reports naming each, as in v1


def test_a_target_whose_counts_are_all_zero_is_not_named(client, campaign, staff_headers, fake_clock):
    post_report(client, campaign, v2_body({"governor": {"letter": 1}, "ambassador": {"letter": 0, "email": 0}}))

    totals = counted(client, staff_headers, fake_clock=fake_clock)
    assert totals["by_target"] == {"governor": 1, "ambassador": 0}


def test_participants_are_counted_as_people_and_raise_the_cap_per_count(client, campaign, staff_headers,
                                                                        fake_clock):
    assert post_report(client, campaign, v2_body({"governor": {"letter": 120}}, participants=3)).status_code == 201
    assert post_report(client, campaign, report_body(participants=2)).status_code == 201
    refused = post_report(client, campaign, v2_body({"governor": {"letter": 151}}, participants=3))

    error = assert_error(refused, 422, "validation_failed", "per_target.governor.letter")
    assert error["fields"]["per_target.governor.letter"] == "must be between 0 and 150"
    totals = counted(client, staff_headers, fake_clock=fake_clock)
    assert totals["people"] == 5 and totals["reports"] == 2 and totals["actions"]["letter"] == 122


BAD_V2 = {
    "both shapes at once": (v2_body(actions={"letter": 1}, targets=["governor"]),
                            {"per_target", "actions", "targets"}),
    "per_target and actions": (v2_body(actions={"letter": 1}), {"per_target", "actions"}),
    "per_target and targets": (v2_body(targets=["governor"]), {"per_target", "targets"}),
    "unknown target": (v2_body({"president": {"letter": 1}}), {"per_target.president"}),
    "unknown action": (v2_body({"governor": {"vote": 1}}), {"per_target.governor.vote"}),
    "a count as a string": (v2_body({"governor": {"letter": "2"}}), {"per_target.governor.letter"}),
    "a fractional count": (v2_body({"governor": {"letter": 1.5}}), {"per_target.governor.letter"}),
    "a count of true": (v2_body({"governor": {"letter": True}}), {"per_target.governor.letter"}),
    "a negative count": (v2_body({"governor": {"letter": -1}}), {"per_target.governor.letter"}),
    "a count over the cap": (v2_body({"governor": {"letter": 51}}), {"per_target.governor.letter"}),
    "every count zero": (v2_body({"governor": {"letter": 0}}), {"per_target"}),
    "no official": (v2_body({}), {"per_target"}),
    "per_target null": (v2_body(None), {"per_target"}),
    "per_target a list": (v2_body([{"governor": {"letter": 1}}]), {"per_target"}),
    "counts not an object": (v2_body({"governor": 3}), {"per_target.governor"}),
    "participants zero": (v2_body(participants=0), {"participants"}),
    "participants over the maximum": (v2_body(participants=501), {"participants"}),
    "participants a string": (v2_body(participants="12"), {"participants"}),
    "participants fractional": (v2_body(participants=2.5), {"participants"}),
    "participants null": (v2_body(participants=None), {"participants"}),
    "participants of a v1 report": (report_body(participants=-3), {"participants"}),
}


@pytest.mark.parametrize("case", list(BAD_V2))
def test_a_bad_v2_report_is_422_naming_the_fields_and_stores_nothing(client, campaign, staff_headers, fake_clock,
                                                                     case):
    body, fields = BAD_V2[case]

    response = post_report(client, campaign, json.dumps(body))

    error = assert_error(response, 422, "validation_failed")
    assert fields <= set(error["fields"]), error
    assert len(json.dumps(error)) < 1000, error
    assert counted(client, staff_headers, fake_clock=fake_clock)["reports"] == 0


def test_a_hostile_key_is_named_shortened_in_the_error(client, campaign):
    response = post_report(client, campaign, v2_body({"g" * 5000: {"letter": 1}, "governor": {"x" * 5000: 1}}))

    error = assert_error(response, 422, "validation_failed")
    assert len(json.dumps(error)) < 1000 and all(len(field) < 100 for field in error["fields"]), error


def test_a_large_group_without_a_contact_is_answered_alike_and_waits_for_review(client, campaign, staff_headers,
                                                                               fake_clock):
    # Given a report for more people than GROUP_REVIEW_THRESHOLD (50) and no consented contact
    large = post_report(client, campaign, v2_body({"governor": {"letter": 60}}, participants=51))
    # and two that are counted: at the threshold, and over it with a way to reach the sender
    at_threshold = post_report(client, campaign, v2_body({"governor": {"letter": 50}}, participants=50))
    reachable = post_report(client, campaign, v2_body({"ambassador": {"call": 2}}, participants=80,
                                                      contact_email="teacher@example.org", consent=True))

    # Then all are answered alike
    assert [r.status_code for r in (large, at_threshold, reachable)] == [201, 201, 201]
    assert json_of(large).keys() == json_of(reachable).keys() == {"report_id", "campaign_id", "status"}
    # and the large anonymous one is kept for review, not counted
    totals = counted(client, staff_headers, fake_clock=fake_clock)
    assert totals["reports"] == 2 and totals["people"] == 130
    flagged = json_of(client.http.get(f"/staff/campaigns/{CAMPAIGN}/flagged", headers=staff_headers))
    assert flagged["by_reason"] == {"large_group": 1}
    assert flagged["reports"][0]["participants"] == 51
    assert flagged["reports"][0]["per_target"] == {"governor": {"letter": 60}}

    # When staff reinstate it, its people and letters are counted
    reinstated = client.http.post(f"/staff/campaigns/{CAMPAIGN}/reports/{json_of(large)['report_id']}/reinstate",
                                  headers=staff_headers, body=json.dumps({"reason": "a school we know",
                                                                          "by": "Ana"}))
    assert reinstated.status_code == 200, reinstated.body
    totals = counted(client, staff_headers, fake_clock=fake_clock)
    assert totals["people"] == 181 and totals["by_target_action"]["governor"]["letter"] == 110


def test_a_name_without_an_email_is_no_contact_for_a_large_group(client, campaign, staff_headers, fake_clock):
    post_report(client, campaign, v2_body(participants=51, name="Ana", consent=True))

    flagged = json_of(client.http.get(f"/staff/campaigns/{CAMPAIGN}/flagged", headers=staff_headers))
    assert flagged["by_reason"] == {"large_group": 1}


def test_public_totals_withhold_small_cells_and_staff_totals_keep_them(client, campaign, staff_headers,
                                                                       fake_clock):
    for _ in range(12):
        post_report(client, campaign, v2_body({"governor": {"letter": 1}}))
    post_report(client, campaign, v2_body({"governor": {"email": 3}, "ambassador": {"letter": 2}}))
    staff = counted(client, staff_headers, fake_clock=fake_clock)

    public = public_totals(client)

    assert staff["by_target_action"]["governor"] == {"letter": 12, "email": 3, "fax": 0, "call": 0, "tweet": 0}
    assert public["small_cell_min"] == 10 and public["reports"] == 13 and public["people"] == 13
    assert public["actions_total"] == 17   # totals are shown as they are
    # emails (3) are withheld, and letters with them, or 17 - 14 would say it
    assert public["actions"] == {"letter": None, "email": None, "fax": 0, "call": 0, "tweet": 0}
    assert public["by_target"] == {"governor": 13, "ambassador": None}
    assert public["by_target_action"]["governor"] == {"letter": None, "email": None, "fax": 0, "call": 0,
                                                      "tweet": 0}
    assert public["by_target_action"]["ambassador"]["letter"] is None
    assert "by_country" not in public


def test_public_totals_show_every_cell_of_ten_or_more(client, campaign, staff_headers, fake_clock):
    for _ in range(10):
        post_report(client, campaign, v2_body({"governor": {"letter": 1}, "ambassador": {"email": 2}}))
    counted(client, staff_headers, fake_clock=fake_clock)

    public = public_totals(client)

    assert public["actions"] == {"letter": 10, "email": 20, "fax": 0, "call": 0, "tweet": 0}
    assert public["by_target_action"]["ambassador"]["email"] == 20 and public["by_target"]["ambassador"] == 10
