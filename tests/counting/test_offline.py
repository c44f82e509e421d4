"""Offline tallies: counted like reports, once per tally id, on open and closed campaigns;
a closed campaign re-published as exactly one new version; voided through the void flow;
a file stored all or nothing, and completed exactly once when sent again after a failure."""
import uuid

import pytest

from chalicelib.counting import offline, voiding
from chalicelib.counting.shown import current_totals
from chalicelib.domain.errors import CampaignNotFound, Conflict, ValidationFailed
from chalicelib.domain.tallies import parse_tally, parse_tally_csv
from chalicelib.storage import StorageUnavailable
from tests.conftest import report_body
from tests.counting.test_tallying import CAMPAIGN, recount
from tests.counting.test_voiding import close, submit
from tests.streams import fold_stream


def tally_body(**overrides):
    body = {"source": "Madrid group letter-writing evening", "acted_on": "2026-01-09", "country": "ES",
            "participants": 40, "per_target": {"governor": {"letter": 38}, "ambassador": {"email": 12}}}
    body.update(overrides)
    return body


def enter(store, settings, fake_clock, body=None, *, republish=True, by="tests"):
    body = body if body is not None else tally_body()
    return offline.enter_tallies(store, CAMPAIGN, lambda campaign: [parse_tally(
        body, campaign, settings.max_count_per_action, fake_clock())], entered_by=by, now=fake_clock(),
        republish=republish)


def import_csv(store, settings, fake_clock, content, *, republish=True):
    return offline.enter_tallies(store, CAMPAIGN, lambda campaign: parse_tally_csv(
        content, campaign, settings.max_count_per_action, fake_clock()), entered_by="tests", now=fake_clock(),
        republish=republish)


def csv_rows(count, letters=2):
    lines = ["source,acted_on,country,participants,governor.letter"]
    lines += [f"School {n},2026-01-08,ES,1,{letters}" for n in range(count)]
    return "\r\n".join(lines) + "\r\n"


def test_a_tally_counts_like_a_report_in_the_provisional_and_final_totals(store, settings, fake_clock, ua, moto_table):
    submit(store, settings)
    entered = enter(store, settings, fake_clock)
    (report, created), = entered.tallies
    assert created and report.offline.source == "Madrid group letter-writing evening"
    assert report.offline.entered_by == "tests" and report.participants == 40
    fold_stream(store)
    shown = current_totals(store, store.get_campaign(CAMPAIGN)).tally
    assert (shown.reports, shown.people, shown.actions["letter"], shown.actions["email"]) == (2, 41, 40, 13)
    assert shown.by_target_action["governor.letter"] == 40 and shown.by_country["ES"] == 1
    close(store, settings, fake_clock, ua)
    final = store.latest_final(CAMPAIGN)
    assert final.version == 1 and final.tally == shown == recount(store)
    assert final.offline_count == 1


def test_the_same_tally_id_twice_is_stored_and_counted_once_and_answered_with_the_first(store, settings,
                                                                                         fake_clock, ua):
    tally_id = str(uuid.uuid4())
    first = enter(store, settings, fake_clock, tally_body(tally_id=tally_id))
    again = enter(store, settings, fake_clock, tally_body(tally_id=tally_id.upper(), source="something else",
                                                          participants=3))
    assert [created for _, created in again.tallies] == [False]
    (stored, _), = again.tallies
    assert stored == first.tallies[0][0] and stored.offline.source == "Madrid group letter-writing evening"
    assert store.get_campaign(CAMPAIGN).offline_count == 1
    assert len(store.tally_entries(CAMPAIGN)) == 1 and recount(store).reports == 1
    assert [entry.action for entry in store.audit_entries(CAMPAIGN)] == ["tally"]


def test_a_tally_on_a_closed_campaign_publishes_exactly_one_new_version(store, settings, fake_clock, ua):
    submit(store, settings)
    close(store, settings, fake_clock, ua)
    assert store.latest_final(CAMPAIGN).version == 1
    entered = enter(store, settings, fake_clock)
    assert entered.republished.version == 2 and entered.republished.tally.reports == 2
    assert entered.republished.offline_count == 1
    versions = store.final_versions(CAMPAIGN)
    assert [v.version for v in versions] == [1, 2] and versions[0].tally.reports == 1
    assert versions[1].tally == recount(store)
    enter(store, settings, fake_clock, tally_body(tally_id=entered.tallies[0][0].submission_id))   # a replay
    close(store, settings, fake_clock, ua)
    assert len(store.final_versions(CAMPAIGN)) == 2
    assert not store.get_campaign(CAMPAIGN).publication_due


def test_from_the_api_a_closed_campaign_is_left_for_the_scheduled_job(store, settings, fake_clock, ua):
    close(store, settings, fake_clock, ua)
    entered = enter(store, settings, fake_clock, republish=False)
    assert entered.republished is None and entered.campaign.publication_due
    assert store.get_campaign(CAMPAIGN).publication_due
    fake_clock.advance(minutes=1)
    offline_run = close(store, settings, fake_clock, ua)
    assert offline_run.published == [CAMPAIGN]
    assert [v.tally.reports for v in store.final_versions(CAMPAIGN)] == [0, 1]


