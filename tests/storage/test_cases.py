"""The storage contract for a case's campaigns (the sparse campaigns_by_case index), a
campaign's outcome (revisioned, audited, due until announced) and the audit entry a
deadline move leaves. Run on moto and on DynamoDB Local (``backend``)."""
from dataclasses import replace
from datetime import date, timedelta

import pytest

from chalicelib.domain.campaign import parse_campaign
from chalicelib.domain.outcome import Outcome
from chalicelib.storage import StaleWrite
from tests.conftest import START, campaign_body


def follow_up(backend, campaign_id, root, minutes):
    at = START + timedelta(minutes=minutes)
    campaign = replace(parse_campaign(campaign_id, campaign_body(follow_up_of=root), at, 3), case_id=root)
    backend.create_campaign(campaign)
    return campaign


def test_the_followers_of_a_case_come_from_one_query_oldest_first(backend, campaign):
    follow_up(backend, "ua-47-22-b", "ua-47-22", 2)
    follow_up(backend, "ua-47-22-a", "ua-47-22", 1)
    assert [c.campaign_id for c in backend.case_followers("ua-47-22")] == ["ua-47-22-a", "ua-47-22-b"]
    assert backend.case_followers("ua-47-22-a") == []                # a follow-up is no case's root
    whole = backend.get_whole_campaign("ua-47-22-b")
    assert whole.case_id == "ua-47-22" and whole.follow_up_of == "ua-47-22"
    assert backend.case_root(whole) == "ua-47-22" and backend.case_root(campaign) == "ua-47-22"
    assert [c.campaign_id for c in backend.case_campaigns(whole)] == ["ua-47-22", "ua-47-22-a", "ua-47-22-b"]


def test_case_id_survives_the_scheduled_jobs_own_writes(backend, campaign):
    fi = follow_up(backend, "ua-47-22-fi", "ua-47-22", 1)
    backend.mark_closed(fi.campaign_id, 1, START + timedelta(days=20))
    assert [c.campaign_id for c in backend.case_followers("ua-47-22")] == ["ua-47-22-fi"]


def outcome(status="released", at=START, by="staff token: tests"):
    return Outcome(status, "Free.", date(2026, 1, 9), recorded_by=by, recorded_at=at)


def test_an_outcome_is_revisioned_audited_and_due_until_announced(backend, campaign):
    first = backend.record_outcome("ua-47-22", outcome("no_change"), None)
    assert first.revision == 1 and not first.announced
    assert backend.get_whole_campaign("ua-47-22").outcome == first      # read with the campaign
    assert backend.get_campaign("ua-47-22").outcome is None              # not by the report path's read
    second = backend.record_outcome("ua-47-22", outcome(at=START + timedelta(hours=1)), first)
    assert second.revision == 2
    with pytest.raises(StaleWrite):                                      # a change from a stale read
        backend.record_outcome("ua-47-22", outcome("worsened"), first)
    with pytest.raises(StaleWrite):                                      # or from a read of none
        backend.record_outcome("ua-47-22", outcome("worsened"), None)
    assert [(c, o.revision) for c, o in backend.outcomes_due()] == [("ua-47-22", 2)]
    assert not backend.mark_outcome_announced("ua-47-22", 1)            # revision 2 is still to say
    assert backend.mark_outcome_announced("ua-47-22", 2)
    assert backend.outcomes_due() == [] and backend.get_outcome("ua-47-22").announced
    assert [e.details["status"] for e in backend.audit_entries("ua-47-22")] == ["no_change", "released"]
    # the outcome item is no campaign to the state index's other readers
    assert [c.campaign_id for c in backend.campaigns("open")] == ["ua-47-22"]
    assert backend.campaigns("closed") == [] and backend.campaigns_due() == []


def test_an_outcome_due_is_no_campaign_to_the_erasure_either(backend, campaign):
    backend.record_outcome("ua-47-22", outcome(), None)
    assert [c.campaign_id for c in backend.campaigns_with_personal_data()] == ["ua-47-22"]
    assert backend.campaigns_due_for_erasure(START + timedelta(days=400)) == []


def test_a_deadline_moved_leaves_one_entry_in_the_same_transaction(backend, campaign):
    later = START + timedelta(minutes=1)
    moved = replace(parse_campaign("ua-47-22", campaign_body(deadline="2026-01-25T23:59:59Z"), later, 3),
                    created_at=campaign.created_at)
    backend.replace_campaign(moved, campaign, later, by="staff token: tests")
    (entry,) = backend.audit_entries("ua-47-22")
    assert (entry.action, entry.by, entry.at) == ("deadline_moved", "staff token: tests", later)
    assert entry.details == {"old_deadline": "2026-01-21T03:59:59Z", "new_deadline": "2026-01-25T23:59:59Z"}
    with pytest.raises(StaleWrite):                                      # stale: neither write nor entry
        backend.replace_campaign(moved, campaign, later)
    sooner = START + timedelta(days=1)
    assert backend.move_deadline(backend.get_campaign("ua-47-22"), sooner, later + timedelta(minutes=1), "cli")
    assert not backend.move_deadline(campaign, sooner - timedelta(hours=1), START)   # stale read: no entry
    assert [e.by for e in backend.audit_entries("ua-47-22")] == ["staff token: tests", "cli"]
    assert backend.get_campaign("ua-47-22").deadline == sooner
