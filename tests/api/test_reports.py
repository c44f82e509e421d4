"""Supporters' reports: JSON and HTML-form intake, validation, replays and the deadline (both
shapes: see tests/api/test_reports_v2.py for what v2 adds)."""
import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest

from chalicelib.storage import TallyStore
from tests.conftest import campaign_body, form_token, post_report, report_body, run_scheduled

CAMPAIGN = "ua-47-22"
DEADLINE = datetime(2026, 1, 21, 3, 59, 59, tzinfo=timezone.utc)   # 2026-01-20T23:59:59-04:00
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


# -- helpers ------------------------------------------------------------------

# Every HTTP response in this module must be below 500, whatever the test asserts next.
pytestmark = pytest.mark.usefixtures("no_server_errors")


def json_of(response):
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    return json.loads(response.body)


def html_of(response):
    assert response.headers["Content-Type"].startswith("text/html"), response.headers
    return response.body.decode("utf-8")


def assert_error(response, status, code=None, field=None):
    """The v1 error shape, naming ``field`` in error.fields when given."""
    assert response.status_code == status, response.body
    error = json_of(response)["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code:
        assert error["code"] == code, error
    if field:
        assert field in error.get("fields", {}), error
    return error


def counted(client, staff_headers, campaign_id=CAMPAIGN, fake_clock=None):
    """Staff totals after the scheduled job has run past the settle time."""
    if fake_clock is not None:
        fake_clock.advance(minutes=2)
    run_scheduled(client)
    response = client.http.get(f"/staff/campaigns/{campaign_id}/totals", headers=staff_headers)
    assert response.status_code == 200, response.body
    return json_of(response)


def post_form(client, fields, campaign_id=CAMPAIGN):
    return client.http.post(f"/campaigns/{campaign_id}/reports", headers=FORM,
                            body=urlencode(fields, doseq=True))


TARGETS, ACTIONS = ("governor", "ambassador"), ("letter", "email", "fax", "call", "tweet")


def count(target, action):
    """The form's field for the count of ``action`` sent to ``target``."""
    return f"count.{target}.{action}"


def form_fields(counts=None, **overrides):
    """The form as the page posts it: a count per official and action (blank where the
    supporter typed nothing), by default 2 letters and 1 email to the governor."""
    counts = {"governor": {"letter": "2", "email": "1"}} if counts is None else counts
    fields = {"submission_id": str(uuid.uuid4()), "form_token": form_token(), "participants": "",
              "country": "MX", "name": "", "contact_email": ""}
    fields.update({count(t, a): counts.get(t, {}).get(a, "") for t in TARGETS for a in ACTIONS})
    fields.update(overrides)
    return fields


def v1_form_fields(**overrides):
    """The form as pages before per-official counts posted it (still read as v1's shape)."""
    fields = {"submission_id": str(uuid.uuid4()), "form_token": form_token(), "action_letter": "2",
              "action_email": "1", "action_fax": "", "action_call": "", "action_tweet": "", "target": ["governor"],
              "country": "MX", "name": "", "contact_email": ""}
    fields.update(overrides)
    return fields


class Page(HTMLParser):
    """What a test needs to know about a rendered form page."""

    def __init__(self, html):
        super().__init__()
        self.ids, self.described_by, self.summary_links = set(), [], []
        self.values, self.checked = {}, set()
        self._in_summary, self._select = 0, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if "aria-describedby" in attrs:
            self.described_by += attrs["aria-describedby"].split()
        if attrs.get("class") == "error-summary":
            self._in_summary = 1
        elif self._in_summary and tag == "div":
            self._in_summary += 1
        if self._in_summary and tag == "a":
            self.summary_links.append(attrs.get("href", ""))
        if tag == "select":
            self._select = attrs.get("name")
        if tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value", "")
        if tag == "input" and "name" in attrs:
            if attrs.get("type") == "checkbox":
                if "checked" in attrs:
                    self.checked.add((attrs["name"], attrs.get("value")))
            else:
                self.values[attrs["name"]] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if self._in_summary and tag == "div":
            self._in_summary -= 1


# -- JSON: success and replay --------------------------------------------------------

def test_a_json_report_is_recorded_with_201(client, campaign):
    response = post_report(client, campaign, report_body())

    assert response.status_code == 201, response.body
    body = json_of(response)
    assert set(body) == {"report_id", "campaign_id", "status"}
    assert body["campaign_id"] == CAMPAIGN and body["status"] == "recorded"
    assert isinstance(body["report_id"], str) and body["report_id"]


def test_a_full_report_with_consent_is_recorded(client, campaign, staff_headers, fake_clock):
    body = report_body(actions={"letter": 50, "tweet": 1}, targets=["governor", "ambassador"],
                       name="Ana López", contact_email="ana@example.org", consent=True)

    assert post_report(client, campaign, body).status_code == 201

    totals = counted(client, staff_headers, fake_clock=fake_clock)
    assert totals["actions"]["letter"] == 50 and totals["actions"]["tweet"] == 1
    assert totals["by_target"] == {"governor": 1, "ambassador": 1}


def test_a_replay_answers_200_with_the_same_report_and_counts_once(client, campaign, staff_headers,
                                                                   fake_clock):
    body = report_body(actions={"letter": 2})
    first = post_report(client, campaign, body)

    replay = post_report(client, campaign, body)
    changed = post_report(client, campaign, dict(body, actions={"letter": 9}))   # same submission id

    assert first.status_code == 201, first.body
    assert (replay.status_code, changed.status_code) == (200, 200)
    assert json_of(replay) == json_of(changed) == json_of(first)
    totals = counted(client, staff_headers, fake_clock=fake_clock)
    assert totals["reports"] == 1 and totals["actions"]["letter"] == 2
    assert totals["actions_total"] == 2


def test_a_replay_after_the_tally_ran_still_counts_once(client, campaign, staff_headers, fake_clock):
    body = report_body()
    post_report(client, campaign, body)
    counted(client, staff_headers, fake_clock=fake_clock)

    assert post_report(client, campaign, body).status_code == 200

    assert counted(client, staff_headers, fake_clock=fake_clock)["reports"] == 1


# -- JSON: bad bodies are 422 and store nothing -------------------------------------------

def without(field):
    body = report_body()
    del body[field]
    return body


BAD_REPORTS = {
    "unknown action type": (report_body(actions={"petition": 1}), "actions.petition"),
    "negative count": (report_body(actions={"letter": -1}), "actions.letter"),
    "count above 50": (report_body(actions={"letter": 51}), "actions.letter"),
    "huge count": (report_body(actions={"letter": 10 ** 12}), "actions.letter"),
    "float count": (report_body(actions={"letter": 1.5}), "actions.letter"),
    "boolean count": (report_body(actions={"letter": True}), "actions.letter"),
    "string count": (report_body(actions={"letter": "2"}), "actions.letter"),
    "null count": (report_body(actions={"letter": None}), "actions.letter"),
    "all zero counts": (report_body(actions={"letter": 0, "email": 0}), "actions"),
    "empty actions": (report_body(actions={}), "actions"),
    "actions as a list": (report_body(actions=["letter"]), "actions"),
    "missing actions": (without("actions"), "actions"),
    "unknown target": (report_body(targets=["president"]), "targets"),
    "one known one unknown target": (report_body(targets=["governor", "president"]), "targets"),
    "empty targets": (report_body(targets=[]), "targets"),
    "targets as a string": (report_body(targets="governor"), "targets"),
    "target not a string": (report_body(targets=[{"id": "governor"}]), "targets"),
    "bad country": (report_body(country="XX"), "country"),
    "country name": (report_body(country="Mexico"), "country"),
    "alpha-3 country": (report_body(country="MEX"), "country"),
    "country not a string": (report_body(country=484), "country"),
    "contact_email without consent": (report_body(contact_email="ana@example.org"), "contact_email"),
    "contact_email with consent false": (report_body(contact_email="ana@example.org", consent=False),
                                         "contact_email"),
    "name without consent": (report_body(name="Ana"), "name"),
    "bad email": (report_body(contact_email="ana.example.org", consent=True), "contact_email"),
    "email with a space": (report_body(contact_email="ana @example.org", consent=True), "contact_email"),
    "name not a string": (report_body(name=7, consent=True), "name"),
    "missing submission_id": (without("submission_id"), "submission_id"),
    "invalid submission_id": (report_body(submission_id="report-1"), "submission_id"),
    "empty submission_id": (report_body(submission_id=""), "submission_id"),
    "submission_id not a string": (report_body(submission_id=12345), "submission_id"),
    "unknown top-level field": (report_body(campaign="ua-47-22"), "campaign"),
    "consent not a bool": (report_body(consent="yes"), "consent"),
    "consent null": (report_body(consent=None), "consent"),
    "body is a list": ([report_body()], "body"),
    "body is a number": (42, "body"),
}


@pytest.mark.parametrize("case", list(BAD_REPORTS))
def test_a_bad_report_is_422_naming_the_field_and_stores_nothing(client, campaign, staff_headers,
                                                                  fake_clock, case):
    body, field = BAD_REPORTS[case]

    response = post_report(client, campaign, json.dumps(body))

    assert_error(response, 422, "validation_failed", field)
    totals = counted(client, staff_headers, fake_clock=fake_clock)
    assert totals["reports"] == 0 and totals["actions_total"] == 0


def test_the_same_submission_id_is_accepted_once_corrected(client, campaign):
    body = report_body(actions={"letter": 51})
    assert post_report(client, campaign, body).status_code == 422

    assert post_report(client, campaign, dict(body, actions={"letter": 50})).status_code == 201


def test_an_action_type_the_campaign_does_not_use_is_422(client, staff_headers):
    put = client.http.put("/staff/campaigns/ua-letters", headers=staff_headers,
                          body=json.dumps(campaign_body(actions=["letter"])))
    assert put.status_code == 201, put.body

    response = post_report(client, "ua-letters", report_body(actions={"letter": 1, "tweet": 1}))

    assert_error(response, 422, "validation_failed", "actions.tweet")


@pytest.mark.parametrize("given, stored", [("mx", "MX"), (" MX ", "MX"), ("Mx", "MX")])
def test_country_is_case_insensitive_and_stored_in_capitals(client, campaign, staff_headers, fake_clock,
                                                           given, stored):
    assert post_report(client, campaign, report_body(country=given)).status_code == 201

    assert counted(client, staff_headers, fake_clock=fake_clock)["by_country"] == {stored: 1}


# -- JSON: bodies the parser refuses ----------------------------------------------------------

def test_a_body_over_16_kib_is_413(client, campaign):
    body = json.dumps(report_body(name="x" * (17 * 1024), consent=True))

    assert_error(post_report(client, campaign, body), 413, "body_too_large")


def test_a_body_of_16_kib_is_not_refused_for_size(client, campaign):
    body = report_body()
    filler = 16 * 1024 - len(json.dumps(body))
    raw = json.dumps(body)[:-1] + " " * filler + "}"
    assert len(raw.encode()) == 16 * 1024

    assert post_report(client, campaign, raw).status_code == 201


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x"])
def test_an_unsupported_content_type_is_415(client, campaign, content_type):
    response = post_report(client, campaign, report_body(), headers={"Content-Type": content_type})

    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("raw", [
    b'{"submission_id": "0b7e2a1c-8f3d-4c55-9a7e-2f1d6c3b9e10", "actions": {"letter": 1}',
    b'{"submission_id": "0b7e2a1c-8f3d-4c55-9a7e-2f1d6c3b9e10", "actions": {"letter": NaN}}',
    b'{"submission_id": "0b7e2a1c-8f3d-4c55-9a7e-2f1d6c3b9e10", "actions": {"letter": Infinity}}',
    b'{"name": "Ana \xff", "consent": true}',
    b"",
    b"[" * 5000 + b"]" * 5000,
], ids=["truncated", "NaN", "Infinity", "invalid-utf8", "empty", "deeply-nested"])
def test_malformed_json_is_400(client, campaign, raw):
    assert_error(post_report(client, campaign, raw), 400, "malformed_body", "body")


def test_an_unknown_campaign_is_404(client, campaign):
    assert_error(post_report(client, "ua-99-99", report_body()), 404, "campaign_not_found")


# -- the deadline ------------------------------------------------------------------------------

def test_after_the_deadline_a_report_is_410_with_a_message(client, campaign, staff_headers, fake_clock):
    fake_clock.set(DEADLINE + timedelta(seconds=1))

    error = assert_error(post_report(client, campaign, report_body()), 410, "campaign_closed")

    assert "2026-01-21T03:59:59Z" in error["message"] and "closed" in error["message"]
    assert counted(client, staff_headers, fake_clock=fake_clock)["reports"] == 0


def test_a_report_exactly_at_the_deadline_is_accepted_and_counted_in_the_final(client, campaign,
                                                                              staff_headers, fake_clock):
    fake_clock.set(DEADLINE)

    assert post_report(client, campaign, report_body()).status_code == 201

    fake_clock.advance(minutes=5)
    totals = counted(client, staff_headers)
    assert totals["final"] is True and totals["reports"] == 1


def test_the_whole_deadline_second_is_included(client, campaign, fake_clock):
    fake_clock.set(DEADLINE + timedelta(milliseconds=999))
    assert post_report(client, campaign, report_body()).status_code == 201
    fake_clock.set(DEADLINE + timedelta(seconds=1))
    assert_error(post_report(client, campaign, report_body()), 410, "campaign_closed")


def test_a_retry_after_the_deadline_of_a_report_sent_in_time_gets_its_receipt(client, campaign, fake_clock,
                                                                             staff_headers):
    fake_clock.set(DEADLINE)
    body = report_body()   # its form was served a little before the deadline
    first = json_of(post_report(client, campaign, body))
    fake_clock.set(DEADLINE + timedelta(minutes=10))   # the response was lost; the client retries
    run_scheduled(client)

    retry = post_report(client, campaign, body)

    assert retry.status_code == 200 and json_of(retry) == first
    assert counted(client, staff_headers)["reports"] == 1


def test_a_closed_campaign_refuses_even_valid_reports_after_the_job_closed_it(client, campaign, fake_clock):
    fake_clock.set(DEADLINE + timedelta(minutes=5))
    run_scheduled(client)

    assert_error(post_report(client, campaign, report_body()), 410, "campaign_closed")


# -- the HTML form ----------------------------------------------------------------------------

def report_id_in(html):
    match = re.search(r"Report reference: <strong>([^<]+)</strong>", html)
    assert match, html
    return match.group(1)


def test_a_form_post_answers_201_with_a_thank_you_page(client, campaign):
    fields = form_fields()

    response = post_form(client, fields)

    assert response.status_code == 201, response.body
    html = html_of(response)
    assert "Thank you" in html
    # The report id on the page is the one the API knows for this submission.
    receipt = json_of(post_report(client, campaign, report_body(submission_id=fields["submission_id"])))
    assert report_id_in(html) == receipt["report_id"]


def test_a_replayed_form_answers_200_with_the_same_report(client, campaign, staff_headers, fake_clock):
    fields = form_fields()
    first = post_form(client, fields)

    replay = post_form(client, fields)

    assert (first.status_code, replay.status_code) == (201, 200)
    assert report_id_in(html_of(replay)) == report_id_in(html_of(first))
    assert counted(client, staff_headers, fake_clock=fake_clock)["reports"] == 1


def test_blank_counts_count_as_zero(client, campaign, staff_headers, fake_clock):
    response = post_form(client, form_fields({"governor": {"letter": " 3 ", "email": "", "fax": "   "}}))

    assert response.status_code == 201, response.body
    totals = counted(client, staff_headers, fake_clock=fake_clock)
    assert totals["actions"] == {"letter": 3, "email": 0, "fax": 0, "call": 0, "tweet": 0}
    assert totals["by_target_action"]["governor"]["letter"] == 3 and totals["by_target"]["ambassador"] == 0


def test_a_form_post_counts_what_reached_each_official_and_its_people(client, campaign, staff_headers, fake_clock):
    fields = form_fields({"governor": {"letter": "2"}, "ambassador": {"email": "3", "fax": "1"}}, participants="4")

    assert post_form(client, fields).status_code == 201

    totals = counted(client, staff_headers, fake_clock=fake_clock)
    assert totals["by_target_action"] == {"governor": {"letter": 2, "email": 0, "fax": 0, "call": 0, "tweet": 0},
                                          "ambassador": {"letter": 0, "email": 3, "fax": 1, "call": 0, "tweet": 0}}
    assert totals["people"] == 4 and totals["reports"] == 1 and totals["by_target"] == {"governor": 1,
                                                                                        "ambassador": 1}


def test_a_v1_form_post_is_still_read_as_v1s_shape(client, campaign, staff_headers, fake_clock):
    assert post_form(client, v1_form_fields(target=["governor", "ambassador"])).status_code == 201

    totals = counted(client, staff_headers, fake_clock=fake_clock)
    assert totals["by_target_action"]["unattributed"]["letter"] == 2 and totals["people"] == 1


def test_a_form_post_of_both_shapes_is_422_on_the_counts(client, campaign):
    response = post_form(client, form_fields(action_letter="1", target=["governor"]))

    assert response.status_code == 422
    page = Page(html_of(response))
    assert "#count-governor-letter" in page.summary_links and "counts-error" in page.described_by


def test_a_form_with_every_count_blank_is_422(client, campaign):
    response = post_form(client, form_fields({}))

    assert response.status_code == 422
    page = Page(html_of(response))
    # GOV.UK: a group's error links to its first input, and the group names its error
    assert "#count-governor-letter" in page.summary_links and "counts-error" in page.described_by


def test_a_form_with_errors_is_shown_again_with_the_answers_kept(client, campaign, staff_headers,
                                                                 fake_clock):
    # Given a supporter who typed a word as a count, a country not on the list, and a name without consent
    fields = form_fields({"governor": {"letter": "two", "email": "3"}, "ambassador": {"call": "1"}},
                         country="XX", name="Ana <López>", participants="3")

    # When they send the form
    response = post_form(client, fields)

    # Then the form comes back with a summary of each problem, linked to its field
    assert response.status_code == 422, response.body
    html = html_of(response)
    page = Page(html)
    assert 'class="error-summary"' in html and "There is a problem" in html
    assert {"#count-governor-letter", "#country", "#name"} <= set(page.summary_links)
    assert all(link[1:] in page.ids for link in page.summary_links), page.summary_links
    # each invalid field points at its message (an official's counts share one), and every reference resolves
    assert {"counts-governor-error", "country-error", "name-error"} <= set(page.described_by)
    assert all(ref in page.ids for ref in page.described_by), set(page.described_by) - page.ids
    # and what they typed is still there (escaped)
    assert page.values[count("governor", "letter")] == "two" and page.values[count("governor", "email")] == "3"
    assert page.values[count("ambassador", "call")] == "1" and page.values["participants"] == "3"
    assert "country" not in page.values and page.values["name"] == "Ana <López>"
    assert "Ana <López>" not in html and "Ana &lt;López&gt;" in html
    assert page.values["submission_id"] == fields["submission_id"]
    assert counted(client, staff_headers, fake_clock=fake_clock)["reports"] == 0

    # When they correct it and send the page's form again
    corrected = dict(page.values, country="MX", consent="yes", **{count("governor", "letter"): "2"})
    again = post_form(client, corrected)

    # Then it is recorded
    assert again.status_code == 201, again.body
    totals = counted(client, staff_headers, fake_clock=fake_clock)
    assert totals["reports"] == 1 and totals["actions"]["letter"] == 2 and totals["actions"]["email"] == 3
    assert totals["people"] == 3


@pytest.mark.parametrize("overrides, field_id", [
    ({count("governor", "letter"): "51"}, "count-governor-letter"),
    ({count("ambassador", "tweet"): "-1"}, "count-ambassador-tweet"),   # the first of its official's in error
    ({count("ambassador", "fax"): "x", count("ambassador", "tweet"): "-1"}, "count-ambassador-fax"),
    ({count("governor", "letter"): "1.5"}, "count-governor-letter"),
    ({count("president", "letter"): "1"}, "count-governor-letter"),   # not an official of the campaign: the group
    ({count("governor", "vote"): "1"}, "count-governor-letter"),
    ({"participants": "0"}, "participants"),
    ({"participants": "501"}, "participants"),
    ({"participants": "a few"}, "participants"),
    ({"country": "XX"}, "country"),
    ({"contact_email": "ana@example.org"}, "contact_email"),
    ({"contact_email": "not-an-email", "consent": "yes"}, "contact_email"),
])
def test_each_form_error_links_to_its_field(client, campaign, overrides, field_id):
    response = post_form(client, form_fields(**overrides))

    assert response.status_code == 422, response.body
    page = Page(html_of(response))
    assert f"#{field_id}" in page.summary_links
    assert field_id in page.ids
    assert all(link[1:] in page.ids for link in page.summary_links), page.summary_links
    assert all(ref in page.ids for ref in page.described_by), set(page.described_by) - page.ids


def test_a_group_may_report_up_to_the_cap_per_person(client, campaign, staff_headers, fake_clock):
    assert post_form(client, form_fields({"governor": {"letter": "150"}}, participants="3")).status_code == 201
    response = post_form(client, form_fields({"governor": {"letter": "151"}}, participants="3"))

    assert response.status_code == 422
    assert "Rafael Lacava: enter each count as a whole number from 0 to 150" in html_of(response)
    assert counted(client, staff_headers, fake_clock=fake_clock)["actions"]["letter"] == 150


@pytest.mark.parametrize("submission_id", ["", "not-a-uuid"])
def test_a_form_with_a_bad_submission_id_can_be_corrected_by_sending_it_again(client, campaign,
                                                                            submission_id):
    response = post_form(client, form_fields(submission_id=submission_id))

    assert response.status_code == 422, response.body
    again = post_form(client, Page(html_of(response)).values)
    assert again.status_code == 201, again.body


@pytest.mark.parametrize("submission_id", ["", "not-a-uuid"])
def test_a_bad_submission_id_error_links_to_something_on_the_page(client, campaign, submission_id):
    response = post_form(client, form_fields(submission_id=submission_id))

    assert response.status_code == 422, response.body
    page = Page(html_of(response))
    assert page.summary_links
    assert all(link[1:] in page.ids for link in page.summary_links), page.summary_links


def test_a_form_with_consent_keeps_name_and_email(client, campaign):
    response = post_form(client, form_fields(name="Ana", contact_email="ana@example.org", consent="yes"))

    assert response.status_code == 201, response.body


def test_a_form_post_reads_the_campaign_once(client, campaign, monkeypatch):
    reads = []
    real = TallyStore.get_campaign
    monkeypatch.setattr(TallyStore, "get_campaign", lambda store, campaign_id: reads.append(campaign_id)
                        or real(store, campaign_id))

    assert post_form(client, form_fields()).status_code == 201
    assert reads == [campaign]


def test_a_form_post_after_the_late_days_shows_the_closed_page_with_410(client, campaign, fake_clock):
    fake_clock.set(DEADLINE + timedelta(days=14, seconds=1))   # within them: tests/api/test_late_reports.py

    response = post_form(client, form_fields())

    assert response.status_code == 410
    html = html_of(response)
    assert "closed" in html and 'datetime="2026-01-21T03:59:59Z"' in html


def test_a_form_post_exactly_at_the_deadline_is_accepted(client, campaign, fake_clock):
    fake_clock.set(DEADLINE)

    assert post_form(client, form_fields()).status_code == 201


def test_a_form_post_to_an_unknown_campaign_is_a_404_page(client, campaign):
    response = post_form(client, form_fields(), campaign_id="ua-99-99")

    assert response.status_code == 404
    assert "Page not found" in html_of(response)


def test_an_oversized_form_post_is_413_with_a_page_not_json(client, campaign):
    response = post_form(client, form_fields(name="x" * (17 * 1024)))

    assert response.status_code == 413
    assert "Your report was not sent" in html_of(response)


def test_a_form_post_that_is_not_utf8_is_400(client, campaign):
    response = client.http.post(f"/campaigns/{CAMPAIGN}/reports", headers=FORM, body=b"name=%FF&country=\xff")

    assert response.status_code == 400
    assert "Your report was not sent" in html_of(response)
