"""How a report becomes counts (Tally.add, the one place): people, and what reached each
official; the stored shape, old and new; the views, public ones withholding small cells."""
from collections import Counter
from datetime import datetime, timezone

from chalicelib.domain.campaign import parse_campaign
from chalicelib.domain.report import Report
from chalicelib.domain.totals import Tally, Totals
from tests.conftest import START, campaign_body

CAMPAIGN = parse_campaign("ua-47-22", campaign_body(), START)
AT = datetime(2026, 1, 10, 12, tzinfo=timezone.utc)


def report(**fields):
    return Report(**{"submission_id": "s", "actions": {"letter": 2}, "targets": ("governor",), "country": "MX",
                     "received_at": AT, **fields})


def test_a_v2_report_counts_what_reached_each_official_and_its_people():
    tally = Tally.of([report(actions={"letter": 2, "email": 1}, targets=("ambassador", "governor"),
                             per_target={"governor": {"letter": 2}, "ambassador": {"email": 1}}, participants=7)])
    assert tally.people == 7 and tally.reports == 1
    assert tally.by_target_action == Counter({"governor.letter": 2, "ambassador.email": 1})
    assert tally.target_actions() == {"governor": {"letter": 2}, "ambassador": {"email": 1}}


def test_a_v1_report_is_its_one_officials_or_unattributed():
    tally = Tally.of([report(), report(targets=("ambassador", "governor"), actions={"call": 1})])
    assert tally.by_target_action == Counter({"governor.letter": 2, "unattributed.call": 1})
    assert tally.people == 2


def test_tallies_add_up_and_survive_being_stored():
    first, second = Tally.of([report(participants=3)]), Tally.of([report(per_target={"governor": {"letter": 2}})])
    both = first + second
    assert both.people == 4 and both.by_target_action["governor.letter"] == 4
    assert Tally.from_dict(both.as_dict()) == both


def test_a_tally_stored_before_people_counts_each_report_as_one_person():
    old = {"reports": 3, "actions": {"letter": 5}, "by_target": {"governor": 3}, "by_country": {"MX": 3},
           "by_day": {"2026-01-10": 3}}
    tally = Tally.from_dict(old)
    assert tally.people == 3 and tally.by_target_action == Counter()


def test_the_public_view_withholds_small_cells_and_the_staff_view_does_not():
    one_letter = report(actions={"letter": 1}, per_target={"governor": {"letter": 1}})
    tally = Tally.of([one_letter] * 12 + [report(actions={"fax": 2}, targets=("ambassador",))])
    totals = Totals("ua-47-22", tally, False, AT)
    public, staff = totals.public_view(CAMPAIGN, 10), totals.staff_view(CAMPAIGN)
    assert staff["by_target_action"]["ambassador"]["fax"] == 2 and staff["actions"]["letter"] == 12
    assert public["by_target_action"]["ambassador"]["fax"] is None
    assert public["actions"]["fax"] is None and public["actions"]["letter"] is None   # 14 - 12 would say it
    assert public["reports"] == 13 and public["actions_total"] == 14 and public["small_cell_min"] == 10
    assert "unattributed" not in public["by_target_action"]
    assert totals.public_view(CAMPAIGN, 1)["actions"]["fax"] == 2   # SMALL_CELL_MIN=1 shows every figure
