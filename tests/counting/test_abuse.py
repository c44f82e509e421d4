"""Quiet abuse checks: a report that fails one is answered like any other, stored
flagged for staff review, and left out of every total."""
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from chalicelib.counting import abuse
from chalicelib.runtime.config import load_settings
from tests.api.test_reports import CAMPAIGN, FORM, counted, form_fields, json_of, report_id_in
from tests.conftest import FORM_TOKEN_SECRET, form_token, post_report, report_body, run_scheduled

SETTINGS = load_settings({"FORM_TOKEN_SECRET": FORM_TOKEN_SECRET})


def stored_flags(store):
    """(submission id, flag reason) of every flagged report of UA 47.22."""
    return {(r.submission_id, r.flag_reason) for r in store.flagged_reports(store.get_campaign(CAMPAIGN))}


# case -> (what the bot changes in a valid report, the reason stored). Lambdas, so that
# tokens are made against the test's fake clock.
BOTS = {
    "honeypot filled": (lambda: {"website": "https://spam.example"}, "honeypot"),
    "filled in 1 s": (lambda: {"form_token": form_token(age=timedelta(seconds=1))}, "too_fast"),
    "forged token": (lambda: {"form_token": "1767960000000." + "A" * 43}, "bad_token"),
    "no token": (lambda: {"form_token": None}, "bad_token"),
    "token not a string": (lambda: {"form_token": 12345}, "bad_token"),
    "another campaign's token": (lambda: {"form_token": form_token("ua-99-22")}, "bad_token"),
    "token from the future": (lambda: {"form_token": form_token(age=-timedelta(minutes=5))}, "bad_token"),
    "expired token": (lambda: {"form_token": form_token(age=timedelta(hours=24, seconds=1))},
                      "expired_token"),
}


def bot_body(case):
    changes, _ = BOTS[case]
    body = report_body(**changes())
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize("case", list(BOTS))
def test_a_json_report_failing_a_check_is_answered_alike_stored_flagged_and_not_counted(
        client, campaign, store, staff_headers, fake_clock, case):
    human = post_report(client, campaign, report_body())
    body = bot_body(case)

    response = post_report(client, campaign, body)

    # Then the bot sees exactly what a person sees
    assert response.status_code == human.status_code == 201
    assert set(json_of(response)) == set(json_of(human))
    assert json_of(response)["status"] == "recorded"
    assert set(response.headers) == set(human.headers)
    # and the report is kept flagged, with the reason, and never counted
    assert stored_flags(store) == {(body["submission_id"], BOTS[case][1])}
    totals = counted(client, staff_headers, fake_clock=fake_clock)
    assert totals["reports"] == 1 and totals["actions_total"] == 3
    public = json_of(client.http.get(f"/campaigns/{campaign}/totals"))
    assert public["reports"] == 1


@pytest.mark.parametrize("case", ["honeypot filled", "filled in 1 s", "forged token", "no token"])
def test_a_form_post_failing_a_check_gets_the_same_thank_you_page(client, campaign, store, staff_headers,
                                                                 fake_clock, case):
    changes, reason = BOTS[case]
    human = client.http.post(f"/campaigns/{CAMPAIGN}/reports", headers=FORM,
                             body=urlencode(form_fields(), doseq=True))
    bot = {k: v for k, v in form_fields(**changes()).items() if v is not None}

    response = client.http.post(f"/campaigns/{CAMPAIGN}/reports", headers=FORM, body=urlencode(bot, doseq=True))

    assert response.status_code == human.status_code == 201

    def normalise(page):
        return page.replace(report_id_in(page), "ID")
    assert normalise(response.body.decode()) == normalise(human.body.decode())
    assert stored_flags(store) == {(bot["submission_id"], reason)}
    assert counted(client, staff_headers, fake_clock=fake_clock)["reports"] == 1


def test_the_minimum_fill_time_is_configurable(client, campaign, store, monkeypatch, fake_clock):
    monkeypatch.setenv("MIN_FILL_SECONDS", "600")
    from chalicelib.runtime import process
    process.reset()
    body = report_body()   # filled in two minutes: too fast for a ten-minute minimum

    assert post_report(client, campaign, body).status_code == 201

    assert stored_flags(store) == {(body["submission_id"], "too_fast")}


def test_a_flagged_replay_stays_flagged_and_a_replay_of_a_counted_report_stays_counted(
        client, campaign, store, staff_headers, fake_clock):
    counted_body, flagged_body = report_body(), report_body(website="x")
    post_report(client, campaign, counted_body)
    post_report(client, campaign, flagged_body)

    # the same submissions again, the flags swapped: the first write wins
    assert post_report(client, campaign, dict(counted_body, website="x")).status_code == 200
    assert post_report(client, campaign, dict(flagged_body, website="")).status_code == 200

    assert stored_flags(store) == {(flagged_body["submission_id"], "honeypot")}
    assert counted(client, staff_headers, fake_clock=fake_clock)["reports"] == 1


