"""Late reports: taken after the deadline for actions before it, within the campaign's late
days; version 1 without them, amended versions with them, a last recount at the window's end."""
import threading
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.counting import late, tallying
from chalicelib.counting.intake import submit_report
from chalicelib.domain.errors import CampaignClosed, ValidationFailed
from chalicelib.domain.totals import Tally
from tests.conftest import campaign_body, report_body
from tests.streams import fold_stream

CAMPAIGN = "ua-47-22"


def late_body(**overrides):
    return report_body(acted_before_deadline=True, **overrides)


def run(store, settings, fake_clock):
    fold_stream(store)
    return tallying.run_tally(store, settings, fake_clock())


def window_end(ua, settings):
    return ua.late_reports_end(settings.late_report_days)


def closed_with_one_late(store, settings, fake_clock, ua):
    """Two reports in time, one late before the close and one after it; the close has run."""
    submit_report(store, settings, CAMPAIGN, report_body(actions={"letter": 1}))
    submit_report(store, settings, CAMPAIGN, report_body(actions={"email": 2}))
    fake_clock.set(ua.closes_at + timedelta(seconds=5))
    before_close = submit_report(store, settings, CAMPAIGN, late_body(actions={"letter": 3}, participants=4))
    assert before_close.created and before_close.body()["status"] == "recorded_late"
    fake_clock.set(ua.closes_at + timedelta(seconds=settings.settle_seconds))
    run(store, settings, fake_clock)
    return before_close


def test_a_report_after_the_deadline_for_actions_before_it_is_taken_late(store, settings, fake_clock, ua):
    fake_clock.set(ua.closes_at)
    receipt = submit_report(store, settings, CAMPAIGN, late_body())
    assert receipt.created and receipt.report.late and receipt.body()["status"] == "recorded_late"
    (stored,) = store.all_reports(ua)
    assert stored.late and stored.received_at == ua.closes_at
    again = submit_report(store, settings, CAMPAIGN, {**late_body(), "submission_id": receipt.report.submission_id})
    assert not again.created and again.body()["status"] == "recorded_late"


def test_in_time_a_report_is_never_late_whatever_it_says(store, settings, fake_clock, ua):
    receipt = submit_report(store, settings, CAMPAIGN, late_body())
    assert receipt.body()["status"] == "recorded" and not receipt.report.late


@pytest.mark.parametrize("said", [None, False])
def test_after_the_deadline_without_saying_so_is_410_naming_the_field(store, settings, fake_clock, ua, said):
    fake_clock.set(ua.closes_at + timedelta(days=2))
    body = report_body() if said is None else report_body(acted_before_deadline=said)
    with pytest.raises(CampaignClosed) as refused:
        submit_report(store, settings, CAMPAIGN, body)
    assert refused.value.status == 410 and "acted_before_deadline" in refused.value.fields
    assert "acted_before_deadline" in refused.value.message
    assert list(store.all_reports(ua)) == []


def test_a_bad_acted_before_deadline_is_422_naming_it(store, settings, fake_clock, ua):
    fake_clock.set(ua.closes_at + timedelta(days=1))
    with pytest.raises(ValidationFailed) as refused:
        submit_report(store, settings, CAMPAIGN, report_body(acted_before_deadline="yes"))
    assert "acted_before_deadline" in refused.value.fields
    assert list(store.all_reports(ua)) == []


def test_after_the_window_everything_is_410_without_the_hint(store, settings, fake_clock, ua):
    fake_clock.set(window_end(ua, settings))
    with pytest.raises(CampaignClosed) as refused:
        submit_report(store, settings, CAMPAIGN, late_body())
    assert refused.value.fields == {} and list(store.all_reports(ua)) == []
    fake_clock.set(window_end(ua, settings) - timedelta(microseconds=1))
    assert submit_report(store, settings, CAMPAIGN, late_body()).created   # its last instant is in


def test_a_campaign_of_no_late_days_takes_none_and_is_settled_at_its_close(store, settings, fake_clock):
    from chalicelib.staff.campaign_admin import save_campaign
    ua, _ = save_campaign(store, CAMPAIGN, campaign_body(late_report_days=0), fake_clock(), 2)
    fake_clock.set(ua.closes_at)
    with pytest.raises(CampaignClosed) as refused:
        submit_report(store, settings, CAMPAIGN, late_body())
    assert refused.value.fields == {}
    fake_clock.set(ua.closes_at + timedelta(seconds=settings.settle_seconds))
    run(store, settings, fake_clock)
    assert store.get_campaign(CAMPAIGN).late_settled
    assert store.campaigns_taking_late_reports(fake_clock(), late.longest_window(settings)) == []


def test_the_setting_gives_the_days_a_campaign_does_not(store, fake_clock, ua):
    from chalicelib.runtime.config import load_settings
    few = load_settings({"TABLE_NAME": "t", "FORM_TOKEN_SECRET": "x" * 32, "LATE_REPORT_DAYS": "3"})
    assert ua.late_reports_end(few.late_report_days) == ua.closes_at + timedelta(days=3)
    assert replace(ua, late_report_days=9).late_reports_end(few.late_report_days) == ua.closes_at + timedelta(days=9)
    with pytest.raises(ValueError):
        load_settings({"LATE_REPORT_DAYS": "91"})
    assert load_settings({}).late_report_days == 14 and load_settings({}).late_publication_seconds == 86400


