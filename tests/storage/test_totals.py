"""The storage contract, totals items: the provisional state and the published final versions. Run on
moto and on DynamoDB Local (``backend``, tests/storage/conftest.py)."""
from collections import Counter
from dataclasses import replace
from datetime import timedelta

from chalicelib.domain.totals import Tally, Totals
from chalicelib.storage import Fold, Mark
from tests.conftest import START


def test_a_fold_without_a_read_is_refused_when_its_shard_has_folded_that_far(backend, campaign):
    one = Fold("shard-a", 20, Tally(reports=2, actions=Counter(letter=3)))
    state = backend.fold_unread("ua-47-22", one, 10, START, START, START)
    assert state.tally.reports == 2 and state.marks == {"shard-a": Mark(20, START)}
    assert backend.fold_unread("ua-47-22", replace(one, last_sequence=25), 15, START, START, START) is None
    assert backend.fold_unread("ua-47-22", replace(one, last_sequence=25), 20, START, START, START) is None
    other = backend.fold_unread("ua-47-22", Fold("shard-b", 5, Tally(reports=1)), 1, START, START, START)
    assert other.tally.reports == 3 and set(other.marks) == {"shard-a", "shard-b"}   # shards never wait
    later = backend.fold_unread("ua-47-22", Fold("shard-a", 30, Tally(reports=-1)), 21, START, START, START)
    assert later.tally.reports == 2 and later.marks["shard-a"].sequence == 30
    assert backend.get_provisional("ua-47-22") == later


def test_a_fold_after_a_read_needs_the_mark_and_the_rebuild_as_read(backend, campaign):
    assert backend.fold_read("ua-47-22", Fold("s", 9, Tally(reports=1)), None, START) is not None
    read = backend.get_provisional("ua-47-22")
    assert backend.fold_read("ua-47-22", Fold("s", 7, Tally(reports=1)), None, START) is None   # not absent
    assert backend.request_rebuild("ua-47-22", START + timedelta(minutes=1))
    assert backend.fold_read("ua-47-22", Fold("s", 12, Tally(reports=1)), read, START) is None  # a cut came
    again = backend.get_provisional("ua-47-22")
    after = backend.fold_read("ua-47-22", Fold("s", 12, Tally(), Tally(reports=2)), again, START)
    assert after.tally.reports == 1 and after.after.reports == 2 and after.shown.reports == 3


def test_sequence_numbers_of_any_length_compare_as_numbers(backend, campaign):
    assert backend.fold_unread("ua-47-22", Fold("s", 99, Tally(reports=1)), 99, START, START, START)
    assert backend.fold_unread("ua-47-22", Fold("s", 1000, Tally(reports=1)), 100, START, START, START)
    assert backend.fold_unread("ua-47-22", Fold("s", 10**39, Tally(reports=1)), 1001, START, START, START)
    assert backend.fold_unread("ua-47-22", Fold("s", 10**39, Tally(reports=1)), 999, START, START, START) is None
    assert backend.get_provisional("ua-47-22").tally.reports == 3


def test_old_marks_are_forgotten_only_if_unchanged(backend, campaign):
    backend.fold_unread("ua-47-22", Fold("old", 5, Tally(reports=1)), 1, START, START, START)
    state = backend.fold_unread("ua-47-22", Fold("new", 5, Tally(reports=1)), 1, START, START, START)
    moved = {"old": Mark(4, START)}
    assert not backend.forget_marks("ua-47-22", moved)
    assert backend.forget_marks("ua-47-22", {"old": state.marks["old"]})
    assert set(backend.get_provisional("ua-47-22").marks) == {"new"}


def test_a_rebuild_replaces_what_was_folded_before_its_cut_once(backend, campaign):
    cut = START + timedelta(seconds=30)
    backend.fold_unread("ua-47-22", Fold("s", 5, Tally(reports=4)), 1, START, START, START)
    assert backend.request_rebuild("ua-47-22", cut) and not backend.request_rebuild("ua-47-22", cut)
    read = backend.fold_read("ua-47-22", Fold("s", 9, Tally(), Tally(reports=1)), backend.get_provisional(
        "ua-47-22"), START)
    stale = replace(read, revision=read.revision - 1)
    assert not backend.complete_rebuild("ua-47-22", Tally(reports=7), stale, START)
    assert backend.complete_rebuild("ua-47-22", Tally(reports=7), read, START)
    done = backend.get_provisional("ua-47-22")
    assert (done.tally.reports, done.after.reports, done.since, done.cut) == (8, 0, cut, None)
    assert done.marks == read.marks and not backend.complete_rebuild("ua-47-22", Tally(reports=7), read, START)


def test_provisional_totals_read_a_moment_ago_are_remembered(backend, campaign):
    backend.fold_unread("ua-47-22", Fold("s", 5, Tally(reports=1)), 1, START, START, START)
    assert backend.recent_provisional("ua-47-22", START, 10).tally.reports == 1
    backend.fold_unread("ua-47-22", Fold("s", 6, Tally(reports=1)), 6, START, START, START)
    assert backend.recent_provisional("ua-47-22", START + timedelta(seconds=10), 10).tally.reports == 1
    assert backend.recent_provisional("ua-47-22", START + timedelta(seconds=11), 10).tally.reports == 2


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


def test_totals_keep_people_and_what_reached_each_official(backend, campaign):
    tally = Tally(reports=2, people=9, actions=Counter(letter=3, call=1),
                  by_target_action=Counter({"governor.letter": 3, "unattributed.call": 1}))
    apart = Tally(reports=1, people=4, by_target_action=Counter({"ambassador.email": 2}))
    backend.fold_unread("ua-47-22", Fold("s", 5, tally), 1, START, START, START)
    backend.request_rebuild("ua-47-22", START + timedelta(minutes=1))
    state = backend.fold_read("ua-47-22", Fold("s", 6, Tally(), apart), backend.get_provisional("ua-47-22"), START)
    assert (state.tally, state.after) == (tally, apart)
    assert state.shown.target_actions() == {"governor": {"letter": 3}, "unattributed": {"call": 1},
                                            "ambassador": {"email": 2}}
    assert backend.complete_rebuild("ua-47-22", tally, state, START)
    assert backend.get_provisional("ua-47-22").tally == tally + apart
    final = Totals("ua-47-22", tally, True, START, version=1)
    backend.publish_final("ua-47-22", final)
    assert backend.latest_final("ua-47-22").tally == tally
