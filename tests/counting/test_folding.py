"""The stream fold: provisional totals exactly the reports counted, however Lambda delivers the
table's stream (again, split, shards in any order, at once, a handler dying half-way), on moto
and on DynamoDB Local; and the rebuild around a cut."""
import itertools
import threading
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.counting import folding, reinstating, tallying, voiding
from chalicelib.counting.intake import submit_report
from chalicelib.domain.totals import Tally
from chalicelib.privacy import erasure
from chalicelib.staff.campaign_admin import save_campaign
from chalicelib.storage import MARK_LIFETIME, NotAStreamBatch, StaleWrite, TallyStore, count_change
from chalicelib.storage.keys import provisional_key
from tests.conftest import campaign_body, form_token, report_body
from tests.streams import fold_stream, poller_of, virtual_shards

CAMPAIGNS = ("ua-47-22", "ua-48-22")


@pytest.fixture(params=["moto", pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)])
def world(request, settings, fake_clock):
    """A store on moto or DynamoDB Local with two open campaigns."""
    table = request.getfixturevalue("moto_table" if request.param == "moto" else "local_table")
    store = TallyStore(table)
    for campaign_id in CAMPAIGNS:
        save_campaign(store, campaign_id, campaign_body(), fake_clock(), 3)
    return store


def submit(store, settings, campaign_id="ua-47-22", **overrides):
    body = report_body(form_token=form_token(campaign_id), **overrides)
    return submit_report(store, settings, campaign_id, body).report


def recount(store, campaign_id="ua-47-22"):
    return Tally.of(store.all_reports(store.get_campaign(campaign_id)))


def shown(store, campaign_id="ua-47-22"):
    return tallying.current_totals(store, store.get_campaign(campaign_id)).tally


def batches(store):
    """Every stream batch available now, as Lambda would send them (none handed over yet)."""
    poller = poller_of(store._table.resource)
    found = []
    for shard_id, event in poller.batches():
        found.append(event)
        poller.handled(shard_id)
    return found


def fold(store, event, fake_clock):
    return folding.fold_batch(store, event, fake_clock())


def exact(store):
    return all(shown(store, campaign_id) == recount(store, campaign_id) for campaign_id in CAMPAIGNS)


def test_a_batch_delivered_again_changes_nothing(world, settings, fake_clock):
    for campaign_id in CAMPAIGNS * 3:
        submit(world, settings, campaign_id)
    (event,) = batches(world)
    first = fold(world, event, fake_clock)
    assert first.folded == {"ua-47-22": 3, "ua-48-22": 3} and exact(world)
    again = fold(world, event, fake_clock)
    assert again.folded == {"ua-47-22": 0, "ua-48-22": 0} and again.skipped == {"ua-47-22": 3, "ua-48-22": 3}
    assert exact(world)


def test_a_handler_that_dies_after_one_campaign_is_finished_by_the_retry(world, settings, fake_clock, monkeypatch):
    for campaign_id in CAMPAIGNS * 2:
        submit(world, settings, campaign_id)
    (event,) = batches(world)
    real = world.fold_unread

    def dies_at_the_second(campaign_id, *args, **kwargs):
        if campaign_id == "ua-48-22":
            raise TimeoutError("the function timed out")
        return real(campaign_id, *args, **kwargs)

    monkeypatch.setattr(world, "fold_unread", dies_at_the_second)
    with pytest.raises(TimeoutError):
        fold(world, event, fake_clock)
    assert shown(world, "ua-47-22").reports == 2 and shown(world, "ua-48-22").reports == 0
    monkeypatch.setattr(world, "fold_unread", real)
    retry = fold(world, event, fake_clock)   # Lambda delivers the same batch again
    assert retry.folded == {"ua-47-22": 0, "ua-48-22": 2} and exact(world)


def test_a_retry_split_in_two_folds_each_record_once(world, settings, fake_clock):
    for _ in range(6):
        submit(world, settings)
    (event,) = batches(world)
    records = event["Records"]
    fold(world, {**event, "Records": records[:4]}, fake_clock)       # folded, but the invocation failed
    for half in (records[:3], records[3:]):                           # bisected and delivered again
        fold(world, {**event, "Records": half}, fake_clock)
    fold(world, event, fake_clock)
    assert shown(world).reports == 6 and exact(world)


def test_batches_of_several_shards_in_any_order_and_interleaved(world, settings, fake_clock):
    for index in range(12):
        submit(world, settings, CAMPAIGNS[index % 2], actions={"letter": index + 1})
    (event,) = batches(world)
    shards = virtual_shards(event, 3, size=2)
    # Each shard's batches in their order (Lambda's the first time), the shards interleaved any way.
    order = [batch for round_ in itertools.zip_longest(shards[2], shards[0], shards[1]) for batch in round_ if batch]
    for batch in order:
        fold(world, batch, fake_clock)
    for batch in order[::2]:                                            # and some of them again
        fold(world, batch, fake_clock)
    assert exact(world)
    # Each shard that carried a report has its mark (the submission ids are random: a shard may
    # carry only the campaigns' own items, which change no count and leave no mark).
    carried = {batch["shardId"] for batch in order if any(count_change(record) for record in batch["Records"])}
    assert {shard for campaign_id in CAMPAIGNS for shard in world.get_provisional(campaign_id).marks} == carried
    assert len(carried) >= 2


