"""Offline tallies in the table: each a report with its ``offline`` map, an entry in its
campaign's list and an audit entry, with the campaign's ``offline_count``, in one transaction;
once per tally id, also under concurrency. Run on moto and on DynamoDB Local (``backend``)."""
import threading
import uuid
from dataclasses import replace

import pytest

from chalicelib.domain.campaign import CLOSED
from chalicelib.domain.report import Void
from chalicelib.domain.tallies import parse_tally
from chalicelib.storage import TALLIES_PER_TRANSACTION, StaleWrite
from tests.conftest import START


def a_tally(campaign, **overrides):
    body = {"source": "Madrid group", "acted_on": "2026-01-09", "participants": 40, "country": "ES",
            "per_target": {"governor": {"letter": 38}}, "tally_id": str(uuid.uuid4())}
    body.update(overrides)
    return parse_tally(body, campaign, 50, START)


def test_a_tally_reads_back_as_a_report_an_entry_and_an_audit_entry(backend, campaign):
    tally = a_tally(campaign)
    ((report, created),) = backend.record_tallies(campaign, [tally], "Ana (token)", START, False)
    assert created and backend.get_report(campaign, tally.tally_id) == report
    assert report.offline.source == "Madrid group" and report.offline.acted_on.isoformat() == "2026-01-09"
    assert report.offline.entered_at == START and report.per_target == {"governor": {"letter": 38}}
    assert list(backend.all_reports(campaign)) == [report]
    (entry,) = backend.tally_entries(campaign.campaign_id)
    assert (entry.tally_id, entry.report_id, entry.participants, entry.actions, entry.counted) == (
        tally.tally_id, report.report_id, 40, {"letter": 38}, True)
    (audit,) = backend.audit_entries(campaign.campaign_id)
    assert (audit.action, audit.report_id, audit.by) == ("tally", report.report_id, "Ana (token)")
    assert backend.get_campaign(campaign.campaign_id).offline_count == 1


def test_a_tally_stored_before_is_returned_as_stored_and_nothing_moves(backend, campaign):
    tally = a_tally(campaign)
    ((first, _),) = backend.record_tallies(campaign, [tally], "Ana", START, False)
    ((again, created),) = backend.record_tallies(campaign, [replace(tally, source="other")], "Bo", START, False)
    assert not created and again == first
    assert backend.get_campaign(campaign.campaign_id).offline_count == 1
    assert len(backend.audit_entries(campaign.campaign_id)) == 1


def test_many_tallies_in_one_transaction_and_some_stored_before(backend, campaign):
    tallies = [a_tally(campaign) for _ in range(TALLIES_PER_TRANSACTION)]
    backend.record_tallies(campaign, tallies[:5], "Ana", START, False)
    stored = backend.record_tallies(campaign, tallies, "Ana", START, False)
    assert [created for _, created in stored] == [False] * 5 + [True] * (TALLIES_PER_TRANSACTION - 5)
    assert backend.get_campaign(campaign.campaign_id).offline_count == TALLIES_PER_TRANSACTION
    assert len(backend.tally_entries(campaign.campaign_id)) == TALLIES_PER_TRANSACTION
    with pytest.raises(ValueError):
        backend.record_tallies(campaign, tallies + [a_tally(campaign)], "Ana", START, False)


def test_a_campaign_changed_since_it_was_read_is_a_stale_write_and_nothing_is_stored(backend, campaign):
    backend.mark_closed(campaign.campaign_id, 1, START)
    with pytest.raises(StaleWrite):
        backend.record_tallies(campaign, [a_tally(campaign)], "Ana", START, False)
    assert list(backend.stored_reports(campaign)) == [] and backend.tally_entries(campaign.campaign_id) == []
    closed = backend.get_campaign(campaign.campaign_id)
    assert closed.state == CLOSED and closed.publication_due
    backend.mark_published(campaign.campaign_id, 0)
    closed = backend.get_campaign(campaign.campaign_id)
    backend.record_tallies(closed, [a_tally(closed)], "Ana", START, True)
    after = backend.get_campaign(campaign.campaign_id)
    assert after.publication_due and after.offline_count == 1
    assert not backend.mark_published(campaign.campaign_id, 0)   # a version must reflect the tally first
    assert backend.mark_published(campaign.campaign_id, 0, 0, 1)


def test_voiding_a_tally_marks_its_entry_in_the_same_transaction(backend, campaign):
    ((report, _),) = backend.record_tallies(campaign, [a_tally(campaign)], "Ana", START, False)
    backend.void_report(campaign, report, Void("Bo", "entered twice", START), False)
    (entry,) = backend.tally_entries(campaign.campaign_id)
    assert (entry.counted, entry.voided_by, entry.void_reason, entry.voided_at) == (False, "Bo", "entered twice",
                                                                                    START)
    assert list(backend.all_reports(campaign)) == []


def test_an_edit_of_the_campaign_keeps_its_offline_count(backend, campaign):
    from chalicelib.domain.campaign import apply_update
    backend.record_tallies(campaign, [a_tally(campaign)], "Ana", START, False)
    read = backend.get_whole_campaign(campaign.campaign_id)
    with pytest.raises(StaleWrite):   # read before the tally: its count is stale
        backend.replace_campaign(apply_update(campaign, replace(campaign, title="New"), START), campaign, START)
    backend.replace_campaign(apply_update(read, replace(read, title="New"), START), read, START)
    assert backend.get_campaign(campaign.campaign_id).offline_count == 1


def test_the_same_tally_from_several_threads_is_stored_once(request, backend, campaign):
    if request.node.callspec.params["backend"] == "moto":
        pytest.skip("moto's conditional writes are not atomic across threads")
    tallies = [a_tally(campaign) for _ in range(10)]
    created = []

    def staff():
        for tally in tallies:
            for attempt in range(10):
                try:
                    created.append(backend.record_tallies(campaign, [tally], "Ana", START, False)[0][1])
                    break
                except StaleWrite:   # cannot happen here: the campaign stays open
                    raise
                except Exception:   # noqa: BLE001 - a transaction conflict: sent again, as a client would
                    if attempt == 9:
                        raise

    threads = [threading.Thread(target=staff) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(created) == 10 and len(created) == 40
    assert backend.get_campaign(campaign.campaign_id).offline_count == 10
    assert len(list(backend.all_reports(campaign))) == 10 and len(backend.tally_entries(campaign.campaign_id)) == 10
