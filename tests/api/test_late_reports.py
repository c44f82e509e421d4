"""Late reports through the API and the form: the contract (recorded_late, 410 naming
acted_before_deadline, the campaign's late_report_days), the form's question once the deadline
has passed, and what the totals say of them."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.api.test_reports import assert_error, form_fields, html_of, json_of, post_form
from tests.conftest import campaign_body, post_report, report_body, run_scheduled

CAMPAIGN = "ua-47-22"
DEADLINE = datetime(2026, 1, 21, 3, 59, 59, tzinfo=timezone.utc)   # campaign_body's, in UTC
LATE_DAYS = 14


@pytest.fixture
def after_deadline(campaign, fake_clock):
    fake_clock.set(DEADLINE + timedelta(days=1))
    return fake_clock


def test_a_late_report_is_201_recorded_late_and_its_replay_200(client, after_deadline):
    body = report_body(acted_before_deadline=True)
    first = post_report(client, CAMPAIGN, body)
    assert first.status_code == 201 and json_of(first)["status"] == "recorded_late"
    again = post_report(client, CAMPAIGN, body)
    assert again.status_code == 200 and json_of(again)["report_id"] == json_of(first)["report_id"]
    assert json_of(again)["status"] == "recorded_late"


@pytest.mark.parametrize("body", [report_body(), report_body(acted_before_deadline=False)],
                         ids=["not said", "said false"])
def test_after_the_deadline_a_report_not_said_to_be_earlier_is_410_naming_the_field(client, after_deadline, body):
    error = assert_error(post_report(client, CAMPAIGN, body), 410, "campaign_closed", "acted_before_deadline")
    assert "acted_before_deadline" in error["message"]


def test_a_non_boolean_acted_before_deadline_is_422(client, after_deadline):
    assert_error(post_report(client, CAMPAIGN, report_body(acted_before_deadline="yes")), 422,
                 "validation_failed", "acted_before_deadline")


def test_after_the_late_days_everything_is_410(client, campaign, fake_clock):
    fake_clock.set(DEADLINE + timedelta(seconds=1, days=LATE_DAYS))
    error = assert_error(post_report(client, CAMPAIGN, report_body(acted_before_deadline=True)), 410,
                         "campaign_closed")
    assert "fields" not in error


@pytest.mark.parametrize("days", [-1, 91, "7", True, 2.5])
def test_a_bad_late_report_days_is_422_naming_it(client, staff_headers, days):
    response = client.http.put(f"/staff/campaigns/{CAMPAIGN}", headers=staff_headers,
                               body=json.dumps(campaign_body(late_report_days=days)))
    assert_error(response, 422, "validation_failed", "late_report_days")
    assert client.http.get(f"/campaigns/{CAMPAIGN}").status_code == 404


def test_a_campaigns_own_late_days_are_kept_and_honoured(client, staff_headers, fake_clock):
    response = client.http.put(f"/staff/campaigns/{CAMPAIGN}", headers=staff_headers,
                               body=json.dumps(campaign_body(late_report_days=2)))
    assert json_of(response)["late_report_days"] == 2
    fake_clock.set(DEADLINE + timedelta(days=2))
    assert post_report(client, CAMPAIGN, report_body(acted_before_deadline=True)).status_code == 201
    fake_clock.set(DEADLINE + timedelta(days=2, seconds=1))
    assert_error(post_report(client, CAMPAIGN, report_body(acted_before_deadline=True)), 410, "campaign_closed")


def test_the_form_past_the_deadline_asks_and_refuses_kindly_until_ticked(client, after_deadline):
    page = html_of(client.http.get(f"/campaigns/{CAMPAIGN}/form?lang=es"))
    assert "El plazo ha terminado" in page and 'name="acted_before_deadline"' in page
    unticked = post_form(client, form_fields(late_form="1"))
    assert unticked.status_code == 422
    assert 'href="#acted_before_deadline"' in html_of(unticked) and "Tick the box" in html_of(unticked)
    ticked = post_form(client, form_fields(late_form="1", acted_before_deadline="yes"))
    assert ticked.status_code == 201 and "counted as a late report" in html_of(ticked)


def test_before_the_deadline_the_form_does_not_ask(client, campaign):
    assert 'name="acted_before_deadline"' not in html_of(client.http.get(f"/campaigns/{CAMPAIGN}/form"))


def test_after_the_late_days_the_form_is_the_closed_page(client, campaign, fake_clock):
    fake_clock.set(DEADLINE + timedelta(seconds=1, days=LATE_DAYS))
    page = client.http.get(f"/campaigns/{CAMPAIGN}/form")
    assert page.status_code == 200 and 'name="acted_before_deadline"' not in html_of(page)
    assert post_form(client, form_fields(late_form="1", acted_before_deadline="yes")).status_code == 410


def test_totals_say_how_many_late_reports_each_version_includes(client, campaign, staff_headers, fake_clock):
    assert post_report(client, CAMPAIGN, report_body()).status_code == 201
    fake_clock.set(DEADLINE + timedelta(seconds=10))
    assert post_report(client, CAMPAIGN, report_body(acted_before_deadline=True, participants=3)).status_code == 201
    fake_clock.set(DEADLINE + timedelta(minutes=1))
    run_scheduled(client)
    public = json_of(client.http.get(f"/campaigns/{CAMPAIGN}/totals"))
    assert public["final"] and public["reports"] == 1
    assert public["late_reports"] == {"reports": 0, "actions_total": 0, "people": 0}
    staff = json_of(client.http.get(f"/staff/campaigns/{CAMPAIGN}/totals", headers=staff_headers))
    assert staff["version"] == 1 and staff["late_reports_unpublished"]["reports"] == 1

    fake_clock.advance(days=1, minutes=1)   # LATE_PUBLICATION_SECONDS: a day
    run_scheduled(client)
    public = json_of(client.http.get(f"/campaigns/{CAMPAIGN}/totals"))
    assert public["reports"] == 2 and public["people"] == 4
    assert public["late_reports"] == {"reports": 1, "actions_total": 3, "people": 3}
    staff = json_of(client.http.get(f"/staff/campaigns/{CAMPAIGN}/totals", headers=staff_headers))
    assert staff["version"] == 2 and staff["late_reports_unpublished"]["reports"] == 0


def test_the_dashboard_shows_late_reports_published_and_not(client, campaign, staff_headers, store, fake_clock):
    from chalicelib.staff import sessions
    fake_clock.set(DEADLINE + timedelta(seconds=10))
    assert post_report(client, CAMPAIGN, report_body(acted_before_deadline=True)).status_code == 201
    fake_clock.set(DEADLINE + timedelta(minutes=1))
    run_scheduled(client)
    session_id, _ = sessions.sign_in(store, staff_headers["Authorization"].split()[1], fake_clock())
    headers = {"Cookie": f"{sessions.COOKIE}={session_id}"}
    page = html_of(client.http.get(f"/staff/dashboard/{CAMPAIGN}", headers=headers))
    assert "1 late report not yet published" in page
    fake_clock.advance(days=1, minutes=1)
    run_scheduled(client)
    session_id, _ = sessions.sign_in(store, staff_headers["Authorization"].split()[1], fake_clock())   # 8 hours
    headers = {"Cookie": f"{sessions.COOKIE}={session_id}"}
    page = html_of(client.http.get(f"/staff/dashboard/{CAMPAIGN}", headers=headers))
    assert "not yet published" not in page and "Of these, 1 late report" in page


def test_the_public_campaign_says_until_when_late_reports_are_taken(client, campaign, fake_clock):
    until = "2026-02-04T03:59:59Z"
    assert json_of(client.http.get(f"/campaigns/{CAMPAIGN}"))["late_reports_until"] == until
    fake_clock.set(DEADLINE + timedelta(days=3))
    late = json_of(client.http.get(f"/campaigns/{CAMPAIGN}"))
    assert late["status"] == "closed" and late["late_reports_until"] == until and late["form_token"]
    fake_clock.set(DEADLINE + timedelta(days=LATE_DAYS, seconds=1))
    assert "form_token" not in json_of(client.http.get(f"/campaigns/{CAMPAIGN}"))


def test_a_post_from_a_page_loaded_before_the_deadline_gets_the_question(client, after_deadline):
    """The page had no box (it was loaded in time); the report came after the deadline: the form
    comes back asking, rather than the closed page."""
    response = post_form(client, form_fields())
    assert response.status_code == 422 and 'name="acted_before_deadline"' in html_of(response)