def test_a_tally_entered_while_the_close_runs_is_in_one_version_or_the_next(store, settings, fake_clock, ua,
                                                                            monkeypatch):
    from tests.counting.test_voiding import once_during

    submit(store, settings)
    once_during(monkeypatch, store, "all_reports", lambda: enter(store, settings, fake_clock, republish=False),
                after=True)
    close(store, settings, fake_clock, ua)
    versions = store.final_versions(CAMPAIGN)
    assert versions[-1].tally.reports == 2 and versions[-1].offline_count == 1
    assert versions[0].tally.reports == 1   # the recount had been read: the next version has it


def test_voiding_a_tally_takes_it_out_open_and_closed(store, settings, fake_clock, ua, moto_table):
    first = enter(store, settings, fake_clock).tallies[0][0]
    second = enter(store, settings, fake_clock, tally_body(source="School", participants=1,
                                                           per_target={"governor": {"letter": 30}})).tallies[0][0]
    voiding.void_report(store, CAMPAIGN, first.submission_id, reason="entered twice", by="Ana", now=fake_clock())
    entries = {entry.tally_id: entry for entry in store.tally_entries(CAMPAIGN)}
    assert not entries[first.submission_id].counted and entries[first.submission_id].voided_by == "Ana"
    assert entries[first.submission_id].void_reason == "entered twice" and entries[second.submission_id].counted
    fold_stream(store)
    assert current_totals(store, store.get_campaign(CAMPAIGN)).tally.reports == 1
    close(store, settings, fake_clock, ua)
    assert store.latest_final(CAMPAIGN).tally.actions == {"letter": 30}
    result = voiding.void_report(store, CAMPAIGN, second.report_id, reason="wrong campaign", by="Ana",
                                 now=fake_clock())
    assert result.republished.version == 2 and result.republished.tally.reports == 0
    assert not any(entry.counted for entry in store.tally_entries(CAMPAIGN))


def test_a_bad_tally_is_refused_naming_each_field_and_nothing_is_stored(store, settings, fake_clock, ua):
    bad = tally_body(source="", acted_on="2026-02-30", country="Spain", participants=0,
                     per_target={"mayor": {"letter": 1}, "governor": {"letter": "3", "email": 1.5, "fax": -1}},
                     extra=True)
    with pytest.raises(ValidationFailed) as refused:
        enter(store, settings, fake_clock, bad)
    assert set(refused.value.fields) == {"source", "acted_on", "country", "participants", "per_target.mayor",
                                         "per_target.governor.letter", "per_target.governor.email",
                                         "per_target.governor.fax", "extra"}
    assert store.get_campaign(CAMPAIGN).offline_count == 0 and store.tally_entries(CAMPAIGN) == []
    assert recount(store).reports == 0


@pytest.mark.parametrize("acted_on, message", [("2026-01-12", "future"), ("2024-12-01", "or later"),
                                               ("10/01/2026", "YYYY-MM-DD"), (None, "required")])
def test_acted_on_is_a_date_not_in_the_future_and_not_absurdly_old(store, settings, fake_clock, ua, acted_on,
                                                                    message):
    with pytest.raises(ValidationFailed) as refused:
        enter(store, settings, fake_clock, tally_body(acted_on=acted_on))
    assert message in refused.value.fields["acted_on"]


def test_a_tally_may_speak_for_more_people_than_a_report_and_count_as_many(store, settings, fake_clock, ua):
    report = enter(store, settings, fake_clock, tally_body(participants=600, per_target={
        "governor": {"letter": 600 * settings.max_count_per_action}})).tallies[0][0]
    assert report.participants == 600
    with pytest.raises(ValidationFailed) as refused:
        enter(store, settings, fake_clock, tally_body(participants=10_001))
    assert "10000" in refused.value.fields["participants"]
    with pytest.raises(ValidationFailed) as refused:
        enter(store, settings, fake_clock, tally_body(participants=2, per_target={"governor": {"letter": 101}}))
    assert "between 0 and 100" in refused.value.fields["per_target.governor.letter"]


def test_unknown_campaign_and_a_supporters_submission_id(store, settings, fake_clock, ua):
    with pytest.raises(CampaignNotFound):
        offline.enter_tallies(store, "ua-00-00", lambda campaign: [], entered_by="tests", now=fake_clock())
    report = submit(store, settings, **{"submission_id": str(uuid.uuid4())})
    with pytest.raises(Conflict):
        enter(store, settings, fake_clock, tally_body(tally_id=report.submission_id))
    content = (f"tally_id,source,acted_on,governor.letter\r\n,Madrid,2026-01-09,3\r\n"
               f"{report.submission_id},Bilbao,2026-01-09,4\r\n")
    with pytest.raises(Conflict) as refused:
        import_csv(store, settings, fake_clock, content)
    assert refused.value.code == "tally_id_taken"
    assert store.get_campaign(CAMPAIGN).offline_count == 0 and store.tally_entries(CAMPAIGN) == []
    assert recount(store).reports == 1   # the supporter's report alone


