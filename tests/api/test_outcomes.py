"""PUT /staff/campaigns/{id}/outcome: how a case ended, recorded with who and when, shown on
the public campaign and its closed page, announced by the scheduled job; never a count, and
every bad input a field-level error that changes nothing."""
import json
from datetime import timedelta

import pytest

from chalicelib.domain.outcome import MAX_NOTE, OUTCOME_STATUSES
from tests.api.test_campaigns import assert_error, json_of, public
from tests.conftest import START, campaign_body, post_report, report_body, run_scheduled

pytestmark = pytest.mark.usefixtures("no_server_errors")
CAMPAIGN = "ua-47-22"
RELEASED = {"status": "released", "note": "Both defenders were released on 3 February.\n\nThank you!",
            "on": "2026-01-09"}


def put_outcome(client, headers, body, campaign_id=CAMPAIGN, raw=None):
    return client.http.put(f"/staff/campaigns/{campaign_id}/outcome", headers=headers,
                           body=raw if raw is not None else json.dumps(body))


def close_it(client, fake_clock):
    fake_clock.set(START + timedelta(days=30))
    run_scheduled(client)
    assert json_of(client.http.get(f"/campaigns/{CAMPAIGN}/totals"))["final"] is True


def test_an_outcome_is_stored_with_who_and_when_and_shown_to_the_public_without_them(
        client, campaign, staff_headers, store, fake_clock):
    response = put_outcome(client, staff_headers, RELEASED)
    assert response.status_code == 200, response.body
    stored = json_of(response)
    assert stored == {"campaign_id": CAMPAIGN, **RELEASED, "recorded_by": "staff token: tests",
                      "recorded_at": "2026-01-10T12:00:00Z", "revision": 1, "announced": False}
    assert response.headers["Cache-Control"] == "no-store"
    assert json_of(public(client))["outcome"] == RELEASED          # no staff name in the public view
    (entry,) = store.audit_entries(CAMPAIGN)
    assert (entry.action, entry.by, entry.report_id) == ("outcome", "staff token: tests", "")
    assert entry.details == {"status": "released", "on": "2026-01-09", "revision": "1"}
    assert "defenders" not in entry.reason                         # the note stays out of the trail


def test_an_outcome_can_be_changed_and_each_change_is_audited(client, campaign, staff_headers, store, fake_clock):
    put_outcome(client, staff_headers, {"status": "no_change", "on": "2026-01-05"})
    fake_clock.advance(hours=1)
    changed = json_of(put_outcome(client, staff_headers, RELEASED))
    assert changed["revision"] == 2 and changed["status"] == "released"
    assert changed["recorded_at"] == "2026-01-10T13:00:00Z"
    assert [e.details["status"] for e in store.audit_entries(CAMPAIGN)] == ["no_change", "released"]
    assert json_of(public(client))["outcome"]["status"] == "released"
    again = json_of(put_outcome(client, staff_headers, {"status": "released", "note": "", "on": "2026-01-09"}))
    assert again["note"] == "" and again["revision"] == 3


def test_setting_an_outcome_never_changes_a_count(client, campaign, staff_headers, store, fake_clock):
    for _ in range(3):
        assert post_report(client, campaign, report_body()).status_code == 201
    run_scheduled(client)
    provisional = json_of(client.http.get(f"/campaigns/{CAMPAIGN}/totals"))
    put_outcome(client, staff_headers, {"status": "improved", "on": "2026-01-10"})
    run_scheduled(client)
    assert json_of(client.http.get(f"/campaigns/{CAMPAIGN}/totals")) == provisional   # open: the same figures

    close_it(client, fake_clock)
    versions = store.final_versions(CAMPAIGN)
    final = json_of(client.http.get(f"/staff/campaigns/{CAMPAIGN}/totals", headers=staff_headers))
    for status in ("released", "worsened", "other"):
        assert put_outcome(client, staff_headers, {"status": status, "on": "2026-02-01"}).status_code == 200
        run_scheduled(client)
    assert store.final_versions(CAMPAIGN) == versions and len(versions) == 1
    assert json_of(client.http.get(f"/staff/campaigns/{CAMPAIGN}/totals", headers=staff_headers)) == final
    campaign_now = store.get_campaign(CAMPAIGN)
    assert (campaign_now.void_count, campaign_now.reinstated_count, campaign_now.published_version) == (0, 0, 1)
    assert json_of(public(client))["outcome"]["status"] == "other"


@pytest.mark.parametrize("body, field", [
    ({"status": "freed", "on": "2026-01-09"}, "status"),
    ({"status": None, "on": "2026-01-09"}, "status"),
    ({"status": ["released"], "on": "2026-01-09"}, "status"),
    ({"on": "2026-01-09"}, "status"),
    ({"status": "released", "note": "x" * (MAX_NOTE + 1), "on": "2026-01-09"}, "note"),
    ({"status": "released", "note": 42, "on": "2026-01-09"}, "note"),
    ({"status": "released", "note": "a\x00b", "on": "2026-01-09"}, "note"),
    ({"status": "released", "on": "2026-01-11"}, "on"),          # tomorrow: it has not happened
    ({"status": "released", "on": "2026-02-30"}, "on"),
    ({"status": "released", "on": "9 January 2026"}, "on"),
    ({"status": "released", "on": "2026-01-09T10:00:00Z"}, "on"),
    ({"status": "released", "on": 20260109}, "on"),
    ({"status": "released"}, "on"),
    ({**RELEASED, "by": "Ana"}, "by"),
    ({**RELEASED, "campaign_id": "other"}, "campaign_id"),
    ([RELEASED], "body"),
    ("released", "body"),
    (None, "body"),
], ids=lambda value: str(value)[:40] if not isinstance(value, str) else value)
def test_a_bad_outcome_is_422_naming_the_field_and_changes_nothing(client, campaign, staff_headers, store,
                                                                   body, field):
    put_outcome(client, staff_headers, {"status": "no_change", "on": "2026-01-01"})
    error = assert_error(put_outcome(client, staff_headers, body), 422, "validation_failed", field)
    assert error["fields"][field]
    assert store.get_outcome(CAMPAIGN).status == "no_change" and store.get_outcome(CAMPAIGN).revision == 1
    assert len(store.audit_entries(CAMPAIGN)) == 1


