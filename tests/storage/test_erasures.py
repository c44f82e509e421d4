"""The storage contract, erasing personal data, and the erasures' audit records. Run on moto and on
DynamoDB Local (``backend``, tests/storage/conftest.py)."""
import uuid
from datetime import timedelta

import pytest

from tests.conftest import START
from tests.storage.conftest import a_report


def test_a_supporter_s_reports_are_found_page_by_page_without_an_index(backend, campaign):
    from chalicelib.domain.report import contact_email_key

    ana = dict(name="Ana", contact_email="Ana@Example.org", consent=True)
    for report in (a_report(campaign, **ana), a_report(campaign, **ana), a_report(campaign),
                   a_report(campaign, name="Bea", contact_email="bea@example.org", consent=True)):
        backend.record_report(campaign, report, uuid.uuid4().hex, START)
    key = contact_email_key("ana@example.org")
    erased = 0
    for shard in range(campaign.report_shards):
        page_key = None
        while True:
            found, page_key = backend.erase_supporter_page(campaign, shard, page_key, key, START)
            erased += found
            if page_key is None:
                break
    assert erased == 2
    assert backend.erase_supporter_page(campaign, 0, None, key, START)[0] == 0
    stored = list(backend.all_reports(campaign))
    assert len(stored) == 4 and sorted(r.name for r in stored if r.name) == ["Bea"]


def test_an_erasure_request_keeps_the_email_key_only_while_pending(backend, campaign):
    from dataclasses import replace

    from chalicelib.storage import DONE, ErasureRequest, Position, StaleWrite

    request = ErasureRequest("req1", "staff", START, email_key="k" * 64)
    backend.record_erasure_request(request)
    with pytest.raises(StaleWrite):
        backend.record_erasure_request(request)
    assert backend.pending_erasure_requests() == [request]
    moved = replace(request, reports_erased=2, position=Position("ua-47-22", 1, {"pk": "x", "sk": "y"}))
    backend.save_erasure_progress(moved, request)
    with pytest.raises(StaleWrite):                      # another run moved it meanwhile
        backend.save_erasure_progress(moved, request)
    saved = backend.get_erasure_request("req1")
    assert saved.position == moved.position and saved.reports_erased == 2 and saved.step == 1
    backend.save_erasure_progress(replace(saved, status=DONE, finished_at=START, email_key=None), saved)
    item = backend._table.get({"pk": "ERASURE_REQUESTS", "sk": "req1"})
    assert "email_key" not in item and "k" * 64 not in repr(item)
    assert backend.pending_erasure_requests() == [] and backend.get_erasure_request("nope") is None


def test_campaigns_that_may_hold_personal_data(backend, campaign):
    assert [c.campaign_id for c in backend.campaigns_with_personal_data()] == ["ua-47-22"]
    backend.mark_closed("ua-47-22", 1, START)
    assert [c.campaign_id for c in backend.campaigns_with_personal_data()] == ["ua-47-22"]
    backend.mark_personal_data_erased("ua-47-22", START)
    assert backend.campaigns_with_personal_data() == []


def test_erasing_a_closed_campaign_and_its_audit_record(backend, campaign):
    from chalicelib.storage import ErasureRecord

    backend.record_report(campaign, a_report(campaign, name="Bea", consent=True), "r1", START)
    backend.record_report(campaign, a_report(campaign), "r2", START)
    assert backend.campaigns_due_for_erasure(campaign.deadline + timedelta(days=1)) == []   # still open
    backend.mark_closed("ua-47-22", 1, campaign.deadline + timedelta(minutes=1))
    assert backend.campaigns_due_for_erasure(campaign.deadline) == []                       # deadline not before
    (due,) = backend.campaigns_due_for_erasure(campaign.deadline + timedelta(days=1))
    assert backend.erase_campaign_personal_data(due, START) == 1
    backend.mark_personal_data_erased("ua-47-22", START)
    assert backend.campaigns_due_for_erasure(campaign.deadline + timedelta(days=1)) == []
    record = ErasureRecord("req", "retention", 1, "scheduler", START, "ua-47-22")
    backend.record_erasure(record)
    assert backend.erasure_records() == [record]
    assert all(r.name is None for r in backend.all_reports(campaign))
