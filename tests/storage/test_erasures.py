"""The storage contract, erasing personal data, and the erasures' audit records. Run on moto and on
DynamoDB Local (``backend``, tests/storage/conftest.py)."""
import uuid
from datetime import timedelta

from tests.conftest import START
from tests.storage.conftest import a_report


def test_erasing_a_supporter_finds_their_reports_through_the_sparse_index(backend, campaign):
    from chalicelib.domain.report import contact_email_key

    ana = dict(name="Ana", contact_email="Ana@Example.org", consent=True)
    for report in (a_report(campaign, **ana), a_report(campaign, **ana), a_report(campaign)):
        backend.record_report(campaign, report, uuid.uuid4().hex, START)
    assert backend.erase_supporter_reports(contact_email_key("ana@example.org"), START) == 2
    assert backend.erase_supporter_reports(contact_email_key("ana@example.org"), START) == 0
    stored = list(backend.all_reports(campaign))
    assert len(stored) == 3 and all(r.name is None and r.contact_email is None for r in stored)


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