def test_every_bad_field_is_named_at_once(client, campaign, staff_headers):
    error = assert_error(put_outcome(client, staff_headers, {"status": "?", "note": 1, "on": "soon", "x": 1}), 422)
    assert set(error["fields"]) == {"status", "note", "on", "x"}


def test_a_note_of_the_longest_length_is_kept_as_given(client, campaign, staff_headers):
    note = ("Ña " * (MAX_NOTE // 3))[:MAX_NOTE - 1] + "é"
    stored = json_of(put_outcome(client, staff_headers, {"status": "other", "note": note, "on": "2026-01-10"}))
    assert stored["note"] == note.strip()


def test_every_status_is_accepted(client, campaign, staff_headers):
    for status in OUTCOME_STATUSES:
        assert json_of(put_outcome(client, staff_headers, {"status": status, "on": "2026-01-10"}))["status"] == status


@pytest.mark.parametrize("campaign_id", ["ua-99-99", "UA 47/22", "x" * 300])
def test_an_unknown_campaign_is_404_and_stores_nothing(client, campaign, staff_headers, store, campaign_id):
    assert_error(put_outcome(client, staff_headers, RELEASED, campaign_id=campaign_id.replace("/", "%2F")), 404)
    assert store.outcomes_due() == []


def test_malformed_json_and_other_media_types_are_refused(client, campaign, staff_headers, store):
    assert_error(put_outcome(client, staff_headers, None, raw="{not json"), 400, "malformed_body")
    assert_error(put_outcome(client, {**staff_headers, "Content-Type": "text/plain"}, RELEASED), 415)
    assert_error(put_outcome(client, staff_headers, None, raw=" " * (64 * 1024)), 413)
    assert store.get_outcome(CAMPAIGN) is None


def test_the_route_needs_a_staff_token(client, campaign, store):
    response = put_outcome(client, {"Content-Type": "application/json"}, RELEASED)
    assert_error(response, 401, "unauthorized")
    assert store.get_outcome(CAMPAIGN) is None


# -- where it is shown -------------------------------------------------------------------

@pytest.mark.parametrize("lang, label", [("en", "Released"), ("es", "Liberación"), ("fr", "Libération"),
                                         ("ar", "الإفراج")])
def test_the_closed_page_shows_the_translated_status_and_the_note_as_given(client, campaign, staff_headers,
                                                                           fake_clock, lang, label):
    note = "Free at last <script>alert(1)</script> & home."
    put_outcome(client, staff_headers, {"status": "released", "note": note, "on": "2026-01-09"})
    close_it(client, fake_clock)
    for query in (f"?lang={lang}", f"?lang={lang}&embed=1"):
        html = client.http.get(f"/campaigns/{CAMPAIGN}/form{query}").body.decode()
        assert label in html, html
        assert "Free at last &lt;script&gt;alert(1)&lt;/script&gt; &amp; home." in html
        assert "<script>alert" not in html
        assert 'datetime="2026-01-09"' in html


def test_an_open_form_shows_no_outcome_and_a_closed_page_without_one_says_nothing(client, campaign, fake_clock,
                                                                                  staff_headers):
    put_outcome(client, staff_headers, RELEASED)
    assert "outcome-heading" not in client.http.get(f"/campaigns/{CAMPAIGN}/form").body.decode()
    other = client.http.put("/staff/campaigns/ua-52-22", headers=staff_headers,
                            body=json.dumps(campaign_body(reference="UA 52.22")))
    assert other.status_code == 201
    close_it(client, fake_clock)
    assert "outcome-heading" in client.http.get(f"/campaigns/{CAMPAIGN}/form").body.decode()
    assert "outcome-heading" not in client.http.get("/campaigns/ua-52-22/form").body.decode()


def test_two_changes_at_once_one_wins_and_the_other_is_409(client, campaign, staff_headers, store, monkeypatch):
    put_outcome(client, staff_headers, {"status": "no_change", "on": "2026-01-01"})
    stale = store.get_outcome(CAMPAIGN)
    put_outcome(client, staff_headers, RELEASED)                      # another request, meanwhile
    from chalicelib.runtime import process
    monkeypatch.setattr(process.store(), "get_outcome", lambda campaign_id: stale)
    error = assert_error(put_outcome(client, staff_headers, {"status": "worsened", "on": "2026-01-10"}), 409,
                         "outcome_changed")
    assert "retry" in error["message"]
    monkeypatch.undo()
    assert store.get_outcome(CAMPAIGN).status == "released" and store.get_outcome(CAMPAIGN).revision == 2
