"""Staff review of flagged reports: listing them (API, dashboard) and reinstating a wrongly
flagged one, which then counts exactly once: in provisional totals while open, in a new
published version once closed."""
import json
from datetime import timedelta

import pytest

from chalicelib.counting import decisions, publishing, reinstating, tallying, voiding
from chalicelib.counting.intake import submit_report
from chalicelib.domain.errors import (
    CampaignNotFound,
    ReportAlreadyReinstated,
    ReportNotFlagged,
    ReportUnknown,
    ValidationFailed,
)
from tests.conftest import post_report, report_body, run_scheduled
from tests.streams import fold_stream
from tests.counting.test_tallying import CAMPAIGN, recount
from tests.counting.test_voiding import close, decide_at_once, local_campaign, once_during
from tests.staff.conftest import signed_in  # noqa: F401 - a fixture

REINSTATE = "/staff/campaigns/ua-47-22/reports/{}/reinstate"


def submit(store, settings, **overrides):
    return submit_report(store, settings, CAMPAIGN, report_body(**overrides)).report


def flagged(store, settings, **overrides):
    """A report that fails the token check (a person with a stale page, say): stored flagged."""
    report = submit(store, settings, form_token=None, **overrides)
    assert report.excluded == "flagged" and report.flag_reason == "bad_token"
    return report


def reinstate(store, fake_clock, report_ref, reason="phoned us: a real letter", by="Ben (UA desk)", **options):
    return reinstating.reinstate_report(store, CAMPAIGN, report_ref, reason=reason, by=by, now=fake_clock(),
                                        **options)


# -- the domain --------------------------------------------------------------------------

def test_a_flagged_report_folded_long_ago_counts_once_reinstated(store, settings, fake_clock, ua):
    submit(store, settings, actions={"letter": 1})
    late = flagged(store, settings, actions={"letter": 7}, name="Ana", consent=True)
    fake_clock.advance(minutes=5)
    fold_stream(store)   # the flagged report's record is folded: it counted nothing
    assert tallying.current_totals(store, ua).tally.actions["letter"] == 1

    result = reinstate(store, fake_clock, late.report_id)

    assert result.republished is None and result.campaign.reinstated_count == 1
    assert result.campaign.void_count == 0
    stored = store.get_report(ua, late.submission_id)
    assert stored.excluded is None and stored.flag_reason == "bad_token"        # the flag stays on record
    assert (stored.reinstatement.by, stored.reinstatement.reason, stored.reinstatement.at) == \
        ("Ben (UA desk)", "phoned us: a real letter", fake_clock())
    (entry,) = store.audit_entries(CAMPAIGN)
    assert (entry.action, entry.report_id, entry.by) == ("reinstate", late.report_id, "Ben (UA desk)")
    assert "Ana" not in repr(entry)                                              # no personal data
    assert store.flagged_reports(ua) == []

    fake_clock.advance(seconds=10)
    fold_stream(store)   # the reinstatement's record
    totals = tallying.current_totals(store, ua)
    assert totals.tally == recount(store) and totals.tally.actions["letter"] == 8 and totals.tally.reports == 2


def test_reinstating_twice_is_refused_and_changes_nothing(store, settings, fake_clock, ua):
    report = flagged(store, settings)
    reinstate(store, fake_clock, report.submission_id.upper())     # by submission id, any case
    with pytest.raises(ReportAlreadyReinstated) as raised:
        reinstate(store, fake_clock, report.report_id, reason="again", by="Cy")
    assert raised.value.status == 409 and raised.value.code == "report_already_reinstated"
    assert "Ben (UA desk)" in raised.value.message and "Nothing was changed" in raised.value.message
    assert store.get_campaign(CAMPAIGN).reinstated_count == 1 and len(store.audit_entries(CAMPAIGN)) == 1
    assert store.get_report(ua, report.submission_id).reinstatement.by == "Ben (UA desk)"


