"""The storage contract, totals items: the provisional state and the published final versions. Run on
moto and on DynamoDB Local (``backend``, tests/storage/conftest.py)."""
from dataclasses import replace
from datetime import timedelta

from chalicelib.domain.totals import Tally, Totals
from chalicelib.storage import ProvisionalState
from tests.conftest import START


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


def test_a_provisional_state_of_the_shape_before_people_does_not_reflect_the_campaign(backend, campaign):
    """Stored before totals counted people and what reached each official: the next run counts
    again from the start (ProvisionalState.reflects), through the usual conditional write."""
    backend._table.resource.put_item(Item={
        "pk": "CAMPAIGN#ua-47-22", "sk": "TOTALS#PROVISIONAL", "watermark": "2026-01-10T12:00:00Z",
        "settled": {"reports": 2, "actions": {"letter": 3}}, "tail": {"reports": 0},
        "as_of": "2026-01-10T12:00:00.000000Z", "void_count": 0, "reinstated_count": 0})
    old = backend.get_provisional("ua-47-22")
    assert old.shape == 1 and old.settled.people == 2 and not old.reflects(campaign)
    rebuilt = replace(old, settled=Tally(reports=2, people=5), shape=2)
    assert rebuilt.reflects(campaign) and backend.save_provisional("ua-47-22", rebuilt, old)
    assert backend.get_provisional("ua-47-22") == rebuilt


def test_totals_keep_people_and_what_reached_each_official(backend, campaign):
    from collections import Counter
    tally = Tally(reports=2, people=9, by_target_action=Counter({"governor.letter": 3, "unattributed.call": 1}))
    state = ProvisionalState(tally, "2026-01-10T12:00:00.000000Z", Tally(people=1), START)
    assert backend.save_provisional("ua-47-22", state, None)
    assert backend.get_provisional("ua-47-22") == state
    final = Totals("ua-47-22", tally, True, START, version=1)
    backend.publish_final("ua-47-22", final)
    assert backend.latest_final("ua-47-22").tally == tally