def test_shards_folding_one_campaign_at_once_never_lose_a_count(request, world, settings, fake_clock):
    if request.node.callspec.params["world"] == "moto":
        pytest.skip("moto's updates are not atomic across threads (seen under load: a count lost); "
                    "DynamoDB Local judges this")
    for index in range(16):
        submit(world, settings, actions={"email": index % 3 + 1})
    (event,) = batches(world)
    shards = virtual_shards(event, 4, size=100)
    errors = []

    def deliver(shard):
        try:
            for batch in shard:
                fold(world, batch, fake_clock)
                fold(world, batch, fake_clock)
        except Exception as error:  # pragma: no cover - surfaced below
            errors.append(error)

    threads = [threading.Thread(target=deliver, args=(shard,)) for shard in shards]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and shown(world).reports == 16 and exact(world)


def test_voids_reinstatements_and_erasures_reach_the_totals_through_the_stream(world, settings, fake_clock):
    kept = submit(world, settings, name="Ana", contact_email="ana@example.org", consent=True)
    voided = submit(world, settings, actions={"letter": 4})
    flagged = submit(world, settings, website="spam")
    fold_stream(world)
    assert shown(world).reports == 2
    voiding.void_report(world, "ua-47-22", voided.report_id, reason="duplicate", by="staff", now=fake_clock())
    reinstating.reinstate_report(world, "ua-47-22", flagged.report_id, reason="a person", by="staff",
                                 now=fake_clock())
    erasure.erase_supporter_now(world, "ana@example.org", "staff", fake_clock())
    fold_stream(world)
    assert shown(world).reports == 2 and shown(world).actions["letter"] == 2 + 2
    assert exact(world) and kept.report_id in {r.report_id for r in world.all_reports(world.get_campaign(CAMPAIGNS[0]))}
    voiding.void_report(world, "ua-47-22", flagged.report_id, reason="not a person", by="staff", now=fake_clock())
    fold_stream(world)
    assert shown(world).reports == 1 and exact(world)


def test_a_replay_and_a_flagged_report_change_nothing(world, settings, fake_clock):
    body = report_body()
    submit_report(world, settings, "ua-47-22", body)
    submit_report(world, settings, "ua-47-22", body)
    submit(world, settings, website="spam")
    fold_stream(world)
    assert shown(world).reports == 1 and exact(world)


def test_marks_older_than_the_stream_keeps_records_are_dropped(world, settings, fake_clock):
    submit(world, settings)
    (event,) = batches(world)
    (old,) = virtual_shards(event, 1, size=100, name="shardId-old")
    fold(world, old[0], fake_clock)
    fake_clock.advance(seconds=MARK_LIFETIME.total_seconds() + 60)
    submit(world, settings)
    (event,) = batches(world)
    (new,) = virtual_shards(event, 1, size=100, name="shardId-new")
    fold(world, new[0], fake_clock)
    assert set(world.get_provisional("ua-47-22").marks) == {"shardId-new"}
    assert shown(world).reports == 2 and exact(world)


def test_a_batch_with_more_counts_than_one_update_takes_is_folded_in_parts(world, settings, fake_clock):
    from chalicelib.domain.countries import COUNTRY_CODES

    countries = sorted(COUNTRY_CODES)[:170]
    for country in countries:
        submit(world, settings, country=country)
    (event,) = batches(world)
    summary = fold(world, event, fake_clock)
    assert summary.folded["ua-47-22"] == len(countries) and exact(world)
    assert len(shown(world).by_country) == len(countries)


def test_a_fold_that_keeps_losing_to_other_writers_fails_the_batch(world, settings, fake_clock, monkeypatch):
    submit(world, settings)
    (event,) = batches(world)
    monkeypatch.setattr(world, "fold_unread", lambda *args, **kwargs: None)
    monkeypatch.setattr(world, "fold_read", lambda *args, **kwargs: None)
    with pytest.raises(StaleWrite):
        fold(world, event, fake_clock)


def test_an_event_without_its_shard_is_refused_loudly(world, settings, fake_clock):
    submit(world, settings)
    (event,) = batches(world)
    without = {key: value for key, value in event.items() if key != "shardId"}
    with pytest.raises(NotAStreamBatch, match="tumbling window"):
        fold(world, without, fake_clock)
    assert world.get_provisional("ua-47-22") is None


# -- rebuilding around a cut ---------------------------------------------------------------