def test_only_a_flagged_report_can_be_reinstated_and_a_reinstated_one_can_be_voided(
        store, settings, fake_clock, ua):
    counted, report = submit(store, settings), flagged(store, settings)
    with pytest.raises(ReportNotFlagged, match="never flagged"):
        reinstate(store, fake_clock, counted.report_id)
    reinstate(store, fake_clock, report.report_id)
    fake_clock.advance(seconds=1)   # the audit trail is in time order
    voiding.void_report(store, CAMPAIGN, report.report_id, reason="a test after all", by="Ana", now=fake_clock())
    with pytest.raises(ReportNotFlagged, match="is voided .by Ana") as raised:
        reinstate(store, fake_clock, report.report_id)
    assert raised.value.code == "report_not_flagged"
    campaign = store.get_campaign(CAMPAIGN)
    assert (campaign.void_count, campaign.reinstated_count) == (1, 1)
    assert [e.action for e in store.audit_entries(CAMPAIGN)] == ["reinstate", "void"]
    assert store.get_report(ua, report.submission_id).excluded == "void"
    fake_clock.advance(seconds=10)
    fold_stream(store)
    assert tallying.current_totals(store, ua).tally == recount(store) and recount(store).reports == 1


def test_a_flagged_report_cannot_be_voided_it_is_already_out(store, settings, fake_clock, ua):
    from chalicelib.storage import AlreadyExcluded
    report = flagged(store, settings)
    with pytest.raises(AlreadyExcluded):
        voiding.void_report(store, CAMPAIGN, report.report_id, reason="spam", by="Ana", now=fake_clock())


@pytest.mark.parametrize("ref", ["0" * 32, "4a1f0c2e-1111-4222-8333-944445555666", "", "not an id"])
def test_an_unknown_report_is_refused(store, settings, fake_clock, ua, ref):
    flagged(store, settings)
    with pytest.raises(ReportUnknown) as raised:
        reinstate(store, fake_clock, ref)
    assert raised.value.status == 404 and raised.value.fields == {"report_ref": "unknown report id or submission id"}
    assert store.get_campaign(CAMPAIGN).reinstated_count == 0 and store.audit_entries(CAMPAIGN) == []


def test_a_reinstatement_needs_a_reason_a_name_and_a_campaign(store, settings, fake_clock, ua):
    report = flagged(store, settings)
    with pytest.raises(ValidationFailed) as raised:
        reinstate(store, fake_clock, report.report_id, reason=" ", by="")
    assert set(raised.value.fields) == {"reason", "by"}
    with pytest.raises(CampaignNotFound):
        reinstating.reinstate_report(store, "ua-99-99", report.report_id, reason="x", by="y", now=fake_clock())
    assert store.get_report(ua, report.submission_id).excluded == "flagged"


def test_a_reinstatement_after_the_close_publishes_version_2_and_keeps_version_1(store, settings, fake_clock, ua):
    submit(store, settings, actions={"email": 2})
    report = flagged(store, settings, actions={"email": 5})
    close(store, settings, fake_clock, ua)
    version_1 = store.latest_final(CAMPAIGN)
    assert version_1.tally.reports == 1

    fake_clock.advance(days=2)
    result = reinstate(store, fake_clock, report.report_id)

    assert result.republished.version == 2 and result.republished.reinstated_count == 1
    assert result.republished.void_count == 0
    assert result.republished.tally == recount(store) and result.republished.tally.actions["email"] == 7
    campaign = store.get_campaign(CAMPAIGN)
    assert campaign.published_version == 2 and not campaign.publication_due
    assert store.final_versions(CAMPAIGN)[0] == version_1                      # never overwritten
    tallying.run_tally(store, settings, fake_clock())
    assert store.latest_final(CAMPAIGN).version == 2                           # nothing more to publish


def test_without_republishing_the_scheduled_job_publishes_the_new_version(store, settings, fake_clock, ua):
    report = flagged(store, settings)
    close(store, settings, fake_clock, ua)
    result = reinstate(store, fake_clock, report.report_id, republish=False)
    assert result.republished is None and result.campaign.publication_due
    assert store.latest_final(CAMPAIGN).version == 1 and store.latest_final(CAMPAIGN).tally.reports == 0

    fake_clock.advance(minutes=1)
    assert tallying.run_tally(store, settings, fake_clock()).published == [CAMPAIGN]
    final = store.latest_final(CAMPAIGN)
    assert final.version == 2 and final.tally.reports == 1 and final.tally == recount(store)
    assert not store.get_campaign(CAMPAIGN).publication_due
    assert publishing.finish_publication(store, CAMPAIGN, None, fake_clock()).version == 2