def test_a_file_is_stored_in_transactions_of_33_and_counted_once_when_sent_again(store, settings, fake_clock, ua):
    content = csv_rows(70)
    entered = import_csv(store, settings, fake_clock, content)
    assert entered.created == 70 and store.get_campaign(CAMPAIGN).offline_count == 70
    again = import_csv(store, settings, fake_clock, content)
    assert again.created == 0 and [r.submission_id for r, _ in again.tallies] == [
        r.submission_id for r, _ in entered.tallies]
    assert recount(store).reports == 70 and recount(store).actions == {"letter": 140}
    assert len(store.tally_entries(CAMPAIGN)) == 70


def test_a_file_that_fails_half_way_is_completed_exactly_once_by_sending_it_again(store, settings, fake_clock, ua,
                                                                                  monkeypatch):
    content = csv_rows(80)
    real, calls = store.record_tallies, []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise StorageUnavailable("throttled")
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "record_tallies", failing)
    with pytest.raises(StorageUnavailable):
        import_csv(store, settings, fake_clock, content)
    assert recount(store).reports == 33   # the first transaction, all of it
    monkeypatch.setattr(store, "record_tallies", real)
    again = import_csv(store, settings, fake_clock, content)
    assert again.created == 47 and recount(store).reports == 80
    assert store.get_campaign(CAMPAIGN).offline_count == 80 and len(store.tally_entries(CAMPAIGN)) == 80


def test_a_file_with_a_tally_entered_before_stores_the_others_once(store, settings, fake_clock, ua):
    tally_id = str(uuid.uuid4())
    enter(store, settings, fake_clock, tally_body(tally_id=tally_id))
    content = ("tally_id,source,acted_on,governor.letter\r\n"
               f"{tally_id},Madrid,2026-01-09,3\r\n,Bilbao,2026-01-09,4\r\n")
    entered = import_csv(store, settings, fake_clock, content)
    assert [created for _, created in entered.tallies] == [False, True]
    assert recount(store).reports == 2 and store.get_campaign(CAMPAIGN).offline_count == 2


def test_a_file_with_a_bad_row_stores_nothing_and_names_every_bad_cell(store, settings, fake_clock, ua):
    content = ("\ufefftally_id,source,acted_on,country,participants,governor.letter,ambassador.email\r\n"
               ",School A,2026-01-08,ES,30,20,0\r\n"
               "not-a-uuid,,2026-13-01,Spain,x,three,1\r\n"
               ",School C,2026-01-08,,,0,0\r\n")
    with pytest.raises(ValidationFailed) as refused:
        import_csv(store, settings, fake_clock, content)
    assert set(refused.value.fields) == {"row 3.tally_id", "row 3.source", "row 3.acted_on", "row 3.country",
                                         "row 3.participants", "row 3.per_target.governor.letter", "row 4.per_target"}
    assert recount(store).reports == 0 and store.tally_entries(CAMPAIGN) == []


def test_a_bad_header_and_too_many_rows_are_refused(store, settings, fake_clock, ua):
    with pytest.raises(ValidationFailed) as refused:
        import_csv(store, settings, fake_clock, "source,governor.letter,mayor.letter,source\r\nA,1,1,A\r\n")
    assert set(refused.value.fields) == {"header.mayor.letter", "header"}
    with pytest.raises(ValidationFailed) as refused:
        import_csv(store, settings, fake_clock, csv_rows(1001))
    assert "at most 1000" in refused.value.fields["body"]
    for empty in ("", "\ufeff", "source,acted_on,governor.letter\r\n"):
        with pytest.raises(ValidationFailed):
            import_csv(store, settings, fake_clock, empty)


def test_rows_of_one_file_may_not_share_a_tally_id(store, settings, fake_clock, ua):
    tally_id = str(uuid.uuid4())
    content = f"tally_id,source,acted_on,governor.letter\r\n{tally_id},A,2026-01-09,1\r\n{tally_id},B,2026-01-09,1\r\n"
    with pytest.raises(ValidationFailed) as refused:
        import_csv(store, settings, fake_clock, content)
    assert refused.value.fields == {"row 3.tally_id": "is row 2's too: each tally once"}


def test_tallies_are_not_rate_limited_flagged_or_asked_for_a_form_token(store, settings, fake_clock, ua):
    from dataclasses import replace
    strict = replace(settings, rate_limit_per_minute=1, group_review_threshold=5)
    for _ in range(3):
        report = enter(store, strict, fake_clock, tally_body(participants=400)).tallies[0][0]
        assert report.excluded is None and report.flag_reason is None
    assert recount(store).reports == 3 and report_body()   # a supporter's body has a form token; a tally none
