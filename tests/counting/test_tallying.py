"""The scheduled job: provisional folding, closing, and exactly-once publication."""
import itertools
import threading
import uuid
from datetime import timedelta

import pytest

from chalicelib.counting import tallying
from chalicelib.counting.intake import submit_report
from chalicelib.domain.errors import CampaignClosed
from chalicelib.domain.report import parse_report
from chalicelib.domain.totals import Tally
from tests.conftest import report_body
from tests.streams import fold_stream

CAMPAIGN = "ua-47-22"


_SHAPES = itertools.cycle(["v1", "per_target", "group"])


def submit(store, settings, **overrides):
    """A report; unless the test says what it sends, the shape turns: v1's, per official, and
    per official for a group of three, so that every exactness test here covers all three."""
    body = report_body(**overrides)
    shape = next(_SHAPES)
    if shape != "v1" and not {"actions", "targets"} & set(overrides):
        del body["actions"], body["targets"]
        body["per_target"] = {"governor": {"letter": 2}, "ambassador": {"email": 1, "call": 1}}
        if shape == "group":
            body["participants"] = 3
    return submit_report(store, settings, CAMPAIGN, body)


def recount(store):
    """An independent count of what is stored, straight from the table."""
    return Tally.of(store.all_reports(store.get_campaign(CAMPAIGN)))


def run(store, settings, fake_clock):
    return tallying.run_tally(store, settings, fake_clock())


def test_provisional_totals_are_what_the_stream_folded(store, settings, fake_clock, ua):
    submit(store, settings, actions={"letter": 2})
    fold_stream(store)
    assert tallying.current_totals(store, ua).tally.reports == 1

    fake_clock.advance(seconds=10)
    submit(store, settings, actions={"email": 3}, targets=["governor", "ambassador"], country="ES")
    assert tallying.current_totals(store, ua).tally.reports == 1   # not folded yet
    fake_clock.advance(seconds=5)
    fold_stream(store)

    totals = tallying.current_totals(store, ua)
    assert totals.final is False and totals.as_of == fake_clock()
    assert totals.tally == recount(store)
    assert totals.tally.actions == {"letter": 2, "email": 3}
    assert totals.tally.by_target == {"governor": 2, "ambassador": 1}


def test_the_scheduled_run_leaves_open_campaigns_totals_to_the_stream(store, settings, fake_clock, ua):
    for _ in range(3):
        submit(store, settings)
    fold_stream(store)
    first = store.get_provisional(CAMPAIGN)
    fake_clock.advance(minutes=2)
    summary = run(store, settings, fake_clock)
    assert summary.rebuilt == [] and summary.closed == []
    assert store.get_provisional(CAMPAIGN) == first


def _close(store, settings, fake_clock, ua):
    fake_clock.set(ua.closes_at + timedelta(seconds=settings.settle_seconds))
    return run(store, settings, fake_clock)


def test_close_publishes_final_totals_equal_to_a_recount(store, settings, fake_clock, ua):
    for index in range(20):
        submit(store, settings, actions={"letter": index % 3 + 1}, country=("MX", "ES", "FR")[index % 3])
    fake_clock.advance(minutes=1)
    run(store, settings, fake_clock)
    summary = _close(store, settings, fake_clock, ua)

    assert summary.closed == [CAMPAIGN]
    campaign = store.get_campaign(CAMPAIGN)
    assert campaign.state == "closed" and campaign.published_version == 1
    final = tallying.current_totals(store, campaign)
    assert final.final and final.version == 1
    assert final.tally == recount(store)
    assert final.tally.reports == 20 and final.tally.actions["letter"] == 7 * 1 + 7 * 2 + 6 * 3


def test_close_waits_for_the_settle_time_after_the_deadline(store, settings, fake_clock, ua):
    fake_clock.set(ua.closes_at + timedelta(seconds=settings.settle_seconds - 1))
    assert run(store, settings, fake_clock).closed == []
    assert store.get_campaign(CAMPAIGN).state == "open"


