"""The storage layer's contract, run against moto and again against DynamoDB Local,
so that an emulator's gaps cannot hide a bug."""
import threading
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.domain.campaign import parse_campaign
from chalicelib.domain.report import parse_report
from chalicelib.storage import ProvisionalState, StaffToken, StaleWrite, TallyStore
from chalicelib.domain.totals import Tally, Totals
from tests.conftest import START, campaign_body, report_body


@pytest.fixture(params=["moto", pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)])
def backend(request):
    table = request.getfixturevalue("moto_table" if request.param == "moto" else "local_table")
    return TallyStore(table)


@pytest.fixture
def campaign(backend):
    campaign = parse_campaign("ua-47-22", campaign_body(), START, report_shards=3)
    backend.create_campaign(campaign)
    return campaign


def a_report(campaign, **overrides):
    return parse_report(report_body(**overrides), campaign, 50)


def test_campaign_round_trip(backend, campaign):
    assert backend.get_campaign("ua-47-22") == campaign
    assert backend.get_campaign("nope-nope") is None
    assert [c.campaign_id for c in backend.campaigns("open")] == ["ua-47-22"]
    assert backend.campaigns("closed") == []


def test_campaign_create_is_create_only(backend, campaign):
    with pytest.raises(StaleWrite):
        backend.create_campaign(campaign)


def test_replace_requires_the_version_read_and_an_open_campaign(backend, campaign):
    later = START + timedelta(minutes=1)
    edited = replace(parse_campaign("ua-47-22", campaign_body(title="New title"), later, 3),
                     created_at=campaign.created_at)
    backend.replace_campaign(edited, campaign, later)
    assert backend.get_campaign("ua-47-22").title == "New title"
    with pytest.raises(StaleWrite):  # ``campaign`` is no longer what is stored
        backend.replace_campaign(edited, campaign, later)
    with pytest.raises(StaleWrite):  # past the deadline
        backend.replace_campaign(edited, edited, campaign.deadline + timedelta(seconds=1))


def test_record_report_once_per_submission(backend, campaign):
    report = a_report(campaign)
    stored, created = backend.record_report(campaign, report, "first-id", START)
    replayed, created_again = backend.record_report(campaign, report, "second-id", START + timedelta(seconds=5))
    assert created and not created_again
    assert replayed.report_id == stored.report_id == "first-id"
    assert replayed.received_at == START
    assert [r.report_id for r in backend.all_reports(campaign)] == ["first-id"]


def test_reports_between_splits_windows_exactly(backend, campaign):
    stamps = [START + timedelta(seconds=s) for s in (0, 0, 1, 2, 2, 3)]
    for stamp in stamps:
        backend.record_report(campaign, a_report(campaign), uuid.uuid4().hex, stamp)
    from chalicelib.domain.clock import format_timestamp as ts
    windows = [("0000", ts(START)), (ts(START), ts(START + timedelta(seconds=2))),
               (ts(START + timedelta(seconds=2)), "9999")]
    counts = [Tally.of(backend.reports_received_between(campaign, a, b)).reports for a, b in windows]
    assert counts == [0, 3, 3]
    assert sum(counts) == Tally.of(backend.all_reports(campaign)).reports


def test_index_items_carry_no_personal_data(backend, campaign):
    report = a_report(campaign, name="Ana", contact_email="ana@example.org", consent=True)
    backend.record_report(campaign, report, "r1", START)
    (from_index,) = backend.reports_received_between(campaign, "0000", "9999")
    assert from_index.name is None and from_index.contact_email is None
    (from_table,) = backend.all_reports(campaign)
    assert from_table.name == "Ana" and from_table.contact_email == "ana@example.org"


def test_has_reports(backend, campaign):
    assert backend.has_reports(campaign) is False
    backend.record_report(campaign, a_report(campaign), "r1", START)
    assert backend.has_reports(campaign) is True


