"""A deadline moved while the campaign is open: audited (who, when, from, to), honoured by
the scheduled job, and a report that arrives after the old deadline but before the new one
is accepted and counted in the final totals. A deadline in the past is refused; a closed
campaign is never reopened (its case continues in a Further Information update)."""
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.counting import tallying
from chalicelib.counting.intake import submit_report
from chalicelib.domain import clock
from chalicelib.domain.campaign import DeadlineTooSoon
from chalicelib.domain.errors import CampaignClosed
from chalicelib.staff.campaign_admin import save_campaign
from chalicelib.storage import StaleWrite
from tests.api.test_campaigns import assert_error, json_of, put_campaign
from tests.conftest import campaign_body, post_report, report_body, run_scheduled

CAMPAIGN = "ua-47-22"
OLD = "2026-01-20T23:59:59-04:00"      # 2026-01-21T03:59:59Z
NEW = "2026-01-25T23:59:59-04:00"      # 2026-01-26T03:59:59Z
OLD_UTC, NEW_UTC = datetime(2026, 1, 21, 3, 59, 59, tzinfo=timezone.utc), datetime(2026, 1, 26, 3, 59, 59,
                                                                                   tzinfo=timezone.utc)


def moves(store):
    return [entry for entry in store.audit_entries(CAMPAIGN) if entry.action == "deadline_moved"]


def test_moving_the_deadline_later_is_audited_with_who_when_and_both_deadlines(client, campaign, staff_headers,
                                                                                store, fake_clock):
    fake_clock.advance(hours=2)
    response = put_campaign(client, staff_headers, CAMPAIGN, campaign_body(deadline=NEW))
    assert response.status_code == 200, response.body
    assert json_of(response)["deadline"] == "2026-01-26T03:59:59Z"
    (entry,) = moves(store)
    assert entry.by == "staff token: tests" and entry.at == fake_clock() and entry.report_id == ""
    assert entry.details == {"old_deadline": "2026-01-21T03:59:59Z", "new_deadline": "2026-01-26T03:59:59Z"}
    assert entry.reason == "deadline moved from 2026-01-21T03:59:59Z to 2026-01-26T03:59:59Z"


def test_an_edit_that_keeps_the_deadline_leaves_no_audit_entry(client, campaign, staff_headers, store):
    assert put_campaign(client, staff_headers, CAMPAIGN, campaign_body(title="A new title")).status_code == 200
    assert moves(store) == []


def test_moving_it_earlier_is_audited_too(client, campaign, staff_headers, store):
    assert put_campaign(client, staff_headers, CAMPAIGN, campaign_body(deadline="2026-01-15")).status_code == 200
    (entry,) = moves(store)
    assert entry.details["new_deadline"] == "2026-01-15T23:59:59Z"


@pytest.mark.parametrize("deadline", ["2026-01-10T11:59:59Z", "2026-01-09", "2020-01-01T00:00:00Z",
                                      "2026-01-10T12:00:00Z"])
def test_a_deadline_in_the_past_is_422_naming_deadline_and_changes_nothing(client, campaign, staff_headers,
                                                                         store, deadline):
    before = store.get_campaign(CAMPAIGN)
    error = assert_error(put_campaign(client, staff_headers, CAMPAIGN, campaign_body(deadline=deadline)), 422,
                         "validation_failed", "deadline")
    assert error["fields"]["deadline"]
    assert store.get_campaign(CAMPAIGN) == before and moves(store) == []


def test_too_soon_an_earlier_deadline_is_422_and_leaves_no_entry(client, campaign, staff_headers, store, fake_clock):
    soon = clock.format_timestamp(fake_clock() + timedelta(seconds=5))
    assert_error(put_campaign(client, staff_headers, CAMPAIGN, campaign_body(deadline=soon)), 422,
                 "validation_failed", "deadline")
    assert moves(store) == []