def test_a_rebuild_recounts_the_table_and_folds_the_stream_around_its_cut(world, settings, fake_clock, monkeypatch):
    settle = timedelta(seconds=settings.settle_seconds)
    reports = [submit(world, settings) for _ in range(4)]
    lost = batches(world)                     # a batch the stream lost for good: never folded
    assert lost and world.get_provisional("ua-47-22") is None
    cut = folding.request_rebuild(world, "ua-47-22", fake_clock(), settle)
    assert folding.request_rebuild(world, "ua-47-22", fake_clock(), settle) is None   # one at a time
    fake_clock.advance(seconds=5)
    voiding.void_report(world, "ua-47-22", reports[0].report_id, reason="x", by="staff", now=fake_clock())
    fake_clock.set(cut + timedelta(seconds=1))
    after = [submit(world, settings) for _ in range(2)]
    voiding.void_report(world, "ua-47-22", reports[1].report_id, reason="y", by="staff", now=fake_clock())
    fold_stream(world)                        # before the cut: skipped later; from it on: counted apart
    assert tallying.run_tally(world, settings, fake_clock()).rebuilt == []             # not settled yet
    fake_clock.set(cut + settle)
    assert tallying.run_tally(world, settings, fake_clock()).rebuilt == ["ua-47-22"]
    state = world.get_provisional("ua-47-22")
    assert state.cut is None and state.since == cut
    assert shown(world).reports == 4 - 2 + len(after) and exact(world)
    fold_stream(world)
    for event in lost:                        # the lost batch found after all: all of it before the cut
        fold(world, event, fake_clock)
    submit(world, settings)
    fold_stream(world)
    assert exact(world)


def test_a_rebuild_completes_though_folds_keep_coming(world, settings, fake_clock, monkeypatch):
    settle = timedelta(seconds=settings.settle_seconds)
    submit(world, settings)
    cut = folding.request_rebuild(world, "ua-47-22", fake_clock(), settle)
    fake_clock.set(cut + settle)
    real = world.complete_rebuild
    raced = []

    def a_fold_comes_first(*args, **kwargs):
        if not raced:
            raced.append(submit(world, settings))
            fold_stream(world)
        return real(*args, **kwargs)

    monkeypatch.setattr(world, "complete_rebuild", a_fold_comes_first)
    assert folding.complete_rebuild(world, world.get_campaign("ua-47-22"), fake_clock(), settle)
    fold_stream(world)
    assert shown(world).reports == 2 and exact(world)


def test_totals_kept_before_the_stream_are_rebuilt_on_their_own(world, settings, fake_clock):
    """An upgraded deployment: the scheduled fold's provisional item (settled + tail + watermark)."""
    for _ in range(3):
        submit(world, settings)
    world._table.resource.put_item(Item={
        **provisional_key("ua-47-22"), "settled": {"reports": 2}, "tail": {"reports": 1},
        "watermark": "2026-01-10T11:59:00.000000Z", "as_of": "2026-01-10T12:00:00.000000Z", "void_count": 0,
        "reinstated_count": 0})
    assert world.get_provisional("ua-47-22").legacy
    tallying.run_tally(world, settings, fake_clock())       # asks for a rebuild
    cut = world.get_provisional("ua-47-22").cut
    assert cut is not None
    fake_clock.set(cut + timedelta(seconds=settings.settle_seconds))
    submit(world, settings)
    fold_stream(world)
    assert tallying.run_tally(world, settings, fake_clock()).rebuilt == ["ua-47-22"]
    assert not world.get_provisional("ua-47-22").legacy and exact(world)


def test_the_count_at_an_instant_follows_each_report_s_history(fake_clock):
    from chalicelib.domain.changes import counted_at
    from chalicelib.domain.report import Reinstatement, Report, Void

    start = fake_clock()
    plain = Report("s", {"letter": 1}, ("t",), "MX", received_at=start)
    assert not counted_at(plain, start) and counted_at(plain, start + timedelta(microseconds=1))
    voided = replace(plain, excluded="void", void=Void("a", "b", start + timedelta(seconds=5)))
    assert counted_at(voided, start + timedelta(seconds=5)) and not counted_at(voided, start + timedelta(seconds=6))
    flagged = replace(plain, excluded="flagged", flag_reason="honeypot")
    assert not counted_at(flagged, start + timedelta(days=1))
    reinstated = replace(flagged, excluded=None, reinstatement=Reinstatement("a", "b", start + timedelta(seconds=9)))
    assert not counted_at(reinstated, start + timedelta(seconds=9))
    assert counted_at(reinstated, start + timedelta(seconds=10))


def test_unknown_stream_records_are_left_alone(world, settings, fake_clock):
    submit(world, settings)
    (event,) = batches(world)
    stranger = {"eventID": uuid.uuid4().hex, "eventName": "INSERT", "dynamodb": {
        "Keys": {"pk": {"S": "STAFF_TOKENS"}, "sk": {"S": "x"}}, "NewImage": {"pk": {"S": "STAFF_TOKENS"}},
        "SequenceNumber": "9" * 30}}
    summary = fold(world, {**event, "Records": [*event["Records"], stranger]}, fake_clock)
    assert summary.folded == {"ua-47-22": 1} and exact(world)