def test_provisional_state_is_replaced_only_from_the_state_read(backend, campaign):
    first = ProvisionalState(Tally(reports=1), "2026-01-10T12:00:00.000000Z", Tally(), START)
    assert backend.save_provisional("ua-47-22", first, None)
    assert not backend.save_provisional("ua-47-22", first, None)
    second = ProvisionalState(Tally(reports=2), "2026-01-10T12:01:00.000000Z", Tally(reports=1),
                              START + timedelta(minutes=1))
    assert backend.save_provisional("ua-47-22", second, first)
    assert not backend.save_provisional("ua-47-22", second, first)
    assert backend.get_provisional("ua-47-22") == second


def test_provisional_state_is_rebuilt_at_the_same_instant_after_a_void(backend, campaign):
    before = ProvisionalState(Tally(reports=2), "2026-01-10T12:00:00.000000Z", Tally(), START)
    assert backend.save_provisional("ua-47-22", before, None)
    rebuilt = replace(before, settled=Tally(reports=1), void_count=1)
    assert backend.save_provisional("ua-47-22", rebuilt, before)
    assert not backend.save_provisional("ua-47-22", replace(rebuilt, void_count=2), before)
    assert not backend.save_provisional("ua-47-22", replace(rebuilt, as_of=START - timedelta(seconds=1),
                                                            void_count=2), rebuilt)
    assert backend.get_provisional("ua-47-22") == rebuilt


def test_published_versions_are_never_overwritten(backend, campaign):
    one = Totals("ua-47-22", Tally(reports=3), True, START, version=1)
    other = Totals("ua-47-22", Tally(reports=99), True, START, version=1)
    assert backend.publish_final("ua-47-22", one) == one
    assert backend.publish_final("ua-47-22", other) == one
    assert backend.latest_final("ua-47-22") == one
    assert backend.mark_closed("ua-47-22", 1, START) is True
    assert backend.mark_closed("ua-47-22", 1, START) is False
    assert backend.get_campaign("ua-47-22").state == "closed"
    assert [c.campaign_id for c in backend.campaigns("closed")] == ["ua-47-22"]


def test_staff_token_round_trip(backend):
    token = StaffToken("ab" * 32, "ops", START, START + timedelta(days=1))
    backend.put_staff_token(token)
    assert backend.get_staff_token("ab" * 32) == token
    assert backend.get_staff_token("cd" * 32) is None