def test_flagged_reports_are_out_of_the_final_totals_too(client, campaign, store, staff_headers, fake_clock):
    post_report(client, campaign, report_body())
    post_report(client, campaign, report_body(website="x", actions={"letter": 50}))
    fake_clock.advance(days=12)
    run_scheduled(client)

    totals = counted(client, staff_headers)

    assert totals["final"] is True and totals["reports"] == 1 and totals["actions"]["letter"] == 2
    assert len(store.flagged_reports(store.get_campaign(CAMPAIGN))) == 1


def test_an_invalid_report_is_422_whatever_the_checks_say(client, campaign, store):
    response = post_report(client, campaign, report_body(website="x", actions={"letter": 99}))

    assert response.status_code == 422
    assert stored_flags(store) == set()


def test_get_campaign_hands_out_a_fresh_token_that_is_accepted(client, campaign, store, staff_headers,
                                                              fake_clock):
    view = json_of(client.http.get(f"/campaigns/{campaign}"))
    fake_clock.advance(seconds=30)   # a person reading and filling in the form

    body = dict(report_body(), form_token=view["form_token"])
    assert post_report(client, campaign, body).status_code == 201

    assert stored_flags(store) == set()
    assert counted(client, staff_headers, fake_clock=fake_clock)["reports"] == 1


def test_the_form_page_carries_a_token_that_is_accepted(client, campaign, store, fake_clock):
    page = client.http.get(f"/campaigns/{campaign}/form").body.decode()
    token = page.split('name="form_token" value="')[1].split('"')[0]
    fake_clock.advance(seconds=4)

    assert post_report(client, campaign, dict(report_body(), form_token=token)).status_code == 201
    assert stored_flags(store) == set()


def test_a_form_shown_again_with_errors_keeps_its_token_so_a_quick_fix_is_not_too_fast(
        client, campaign, store, fake_clock):
    fields = form_fields({})
    again = client.http.post(f"/campaigns/{CAMPAIGN}/reports", headers=FORM, body=urlencode(fields, doseq=True))
    assert again.status_code == 422
    assert f'value="{fields["form_token"]}"' in again.body.decode()
    fake_clock.advance(seconds=1)

    fixed = client.http.post(f"/campaigns/{CAMPAIGN}/reports", headers=FORM,
                             body=urlencode(dict(fields, **{"count.governor.letter": "1"}), doseq=True))

    assert fixed.status_code == 201 and stored_flags(store) == set()


# -- the token itself -------------------------------------------------------------------

def test_a_token_binds_its_campaign_and_its_issue_time(fake_clock):
    now = fake_clock()
    token = abuse.issue_form_token(SETTINGS, "ua-47-22", now)
    issued, signature = token.split(".")

    assert abuse.token_issued_at(SETTINGS, "ua-47-22", token) == now
    assert abuse.token_issued_at(SETTINGS, "ua-47-23", token) is None
    assert abuse.token_issued_at(SETTINGS, "ua-47-22", f"{int(issued) - 60000}.{signature}") is None
    other_secret = load_settings({"FORM_TOKEN_SECRET": "another-secret-" + "x" * 32})
    assert abuse.token_issued_at(other_secret, "ua-47-22", token) is None


@pytest.mark.parametrize("token", [None, "", "1.2", "abc.def", "9" * 15 + "." + "A" * 43, ["1.2"], 7])
def test_malformed_tokens_are_just_not_genuine(token):
    assert abuse.token_issued_at(SETTINGS, "ua-47-22", token) is None


@pytest.mark.parametrize("secret", [None, "", "short"])
def test_without_a_proper_secret_no_token_is_made_or_trusted(fake_clock, secret):
    settings = load_settings({"FORM_TOKEN_SECRET": secret} if secret is not None else {})

    with pytest.raises(abuse.FormTokenSecretMissing):
        abuse.issue_form_token(settings, "ua-47-22", fake_clock())


def test_storage_lists_flagged_reports_oldest_first_with_their_reasons(store, settings, fake_clock):
    from chalicelib.domain.report import parse_report
    from chalicelib.staff.campaign_admin import save_campaign
    from tests.conftest import campaign_body

    campaign, _ = save_campaign(store, CAMPAIGN, campaign_body(), fake_clock(), 3)
    first, second, fine = (parse_report(report_body(), campaign, 50) for _ in range(3))
    store.record_report(campaign, second, "r2", fake_clock() + timedelta(seconds=5), "too_fast")
    store.record_report(campaign, first, "r1", fake_clock(), "honeypot")
    store.record_report(campaign, fine, "r3", fake_clock())

    flagged = store.flagged_reports(campaign)

    assert [(r.report_id, r.flag_reason) for r in flagged] == [("r1", "honeypot"), ("r2", "too_fast")]
    assert flagged[0].actions == first.actions and flagged[0].submission_id == first.submission_id
    assert [r.report_id for r in store.all_reports(campaign)] == ["r3"]
    assert store.get_report(campaign, first.submission_id).flag_reason == "honeypot"