def test_close_is_idempotent_and_a_closed_campaign_is_left_alone(store, settings, fake_clock, ua):
    submit(store, settings)
    _close(store, settings, fake_clock, ua)
    fake_clock.advance(minutes=1)
    summary = run(store, settings, fake_clock)
    assert summary.closed == [] and summary.rebuilt == []
    assert store.latest_final(CAMPAIGN).version == 1


CLOSING_STEPS = ["latest_final", "all_reports", "publish_final", "mark_closed"]


@pytest.mark.parametrize("step", CLOSING_STEPS)
@pytest.mark.parametrize("when", ["before", "after"])
def test_a_crash_at_any_closing_step_is_finished_by_the_next_run(store, settings, fake_clock, ua,
                                                               monkeypatch, step, when):
    for _ in range(7):
        submit(store, settings)
    real = getattr(store, step)

    def crashing(*args, **kwargs):
        if when == "before":
            raise RuntimeError(f"crash before {step}")
        result = real(*args, **kwargs)
        if step == "all_reports":
            list(result)  # the recount was read in full
        raise RuntimeError(f"crash after {step}")

    monkeypatch.setattr(store, step, crashing)
    with pytest.raises(RuntimeError):
        _close(store, settings, fake_clock, ua)
    monkeypatch.setattr(store, step, real)

    fake_clock.advance(minutes=1)
    run(store, settings, fake_clock)
    run(store, settings, fake_clock)  # and once more, for good measure

    campaign = store.get_campaign(CAMPAIGN)
    assert campaign.state == "closed"
    final = store.latest_final(CAMPAIGN)
    assert final.version == 1 and final.tally == recount(store) and final.tally.reports == 7


def test_concurrent_closers_publish_one_version(store, settings, fake_clock, ua):
    for _ in range(9):
        submit(store, settings)
    fake_clock.set(ua.deadline + timedelta(minutes=5))
    threads = [threading.Thread(target=tallying.close_campaign, args=(store, ua, fake_clock()))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.latest_final(CAMPAIGN).tally == recount(store)
    assert store.latest_final(CAMPAIGN).version == 1
    assert store.get_campaign(CAMPAIGN).state == "closed"


def test_deadline_race_every_report_is_counted_or_refused(store, settings, fake_clock, ua):
    """Reports around the end of the deadline second; a slow write lands during the settle time."""
    accepted, refused = [], []
    moments = [ua.deadline, ua.deadline + timedelta(milliseconds=500)] + [
        ua.closes_at + timedelta(microseconds=offset) for offset in (-1, 0, 1)]
    for moment in moments:
        fake_clock.set(moment)
        try:
            accepted.append(submit(store, settings).report.submission_id)
        except CampaignClosed:
            refused.append(moment)
    assert refused == moments[3:] and len(accepted) == 3

    # A report stamped at the deadline whose write is still in flight: the
    # intake read the clock in time, the item lands just inside the settle time.
    fake_clock.set(ua.closes_at + timedelta(seconds=settings.settle_seconds - 1))
    assert run(store, settings, fake_clock).closed == []    # too early to close
    late = parse_report(report_body(), ua, settings.max_count_per_action)
    store.record_report(ua, late, uuid.uuid4().hex, received_at=ua.deadline)
    accepted.append(late.submission_id)

    _close(store, settings, fake_clock, ua)
    final = store.latest_final(CAMPAIGN)
    assert final.tally.reports == len(accepted) == 4
    assert final.tally == recount(store)


def test_final_totals_count_people_and_what_reached_each_official_exactly(store, settings, fake_clock, ua):
    for _ in range(9):   # three of each shape
        submit(store, settings)
    submit(store, settings, actions={"fax": 1}, targets=["governor", "ambassador"])   # v1, several: unattributed
    fake_clock.advance(seconds=10)
    run(store, settings, fake_clock)
    _close(store, settings, fake_clock, ua)

    final = store.latest_final(CAMPAIGN).tally
    assert final == recount(store)
    assert final.reports == 10 and final.people == 3 + 3 + 3 * 3 + 1
    assert final.target_actions() == {"governor": {"letter": 3 * 2 + 6 * 2, "email": 3 * 1},
                                      "ambassador": {"email": 6, "call": 6}, "unattributed": {"fax": 1}}
