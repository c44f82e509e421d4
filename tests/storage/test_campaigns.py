"""The storage contract, campaign items: create-only, edits from the state read, the publication state,
the deadline. Run on moto and on DynamoDB Local (``backend``, tests/storage/conftest.py)."""
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.domain.campaign import parse_campaign
from chalicelib.domain.totals import Tally, Totals
from chalicelib.storage import StaleWrite
from tests.conftest import START, campaign_body


def test_campaign_round_trip(backend, campaign):
    assert backend.get_whole_campaign("ua-47-22") == campaign
    assert backend.get_campaign("ua-47-22") == replace(campaign, complete=False)   # the case left unread
    assert backend.get_campaign("nope-nope") is None and backend.get_whole_campaign("nope-nope") is None
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


def test_move_deadline_only_brings_it_forward_on_an_open_campaign(backend, campaign):
    sooner = START + timedelta(days=1)
    assert not backend.move_deadline(campaign, campaign.deadline + timedelta(days=1), START)
    assert backend.move_deadline(campaign, sooner, START + timedelta(minutes=1))
    assert backend.get_campaign("ua-47-22").deadline == sooner
    assert not backend.move_deadline(campaign, sooner - timedelta(hours=1), START)   # stale read