def test_version_1_counts_no_late_report_and_the_amendment_counts_them(store, settings, fake_clock, ua):
    closed_with_one_late(store, settings, fake_clock, ua)
    first = store.latest_final(CAMPAIGN)
    assert (first.version, first.tally.reports, first.tally.late_reports) == (1, 2, 0)
    assert first.public_view(ua, 1)["late_reports"] == {"reports": 0, "actions_total": 0, "people": 0}

    fake_clock.advance(hours=2)
    submit_report(store, settings, CAMPAIGN, late_body(actions={"call": 1}))
    run(store, settings, fake_clock)
    assert store.latest_final(CAMPAIGN).version == 1   # LATE_PUBLICATION_SECONDS not yet passed

    fake_clock.set(first.as_of + timedelta(seconds=settings.late_publication_seconds))
    summary = run(store, settings, fake_clock)
    amended = store.latest_final(CAMPAIGN)
    assert summary.amended == [CAMPAIGN] and amended.version == 2
    assert amended.tally == Tally.of(store.all_reports(ua))
    assert amended.tally.late() == {"reports": 2, "actions_total": 4, "people": 5}
    assert store.get_campaign(CAMPAIGN).published_version == 2   # handed to the publication, announced

    fake_clock.advance(days=2)
    assert run(store, settings, fake_clock).amended == []    # nothing new came: no version
    assert [totals.version for totals in store.final_versions(CAMPAIGN)] == [1, 2]


def test_the_windows_end_recounts_from_the_table_what_the_stream_missed(store, settings, fake_clock, ua):
    closed_with_one_late(store, settings, fake_clock, ua)
    fake_clock.set(window_end(ua, settings) - timedelta(seconds=1))
    submit_report(store, settings, CAMPAIGN, late_body(actions={"fax": 1}))   # racing the end: accepted
    fake_clock.set(window_end(ua, settings))
    with pytest.raises(CampaignClosed):
        submit_report(store, settings, CAMPAIGN, late_body())                 # at the end: refused
    fake_clock.set(window_end(ua, settings) + timedelta(seconds=settings.settle_seconds))
    summary = tallying.run_tally(store, settings, fake_clock())   # the stream not folded at all
    final = store.latest_final(CAMPAIGN)
    assert summary.amended == [CAMPAIGN] and final.tally == Tally.of(store.all_reports(ua))
    assert final.tally.late_reports == 2 and store.get_campaign(CAMPAIGN).late_settled
    assert run(store, settings, fake_clock).amended == []
    assert len(store.final_versions(CAMPAIGN)) == 2


@pytest.mark.parametrize("step", ["publish_final", "mark_publication_due", "mark_late_settled"])
def test_a_run_dying_after_any_step_of_the_amendment_is_finished_by_the_next(store, settings, fake_clock, ua,
                                                                               monkeypatch, step):
    closed_with_one_late(store, settings, fake_clock, ua)
    fake_clock.set(window_end(ua, settings) + timedelta(seconds=settings.settle_seconds))
    real = getattr(store, step)

    def dies_after(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("the function timed out")

    monkeypatch.setattr(store, step, dies_after)
    with pytest.raises(RuntimeError):
        run(store, settings, fake_clock)
    monkeypatch.undo()
    fake_clock.advance(minutes=1)
    run(store, settings, fake_clock)
    versions = store.final_versions(CAMPAIGN)
    assert [totals.version for totals in versions] == [1, 2]
    assert versions[-1].tally == Tally.of(store.all_reports(ua)) and versions[-1].tally.late_reports == 1
    campaign = store.get_campaign(CAMPAIGN)
    assert campaign.late_settled and campaign.published_version == 2 and not campaign.publication_due


def test_concurrent_runs_publish_one_amendment(store, settings, fake_clock, ua):
    closed_with_one_late(store, settings, fake_clock, ua)
    fake_clock.set(window_end(ua, settings) + timedelta(seconds=settings.settle_seconds))
    campaign = store.get_campaign(CAMPAIGN)
    threads = [threading.Thread(target=late.amend_with_late_reports, args=(store, settings, campaign, fake_clock()))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [totals.version for totals in store.final_versions(CAMPAIGN)] == [1, 2]


def test_a_void_of_a_late_report_after_its_amendment_publishes_the_next_version(store, settings, fake_clock, ua):
    from chalicelib.counting import voiding
    late_one = closed_with_one_late(store, settings, fake_clock, ua)
    fake_clock.set(store.latest_final(CAMPAIGN).as_of + timedelta(seconds=settings.late_publication_seconds))
    run(store, settings, fake_clock)
    voiding.void_report(store, CAMPAIGN, late_one.report.report_id, reason="a test", by="staff", now=fake_clock())
    run(store, settings, fake_clock)
    latest = store.latest_final(CAMPAIGN)
    assert latest.version == 3 and latest.tally.late_reports == 0 and latest.tally.reports == 2


def test_staff_totals_show_the_late_reports_not_yet_published(store, settings, fake_clock, ua):
    from chalicelib.counting.shown import staff_totals
    closed_with_one_late(store, settings, fake_clock, ua)
    fold_stream(store)
    view = staff_totals(store, store.get_campaign(CAMPAIGN))
    assert view["version"] == 1 and view["late_reports"]["reports"] == 0
    assert view["late_reports_unpublished"] == {"reports": 1, "actions_total": 3, "people": 4}


def test_provisional_totals_fold_late_reports_like_any_other(store, settings, fake_clock, ua):
    submit_report(store, settings, CAMPAIGN, report_body())
    fake_clock.set(ua.closes_at + timedelta(seconds=1))
    submit_report(store, settings, CAMPAIGN, late_body(participants=2))
    fold_stream(store)
    shown = tallying.current_totals(store, store.get_campaign(CAMPAIGN)).tally
    assert shown == Tally.of(store.all_reports(ua)) and (shown.reports, shown.late_reports, shown.late_people) == (
        2, 1, 2)
