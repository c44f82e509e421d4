"""The storage contract, staff decisions (voids, reinstatements) as one transaction each, and the audit
trail. Run on moto and on DynamoDB Local (``backend``, tests/storage/conftest.py)."""
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.domain.campaign import parse_campaign
from chalicelib.domain.totals import Tally, Totals
from chalicelib.storage import StaleWrite
from tests.conftest import START, campaign_body
from tests.storage.conftest import a_report


def test_void_is_one_transaction_and_refuses_a_second_void(backend, campaign):
    from chalicelib.domain.report import Void
    from chalicelib.storage import AlreadyExcluded, ReportNotFound
    stored, _ = backend.record_report(campaign, a_report(campaign, name="Ana", consent=True), "r1", START)
    void = Void("Ana (UA desk)", "duplicate", START + timedelta(hours=1))
    backend.void_report(campaign, stored, void, publication_due=False)

    (again,) = backend.stored_reports(campaign)
    assert again.excluded == "void" and again.void == void and again.name == "Ana"
    assert list(backend.all_reports(campaign)) == []
    assert backend.get_campaign("ua-47-22").void_count == 1
    (entry,) = backend.audit_entries("ua-47-22")
    assert (entry.report_id, entry.by, entry.reason, entry.at) == ("r1", void.by, void.reason, void.at)
    assert backend.find_report(campaign, "r1").submission_id == stored.submission_id

    with pytest.raises(AlreadyExcluded) as already:
        backend.void_report(campaign, stored, void, publication_due=False)
    assert already.value.report.void == void
    ghost = replace(stored, submission_id=str(uuid.uuid4()), report_id="r2")
    with pytest.raises(ReportNotFound):
        backend.void_report(campaign, ghost, void, publication_due=False)
    assert backend.get_campaign("ua-47-22").void_count == 1 and len(backend.audit_entries("ua-47-22")) == 1


def test_void_refuses_when_the_campaign_state_changed_since_it_was_read(backend, campaign):
    from chalicelib.domain.report import Void
    stored, _ = backend.record_report(campaign, a_report(campaign), "r1", START)
    backend.publish_final("ua-47-22", Totals("ua-47-22", Tally(reports=1), True, START, version=1))
    backend.mark_closed("ua-47-22", 1, START)
    with pytest.raises(StaleWrite):   # ``campaign`` still says open
        backend.void_report(campaign, stored, Void("A", "x", START), publication_due=False)
    assert backend.get_campaign("ua-47-22").void_count == 0 and backend.stored_reports(campaign)


def test_an_edit_cannot_undo_a_void_count(backend, campaign):
    from chalicelib.domain.report import Void
    stored, _ = backend.record_report(campaign, a_report(campaign), "r1", START)
    backend.void_report(campaign, stored, Void("A", "x", START), publication_due=False)
    an_edit_read_before_the_decision_is_refused(backend, campaign, "void_count")


def an_edit_read_before_the_decision_is_refused(backend, campaign, counter):
    """``campaign`` was read before a staff decision raised ``counter``: an edit from it is
    stale; one from a fresh read keeps the count."""
    later = START + timedelta(minutes=1)
    edited = replace(parse_campaign("ua-47-22", campaign_body(title="New"), later, 3), created_at=START)
    with pytest.raises(StaleWrite):
        backend.replace_campaign(edited, campaign, later)
    fresh = backend.get_campaign("ua-47-22")
    backend.replace_campaign(replace(edited, **{counter: getattr(fresh, counter)}), fresh, later)
    assert getattr(backend.get_campaign("ua-47-22"), counter) == 1


def test_reinstate_is_one_transaction_for_a_flagged_report_only(backend, campaign):
    from chalicelib.domain.report import Reinstatement, Void
    from chalicelib.storage import NotFlagged, ReportNotFound
    stored, _ = backend.record_report(campaign, a_report(campaign, name="Ana", consent=True), "r1", START,
                                      flag_reason="too_fast")
    counted, _ = backend.record_report(campaign, a_report(campaign), "r2", START)
    assert list(backend.all_reports(campaign)) == [counted]
    reinstatement = Reinstatement("Ben (UA desk)", "a fast typist", START + timedelta(hours=1))
    backend.reinstate_report(campaign, stored, reinstatement, publication_due=False)

    again = backend.get_report(campaign, stored.submission_id)
    assert again.excluded is None and again.flag_reason == "too_fast" and again.reinstatement == reinstatement
    assert again.name == "Ana" and backend.flagged_reports(campaign) == []
    assert {r.report_id for r in backend.all_reports(campaign)} == {"r1", "r2"}
    fresh = backend.get_campaign("ua-47-22")
    assert (fresh.reinstated_count, fresh.void_count) == (1, 0)
    (entry,) = backend.audit_entries("ua-47-22")
    assert (entry.action, entry.report_id, entry.by, entry.reason) == ("reinstate", "r1", "Ben (UA desk)",
                                                                       "a fast typist")

    for refused in (stored, counted):       # reinstated already; never flagged
        with pytest.raises(NotFlagged) as raised:
            backend.reinstate_report(fresh, refused, reinstatement, publication_due=False)
        assert raised.value.report.report_id == refused.report_id and raised.value.report.excluded is None
    with pytest.raises(ReportNotFound):
        backend.reinstate_report(fresh, replace(stored, submission_id=str(uuid.uuid4())), reinstatement,
                                 publication_due=False)
    backend.void_report(fresh, stored, Void("Cy", "a test after all", START), publication_due=False)
    with pytest.raises(NotFlagged) as raised:   # voided
        backend.reinstate_report(fresh, stored, reinstatement, publication_due=False)
    assert raised.value.report.excluded == "void" and raised.value.report.reinstatement == reinstatement
    final = backend.get_campaign("ua-47-22")
    assert (final.reinstated_count, final.void_count, len(backend.audit_entries("ua-47-22"))) == (1, 1, 2)


def test_reinstate_refuses_when_the_campaign_state_changed_and_marks_a_closed_one_due(backend, campaign):
    from chalicelib.domain.report import Reinstatement
    stored, _ = backend.record_report(campaign, a_report(campaign), "r1", START, flag_reason="honeypot")
    backend.publish_final("ua-47-22", Totals("ua-47-22", Tally(), True, START, version=1))
    backend.mark_closed("ua-47-22", 1, START)
    assert backend.mark_published("ua-47-22", 0, 0)
    with pytest.raises(StaleWrite):   # ``campaign`` still says open
        backend.reinstate_report(campaign, stored, Reinstatement("A", "x", START), publication_due=False)
    assert backend.get_report(campaign, stored.submission_id).excluded == "flagged"
    closed = backend.get_campaign("ua-47-22")
    backend.reinstate_report(closed, stored, Reinstatement("A", "x", START), publication_due=True)
    due = backend.get_campaign("ua-47-22")
    assert due.publication_due and due.reinstated_count == 1
    assert not backend.mark_published("ua-47-22", 0, 0)   # totals that miss the reinstatement
    assert backend.mark_published("ua-47-22", 0, 1)


def test_edits_respect_the_reinstated_count(backend, campaign):
    from chalicelib.domain.report import Reinstatement

    stored, _ = backend.record_report(campaign, a_report(campaign), "r1", START, flag_reason="bad_token")
    backend.reinstate_report(campaign, stored, Reinstatement("A", "x", START), publication_due=False)
    an_edit_read_before_the_decision_is_refused(backend, campaign, "reinstated_count")