def test_a_crash_between_the_reinstatement_and_the_republish_is_finished_by_the_job(
        store, settings, fake_clock, ua, monkeypatch):
    report = flagged(store, settings)
    close(store, settings, fake_clock, ua)

    def crash(*args, **kwargs):
        raise RuntimeError("the laptop went to sleep")

    monkeypatch.setattr(decisions, "finish_publication", crash)
    with pytest.raises(RuntimeError):
        reinstate(store, fake_clock, report.report_id)
    assert store.get_campaign(CAMPAIGN).publication_due
    fake_clock.advance(minutes=1)
    tallying.run_tally(store, settings, fake_clock())
    assert store.latest_final(CAMPAIGN).tally.reports == 1 and store.latest_final(CAMPAIGN).version == 2


def test_a_reinstatement_racing_the_close_is_published_as_version_2(store, settings, fake_clock, ua,
                                                                   monkeypatch):
    submit(store, settings)
    report = flagged(store, settings)
    # the recount is done; a staff member reinstates before version 1 is written
    once_during(monkeypatch, store, "publish_final", lambda: reinstate(store, fake_clock, report.report_id))
    close(store, settings, fake_clock, ua)
    assert [v.tally.reports for v in store.final_versions(CAMPAIGN)] == [1, 2]
    assert store.latest_final(CAMPAIGN).tally == recount(store)
    assert not store.get_campaign(CAMPAIGN).publication_due


def test_a_reinstatement_during_a_fold_is_folded_by_the_next_batch(store, settings, fake_clock, ua, monkeypatch):
    submit(store, settings)
    report = flagged(store, settings)
    fake_clock.advance(seconds=10)
    # the fold has passed the flagged report by already when staff reinstate it
    once_during(monkeypatch, store, "fold_unread", lambda: reinstate(store, fake_clock, report.report_id), after=True)
    fold_stream(store)   # the batch that counted it, then the one with the decision
    assert tallying.current_totals(store, ua).tally == recount(store) and recount(store).reports == 2


@pytest.mark.dynamodb_local
def test_concurrent_reinstatements_each_count_once(local_table, settings, fake_clock):
    """On DynamoDB Local (moto's transactions are not atomic across threads)."""
    store, ua = local_campaign(local_table, settings, fake_clock)
    reports = [flagged(store, settings) for _ in range(6)]
    close(store, settings, fake_clock, ua)
    # four different reports, and one of them three times
    outcomes, errors = decide_at_once(lambda ref: reinstate(store, fake_clock, ref), ReportAlreadyReinstated,
                                      reports[:4] + [reports[0]] * 2)
    tallying.run_tally(store, settings, fake_clock())   # finishes any republish a conflict left due

    campaign = store.get_campaign(CAMPAIGN)
    counted = list(store.all_reports(campaign))
    assert campaign.reinstated_count == len(counted) == len(store.audit_entries(CAMPAIGN))   # all or nothing
    assert len(counted) + outcomes.count("already") + len(errors) == 6
    assert {r.report_id for r in counted} <= {r.report_id for r in reports[:4]}
    assert len(store.flagged_reports(campaign)) == 6 - len(counted)
    final = store.latest_final(CAMPAIGN)
    assert final.reinstated_count == campaign.reinstated_count and final.tally == recount(store)
    assert not campaign.publication_due


# -- the API -----------------------------------------------------------------------------

def staff_post(client, path, headers, body):
    response = client.http.post(path, headers=headers, body=body if isinstance(body, str) else json.dumps(body))
    return response.status_code, json.loads(response.body)