def test_the_scheduled_job_honours_the_new_deadline_and_counts_a_report_between_the_two(
        client, campaign, staff_headers, store, settings, fake_clock):
    assert post_report(client, campaign, report_body()).status_code == 201
    assert put_campaign(client, staff_headers, CAMPAIGN, campaign_body(deadline=NEW)).status_code == 200
    old_close = OLD_UTC + timedelta(seconds=1)

    fake_clock.set(old_close + timedelta(seconds=settings.settle_seconds + 60))   # well past the old deadline
    run_scheduled(client)
    assert store.get_campaign(CAMPAIGN).state == "open"                            # not closed at the old one
    late_for_the_old = post_report(client, campaign, report_body(actions={"call": 4}))
    assert late_for_the_old.status_code == 201, late_for_the_old.body

    new_close = NEW_UTC + timedelta(seconds=1)
    fake_clock.set(new_close - timedelta(seconds=1))                               # the new deadline's own second
    assert post_report(client, campaign, report_body(actions={"fax": 1})).status_code == 201
    fake_clock.set(new_close)
    refused = post_report(client, campaign, report_body())
    assert_error(refused, 410, "campaign_closed")

    fake_clock.set(new_close + timedelta(seconds=settings.settle_seconds))
    run_scheduled(client)
    final = json_of(client.http.get(f"/staff/campaigns/{CAMPAIGN}/totals", headers=staff_headers))
    assert final["final"] is True and final["reports"] == 3
    assert final["actions"]["call"] == 4 and final["actions"]["fax"] == 1
    assert store.get_campaign(CAMPAIGN).state == "closed"


def test_a_closed_campaign_is_never_reopened(client, campaign, staff_headers, store, settings, fake_clock):
    fake_clock.set(OLD_UTC + timedelta(seconds=1))
    error = assert_error(put_campaign(client, staff_headers, CAMPAIGN, campaign_body(deadline=NEW)), 409,
                         "campaign_closed")
    assert "Further Information update" in error["message"]
    fake_clock.advance(seconds=settings.settle_seconds)
    run_scheduled(client)
    assert_error(put_campaign(client, staff_headers, CAMPAIGN, campaign_body(deadline=NEW)), 409, "campaign_closed")
    campaign_now = store.get_campaign(CAMPAIGN)
    assert campaign_now.state == "closed" and clock.format_public(campaign_now.deadline) == "2026-01-21T03:59:59Z"
    assert moves(store) == []
    assert_error(post_report(client, campaign, report_body()), 410, "campaign_closed")


def test_a_move_racing_the_close_either_lands_before_it_or_is_refused(store, settings, fake_clock, ua):
    """The storage write is conditional on the campaign being open, its deadline ahead and
    unchanged since read: a move read before the close and written after it is refused."""
    read_before = store.get_whole_campaign(CAMPAIGN)
    fake_clock.set(ua.closes_at + timedelta(seconds=settings.settle_seconds))
    tallying.run_tally(store, settings, fake_clock())
    later = replace(read_before, deadline=read_before.deadline + timedelta(days=5), updated_at=fake_clock())
    with pytest.raises(StaleWrite):
        store.replace_campaign(later, read_before, read_before.deadline - timedelta(minutes=1))
    assert store.get_campaign(CAMPAIGN).state == "closed" and moves(store) == []


def test_the_staff_cli_close_moves_the_deadline_with_an_audit_entry(store, settings, fake_clock, ua):
    soon = fake_clock() + timedelta(minutes=1)
    fake_clock.advance(seconds=1)
    assert store.move_deadline(ua, soon, fake_clock(), by="staff CLI (ana)")
    (entry,) = moves(store)
    assert entry.by == "staff CLI (ana)" and entry.details["new_deadline"] == clock.format_public(soon)
    assert not store.move_deadline(ua, soon - timedelta(seconds=10), fake_clock())   # stale read: no entry
    assert len(moves(store)) == 1
    with pytest.raises(DeadlineTooSoon):
        store.move_deadline(store.get_campaign(CAMPAIGN), fake_clock() + timedelta(seconds=2), fake_clock())


def test_after_the_move_reports_between_the_deadlines_count_exactly_once(store, settings, fake_clock, ua):
    """Through the intake itself, with replays: each accepted report in the final totals once."""
    save_campaign(store, CAMPAIGN, campaign_body(deadline=NEW), fake_clock(), settings.report_shards)
    fake_clock.set(ua.closes_at + timedelta(hours=1))   # past the old deadline
    bodies = [report_body() for _ in range(4)]
    for body in bodies + bodies[:2]:                       # two replays
        submit_report(store, settings, CAMPAIGN, body)
    moved = store.get_campaign(CAMPAIGN)
    fake_clock.set(moved.closes_at)
    with pytest.raises(CampaignClosed):
        submit_report(store, settings, CAMPAIGN, report_body())
    fake_clock.set(moved.closes_at + timedelta(seconds=settings.settle_seconds))
    tallying.run_tally(store, settings, fake_clock())
    final = store.latest_final(CAMPAIGN)
    assert final.tally.reports == 4 and final.version == 1
    assert json.dumps(final.tally.as_dict()) == json.dumps(
        type(final.tally).of(store.all_reports(store.get_campaign(CAMPAIGN))).as_dict())
