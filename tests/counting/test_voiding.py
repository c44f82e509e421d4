"""Voiding a report: audited, out of the totals, re-published as a new version once closed."""
import threading
from datetime import timedelta

import pytest

from chalicelib.counting import decisions, publishing, tallying, voiding
from chalicelib.counting.intake import submit_report
from chalicelib.domain.errors import CampaignNotFound, ValidationFailed
from chalicelib.storage import AlreadyExcluded, ReportNotFound, StorageUnavailable
from tests.conftest import report_body
from tests.counting.test_tallying import CAMPAIGN, recount
from tests.streams import fold_stream


def submit(store, settings, **overrides):
    return submit_report(store, settings, CAMPAIGN, report_body(**overrides)).report


def void(store, fake_clock, report_ref, reason="duplicate of a paper report", by="Ana (UA desk)"):
    return voiding.void_report(store, CAMPAIGN, report_ref, reason=reason, by=by, now=fake_clock())


def close(store, settings, fake_clock, ua):
    fake_clock.set(ua.closes_at + timedelta(seconds=settings.settle_seconds))
    return tallying.run_tally(store, settings, fake_clock())


def once_during(monkeypatch, store, method, staff_action, *, after=False):
    """The first call of ``store.<method>`` runs ``staff_action`` before (or after) its own work,
    as a staff member acting while the scheduled job is half-way."""
    real, done = getattr(store, method), []

    def racing(*args, **kwargs):
        if not done and not after:
            done.append(staff_action())
        result = real(*args, **kwargs)
        if not done:
            if hasattr(result, "__next__"):   # a query: read it all first
                result = list(result)
            done.append(staff_action())
        return result

    monkeypatch.setattr(store, method, racing)
    return done