def test_concurrent_submissions_with_replays_store_each_once(request, backend, campaign):
    """8 threads send 40 submissions each, half of them shared: every id stored once.

    Only on DynamoDB Local: moto's conditional writes are not atomic across threads
    (seen: two threads both told "created" for one id under load), so moto cannot judge this.
    """
    if request.node.callspec.params["backend"] == "moto":
        pytest.skip("moto's conditional writes are not atomic across threads")
    shared = [a_report(campaign) for _ in range(20)]
    created_counts = []

    def supporter(worker):
        own = [a_report(campaign) for _ in range(20)]
        created = 0
        for report in shared + own:
            _, was_created = backend.record_report(campaign, report, uuid.uuid4().hex, START)
            created += was_created
        created_counts.append(created)

    threads = [threading.Thread(target=supporter, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = list(backend.all_reports(campaign))
    assert len(stored) == 20 + 8 * 20
    assert sum(created_counts) == len(stored)
    assert len({r.submission_id for r in stored}) == len(stored)


# -- staff side: voids, publication state, sessions, tokens --------------------------------

def test_void_is_one_transaction_and_refuses_a_second_void(backend, campaign):
    from chalicelib.domain.report import Void
    from chalicelib.storage import AlreadyExcluded, ReportNotFound
    stored, _ = backend.record_report(campaign, a_report(campaign, name="Ana", consent=True), "r1", START)
    void = Void("Ana (UA desk)", "duplicate", START + timedelta(hours=1))
    backend.void_report(campaign, stored, void, publication_due=False)

    (again,) = backend.stored_reports(campaign)
    assert again.excluded == "void" and again.void == void and again.name == "Ana"
    assert list(backend.all_reports(campaign)) == []
    assert list(backend.reports_received_between(campaign, "0000", "9999")) == []
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


def test_publication_state_only_moves_forward(backend, campaign):
    backend.publish_final("ua-47-22", Totals("ua-47-22", Tally(reports=1), True, START, version=1))
    backend.mark_closed("ua-47-22", 1, START)
    assert [c.campaign_id for c in backend.campaigns_due()] == ["ua-47-22"]
    assert backend.record_published("ua-47-22", 2) and not backend.record_published("ua-47-22", 1)
    assert backend.record_notified("ua-47-22", 2) and not backend.record_notified("ua-47-22", 2)
    assert not backend.mark_published("ua-47-22", void_count=1)    # totals reflecting a void that is not there
    assert backend.mark_published("ua-47-22", void_count=0)
    closed = backend.get_campaign("ua-47-22")
    assert (closed.state, closed.publication_due, closed.published_version, closed.notified_version) == \
        ("closed", False, 2, 2)
    assert backend.campaigns_due() == [] and [c.campaign_id for c in backend.campaigns("closed")] == ["ua-47-22"]


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
    assert {r.report_id for r in backend.reports_received_between(campaign, "0000", "9999")} == {"r1", "r2"}
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


def test_provisional_state_and_edits_respect_the_reinstated_count(backend, campaign):
    from chalicelib.domain.report import Reinstatement
    before = ProvisionalState(Tally(), "2026", Tally(), START)
    assert backend.save_provisional("ua-47-22", before, None)
    rebuilt = replace(before, reinstated_count=1)
    assert backend.save_provisional("ua-47-22", rebuilt, before)
    assert not backend.save_provisional("ua-47-22", replace(rebuilt, reinstated_count=2), before)
    assert backend.get_provisional("ua-47-22") == rebuilt and rebuilt.reflects(
        replace(campaign, reinstated_count=1)) and not rebuilt.reflects(campaign)

    stored, _ = backend.record_report(campaign, a_report(campaign), "r1", START, flag_reason="bad_token")
    backend.reinstate_report(campaign, stored, Reinstatement("A", "x", START), publication_due=False)
    an_edit_read_before_the_decision_is_refused(backend, campaign, "reinstated_count")


def test_move_deadline_only_brings_it_forward_on_an_open_campaign(backend, campaign):
    sooner = START + timedelta(days=1)
    assert not backend.move_deadline(campaign, campaign.deadline + timedelta(days=1), START)
    assert backend.move_deadline(campaign, sooner, START + timedelta(minutes=1))
    assert backend.get_campaign("ua-47-22").deadline == sooner
    assert not backend.move_deadline(campaign, sooner - timedelta(hours=1), START)   # stale read


def test_staff_sessions_and_token_listing(backend):
    from chalicelib.storage import StaffSession
    token = StaffToken("ab" * 32, "ops", START)
    backend.put_staff_token(token)
    assert backend.staff_tokens() == [token]
    session = StaffSession("cd" * 32, token.token_hash, START, START + timedelta(hours=8))
    backend.put_staff_session(session)
    assert backend.get_staff_session("cd" * 32) == session
    backend.end_staff_session("cd" * 32, START + timedelta(hours=1))
    assert backend.get_staff_session("cd" * 32).expires_at == START + timedelta(hours=1)
    assert backend.get_staff_session("ef" * 32) is None

# -- rate limits and personal data (issue 5) ---------------------------------------

def test_rate_window_counts_below_the_limit_and_expires(backend, campaign):
    window = START.replace(second=0)
    expires = window + timedelta(minutes=2)
    admitted = [backend.count_report_in_window("ua-47-22", "client", window, below=2, expires_at=expires)
                for _ in range(3)]
    assert admitted == [True, True, False]
    assert backend.reports_in_window("ua-47-22", "client", window, now=window) == 2
    assert backend.reports_in_window("ua-47-22", "client", window, now=expires) == 0      # expired
    assert backend.reports_in_window("ua-47-22", "other", window, now=window) == 0


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