def test_staff_list_flagged_reports_by_reason_without_personal_data(client, campaign, staff_headers, fake_clock,
                                                                    no_server_errors):
    post_report(client, campaign, report_body())
    bots = [report_body(website="http://spam.example", name="Bot", contact_email="bot@example.org", consent=True)
            for _ in range(3)]
    forged = report_body(form_token="forged.token")  # noqa: S106 - a forged token, no secret
    for body in bots + [forged]:
        fake_clock.advance(seconds=1)   # listed oldest first
        assert post_report(client, campaign, body).status_code == 201

    response = client.http.get(f"/staff/campaigns/{campaign}/flagged", headers=staff_headers)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    view = json.loads(response.body)
    assert (view["flagged"], view["by_reason"]) == (4, {"bad_token": 1, "honeypot": 3})
    assert [r["submission_id"] for r in view["reports"]] == [b["submission_id"] for b in bots] + [
        view["reports"][3]["submission_id"]]
    assert set(view["reports"][0]) == {"report_id", "submission_id", "received_at", "flag_reason", "actions",
                                       "targets", "per_target", "participants", "country"}
    assert "Bot" not in response.body.decode() and "bot@example.org" not in response.body.decode()

    page = json.loads(client.http.get(f"/staff/campaigns/{campaign}/flagged?limit=2&offset=1",
                                      headers=staff_headers).body)
    assert page["flagged"] == 4 and [r["report_id"] for r in page["reports"]] == \
        [r["report_id"] for r in view["reports"][1:3]]


@pytest.mark.parametrize("query, field", [("limit=0", "limit"), ("limit=1001", "limit"), ("limit=x", "limit"),
                                          ("offset=-1", "offset"), ("limit=%C2%B2", "limit")])
def test_bad_paging_is_refused_by_name(client, campaign, staff_headers, no_server_errors, query, field):
    response = client.http.get(f"/staff/campaigns/{campaign}/flagged?{query}", headers=staff_headers)
    assert response.status_code == 422 and set(json.loads(response.body)["error"]["fields"]) == {field}


def test_flagged_of_an_unknown_campaign_is_404(client, staff_headers, moto_table, no_server_errors):
    response = client.http.get("/staff/campaigns/ua-99-99/flagged", headers=staff_headers)
    assert response.status_code == 404 and json.loads(response.body)["error"]["code"] == "campaign_not_found"


def test_reinstating_through_the_api_while_open(client, campaign, store, staff_headers, fake_clock,
                                                no_server_errors):
    body = report_body(website="autofilled by a password manager")
    report_id = json.loads(post_report(client, campaign, body).body)["report_id"]

    status, answer = staff_post(client, REINSTATE.format(report_id), staff_headers,
                                {"reason": " she wrote to us ", "by": "Ben"})

    assert status == 200, answer
    assert answer == {"campaign_id": campaign, "report_id": report_id, "submission_id": body["submission_id"],
                      "flag_reason": "honeypot", "counted": True, "reinstated_by": "Ben (staff token: tests)",
                      "reinstate_reason": "she wrote to us", "reinstated_at": answer["reinstated_at"],
                      "reinstated_count": 1, "republication_due": False}
    fake_clock.advance(minutes=1)
    run_scheduled(client)
    assert json.loads(client.http.get(f"/campaigns/{campaign}/totals").body)["reports"] == 1

    status, again = staff_post(client, REINSTATE.format(report_id), staff_headers, {"reason": "x", "by": "Cy"})
    assert status == 409 and again["error"]["code"] == "report_already_reinstated"
    assert store.get_campaign(campaign).reinstated_count == 1 and len(store.audit_entries(campaign)) == 1


def test_reinstating_through_the_api_after_the_close_leaves_the_republish_to_the_job(
        client, campaign, store, settings, staff_headers, fake_clock, no_server_errors):
    post_report(client, campaign, report_body())
    report_id = json.loads(post_report(client, campaign, report_body(form_token=None)).body)["report_id"]
    fake_clock.set(store.get_campaign(campaign).closes_at + timedelta(seconds=settings.settle_seconds))
    run_scheduled(client)

    status, answer = staff_post(client, REINSTATE.format(report_id), staff_headers, {"reason": "ok", "by": "Ben"})
    assert status == 200 and answer["republication_due"] is True
    assert json.loads(client.http.get(f"/campaigns/{campaign}/totals").body)["reports"] == 1   # version 1 still

    fake_clock.advance(minutes=1)
    run_scheduled(client)
    totals = json.loads(client.http.get(f"/staff/campaigns/{campaign}/totals", headers=staff_headers).body)
    assert (totals["final"], totals["version"], totals["reports"]) == (True, 2, 2)