def at_once(action, arguments):
    """``action(argument)`` for each argument, each in its own thread, all started together."""
    threads = [threading.Thread(target=action, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def local_campaign(local_table, settings, fake_clock):
    """UA 47.22 on DynamoDB Local (moto's transactions are not atomic across threads)."""
    from chalicelib.staff.campaign_admin import save_campaign
    from chalicelib.storage import TallyStore
    from tests.conftest import campaign_body

    store = TallyStore(local_table)
    ua, _ = save_campaign(store, CAMPAIGN, campaign_body(), fake_clock(), settings.report_shards)
    return store, ua


def decide_at_once(decide, refused, reports):
    """Staff decide on each of ``reports`` at the same time (``decide(report_id)``, each in its own
    thread): what each got back ("already" when ``refused``), and the transaction conflicts
    ("retry": nothing written)."""
    outcomes, conflicts = [], []

    def staff(report):
        try:
            outcomes.append(decide(report.report_id))
        except refused:
            outcomes.append("already")
        except StorageUnavailable as error:
            conflicts.append(error)

    at_once(staff, reports)
    return outcomes, conflicts


def test_a_void_while_open_is_audited_and_leaves_the_next_provisional_totals(store, settings, fake_clock, ua):
    keep = submit(store, settings, actions={"letter": 1})
    spam = submit(store, settings, actions={"letter": 50}, name="Bot", contact_email="b@example.org", consent=True)
    fake_clock.advance(seconds=10)
    fold_stream(store)
    assert tallying.current_totals(store, ua).tally.actions["letter"] == 51

    result = void(store, fake_clock, spam.report_id)

    assert result.republished is None and result.campaign.void_count == 1
    stored = store.get_report(ua, spam.submission_id)
    assert stored.excluded == "void" and stored.void.by == "Ana (UA desk)"
    assert stored.void.reason == "duplicate of a paper report" and stored.void.at == fake_clock()
    (entry,) = store.audit_entries(CAMPAIGN)
    assert (entry.action, entry.report_id, entry.by, entry.at) == ("void", spam.report_id, "Ana (UA desk)",
                                                                    fake_clock())
    assert "Bot" not in repr(entry) and "b@example.org" not in repr(entry)   # no personal data

    fake_clock.advance(seconds=10)
    fold_stream(store)
    totals = tallying.current_totals(store, ua)
    assert totals.tally == recount(store) and totals.tally.reports == 1
    assert totals.tally.actions["letter"] == 1 and keep.report_id != spam.report_id


def test_a_void_by_submission_id_works_too(store, settings, fake_clock, ua):
    report = submit(store, settings)
    assert void(store, fake_clock, report.submission_id.upper()).report.report_id == report.report_id


def test_voiding_twice_changes_nothing_and_says_why(store, settings, fake_clock, ua):
    report = submit(store, settings)
    void(store, fake_clock, report.report_id)
    with pytest.raises(AlreadyExcluded) as raised:
        void(store, fake_clock, report.report_id, reason="again", by="Ben")
    assert raised.value.report.void.by == "Ana (UA desk)"
    assert store.get_campaign(CAMPAIGN).void_count == 1 and len(store.audit_entries(CAMPAIGN)) == 1


@pytest.mark.parametrize("ref", ["0" * 32, "4a1f0c2e-1111-4222-8333-944445555666", "", "not an id"])
def test_an_unknown_report_is_refused(store, settings, fake_clock, ua, ref):
    submit(store, settings)
    with pytest.raises(ReportNotFound):
        void(store, fake_clock, ref)
    assert store.get_campaign(CAMPAIGN).void_count == 0 and store.audit_entries(CAMPAIGN) == []


def test_a_void_needs_a_reason_a_name_and_a_campaign(store, settings, fake_clock, ua):
    report = submit(store, settings)
    with pytest.raises(ValidationFailed) as raised:
        void(store, fake_clock, report.report_id, reason=" ", by="")
    assert set(raised.value.fields) == {"reason", "by"}
    with pytest.raises(CampaignNotFound):
        voiding.void_report(store, "ua-99-99", report.report_id, reason="x", by="y", now=fake_clock())
    assert store.get_report(ua, report.submission_id).excluded is None


def test_a_void_after_the_close_publishes_version_2_and_keeps_version_1(store, settings, fake_clock, ua):
    reports = [submit(store, settings, actions={"email": 2}) for _ in range(5)]
    close(store, settings, fake_clock, ua)
    version_1 = store.latest_final(CAMPAIGN)
    assert version_1.version == 1 and version_1.tally.reports == 5

    fake_clock.advance(days=3)
    result = void(store, fake_clock, reports[0].report_id)

    assert result.republished.version == 2 and result.republished.void_count == 1
    assert result.republished.tally == recount(store) and result.republished.tally.reports == 4
    campaign = store.get_campaign(CAMPAIGN)
    assert campaign.published_version == 2 and campaign.state == "closed" and not campaign.publication_due
    assert [v.version for v in store.final_versions(CAMPAIGN)] == [1, 2]
    assert store.final_versions(CAMPAIGN)[0] == version_1            # never overwritten
    assert tallying.current_totals(store, campaign).version == 2
    # Nothing more to do: the next runs publish nothing new.
    tallying.run_tally(store, settings, fake_clock())
    assert store.latest_final(CAMPAIGN).version == 2


def test_a_crash_between_the_void_and_the_republish_is_finished_by_the_scheduled_job(
        store, settings, fake_clock, ua, monkeypatch):
    report = submit(store, settings)
    submit(store, settings)
    close(store, settings, fake_clock, ua)

    def crash(*args, **kwargs):
        raise RuntimeError("the laptop went to sleep")

    monkeypatch.setattr(decisions, "finish_publication", crash)
    with pytest.raises(RuntimeError):
        void(store, fake_clock, report.report_id)
    assert store.get_campaign(CAMPAIGN).publication_due        # the void is in, the republish due
    assert store.latest_final(CAMPAIGN).version == 1

    fake_clock.advance(minutes=1)
    summary = tallying.run_tally(store, settings, fake_clock())
    assert summary.published == [CAMPAIGN]
    final = store.latest_final(CAMPAIGN)
    assert final.version == 2 and final.tally.reports == 1 and final.tally == recount(store)
    assert not store.get_campaign(CAMPAIGN).publication_due
    # A retry by hand afterwards is harmless.
    assert publishing.finish_publication(store, CAMPAIGN, None, fake_clock()).version == 2


def test_a_void_racing_the_close_is_published_as_version_2(store, settings, fake_clock, ua, monkeypatch):
    reports = [submit(store, settings) for _ in range(3)]
    # the recount is done; a staff member voids before version 1 is written
    once_during(monkeypatch, store, "publish_final", lambda: void(store, fake_clock, reports[0].report_id))
    close(store, settings, fake_clock, ua)
    assert [v.tally.reports for v in store.final_versions(CAMPAIGN)] == [3, 2]
    assert store.latest_final(CAMPAIGN).tally == recount(store)
    assert not store.get_campaign(CAMPAIGN).publication_due


def test_a_void_during_a_fold_is_folded_by_the_next_batch(store, settings, fake_clock, ua, monkeypatch):
    reports = [submit(store, settings) for _ in range(4)]
    fake_clock.advance(seconds=10)
    # the fold has counted the report already when staff void it
    once_during(monkeypatch, store, "fold_unread", lambda: void(store, fake_clock, reports[1].report_id), after=True)
    fold_stream(store)   # the batch that counted it, then the one with the decision
    assert tallying.current_totals(store, ua).tally == recount(store)
    assert recount(store).reports == 3


@pytest.mark.dynamodb_local
def test_concurrent_voids_each_count_once_and_the_last_version_reflects_them_all(local_table, settings, fake_clock):
    """On DynamoDB Local: moto's transactions roll back by restoring a snapshot of the table,
    which loses other threads' writes, so they cannot show what concurrent voids do."""
    store, ua = local_campaign(local_table, settings, fake_clock)
    reports = [submit(store, settings) for _ in range(8)]
    close(store, settings, fake_clock, ua)
    # six different reports, and one of them twice at the same time
    outcomes, errors = decide_at_once(lambda ref: void(store, fake_clock, ref), AlreadyExcluded,
                                      reports[:6] + [reports[0]])
    tallying.run_tally(store, settings, fake_clock())   # finishes any republish a conflict left due

    campaign = store.get_campaign(CAMPAIGN)
    voided = [r for r in store.stored_reports(campaign) if r.excluded == "void"]
    assert campaign.void_count == len(voided) == len(store.audit_entries(CAMPAIGN))   # all or nothing
    assert len(voided) + outcomes.count("already") + len(errors) == 7 and outcomes.count("already") <= 1
    assert {r.report_id for r in voided} <= {r.report_id for r in reports[:6]}
    final = store.latest_final(CAMPAIGN)
    assert final.void_count == campaign.void_count and final.tally == recount(store)
    versions = [v.version for v in store.final_versions(CAMPAIGN)]
    assert versions == list(range(1, len(versions) + 1)) and not campaign.publication_due