@pytest.mark.parametrize("body, status, code, fields", [
    ({"reason": "x"}, 422, "validation_failed", {"by"}),
    ({"by": "Ben", "reason": "   "}, 422, "validation_failed", {"reason"}),
    ({"reason": "x", "by": "Ben", "extra": 1}, 422, "validation_failed", {"extra"}),
    ({"reason": "x" * 501, "by": 7}, 422, "validation_failed", {"reason", "by"}),
    (["reason", "by"], 422, "validation_failed", {"body"}),
    ("{not json", 400, "malformed_body", {"body"}),
])
def test_bad_reinstatement_requests_are_refused_by_name_and_change_nothing(
        client, campaign, store, staff_headers, no_server_errors, body, status, code, fields):
    report_id = json.loads(post_report(client, campaign, report_body(website="x")).body)["report_id"]
    answer_status, answer = staff_post(client, REINSTATE.format(report_id), staff_headers, body)
    assert (answer_status, answer["error"]["code"], set(answer["error"]["fields"])) == (status, code, fields)
    assert store.get_campaign(campaign).reinstated_count == 0 and store.audit_entries(campaign) == []


def test_reinstating_what_is_not_there_or_not_flagged_is_refused(client, campaign, store, staff_headers,
                                                                 no_server_errors):
    counted = json.loads(post_report(client, campaign, report_body()).body)["report_id"]
    good = {"reason": "x", "by": "Ben"}
    cases = [(REINSTATE.format("f" * 32), 404, "report_not_found"),
             ("/staff/campaigns/ua-99-99/reports/abc/reinstate", 404, "campaign_not_found"),
             (REINSTATE.format(counted), 409, "report_not_flagged")]
    for path, status, code in cases:
        answer_status, answer = staff_post(client, path, staff_headers, good)
        assert (answer_status, answer["error"]["code"]) == (status, code), path
    wrong_type = client.http.post(REINSTATE.format(counted), body="reason=x&by=y",
                                  headers={**staff_headers, "Content-Type": "application/x-www-form-urlencoded"})
    assert wrong_type.status_code == 415
    assert store.get_campaign(campaign).reinstated_count == 0 and store.audit_entries(campaign) == []


# -- the dashboard -----------------------------------------------------------------------

def test_the_dashboard_lists_flagged_reports_and_the_audit_shows_reinstatements(
        client, campaign, store, staff_headers, signed_in, fake_clock):  # noqa: F811 - the fixture
    hostile = report_body(website="x", name="<b>Bot</b>", consent=True, country="VE")
    post_report(client, campaign, hostile)
    page = client.http.get(f"/staff/dashboard/{campaign}/flagged", headers=signed_in())
    html = page.body.decode()
    assert page.status_code == 200 and "<script" not in html
    assert "1 flagged report, by reason" in html and "<code>honeypot</code>" in html and "VE" in html
    assert "Bot" not in html and "action-tally report reinstate ua-47-22" in html

    report = store.flagged_reports(store.get_campaign(campaign))[0]
    reinstate(store, fake_clock, report.report_id, reason="<i>a real supporter</i>")
    html = client.http.get(f"/staff/dashboard/{campaign}/flagged", headers=signed_in()).body.decode()
    assert "No flagged reports." in html
    html = client.http.get(f"/staff/dashboard/{campaign}", headers=signed_in()).body.decode()
    assert 'href="ua-47-22/flagged"' in html and "1 flagged report reinstated." in html
    assert "<td>reinstated</td>" in html and "&lt;i&gt;a real supporter&lt;/i&gt;" in html


def test_the_dashboard_flagged_page_of_an_unknown_campaign_is_404(client, moto_table, staff_headers, signed_in):  # noqa: F811
    assert client.http.get("/staff/dashboard/ua-99-99/flagged", headers=signed_in()).status_code == 404
