"""GET /cases/{campaign_id}: an Urgent Action and its Further Information updates as one
chain, with each campaign's public totals and the case total; the closed page of an
earlier UA pointing to the open update; follow_up_of fixed once set, a case capped."""
import json
from datetime import timedelta

import pytest

from chalicelib.staff import campaign_admin
from tests.api.test_campaigns import assert_error, json_of, put_campaign
from tests.conftest import START, campaign_body, form_token, post_report, report_body, run_scheduled

pytestmark = pytest.mark.usefixtures("no_server_errors")
ROOT, FI, FI2 = "ua-47-22", "ua-47-22-fi", "ua-47-22-fi2"


def follow_up(client, staff_headers, campaign_id, parent, deadline="2026-02-20T23:59:59-04:00", **fields):
    body = campaign_body(reference=f"UA 47.22 {campaign_id[-3:].upper()}", title=f"Update {campaign_id}",
                         deadline=deadline, follow_up_of=parent, **fields)
    response = put_campaign(client, staff_headers, campaign_id, body)
    assert response.status_code == 201, response.body
    return response


def get_case(client, campaign_id):
    return client.http.get(f"/cases/{campaign_id}")


def reports(client, campaign_id, count, **fields):
    for _ in range(count):
        body = report_body(form_token=form_token(campaign_id), **fields)
        assert post_report(client, campaign_id, body).status_code == 201


@pytest.fixture
def chain(client, campaign, staff_headers, fake_clock):
    """UA 47.22, an update of it, and an update of the update (each created a minute later)."""
    fake_clock.advance(minutes=1)
    follow_up(client, staff_headers, FI, ROOT)
    fake_clock.advance(minutes=1)
    follow_up(client, staff_headers, FI2, FI, deadline="2026-03-20T23:59:59-04:00")
    return [ROOT, FI, FI2]


def test_any_campaign_of_the_case_answers_the_whole_chain_oldest_first(client, chain):
    for asked in chain:
        response = get_case(client, asked)
        assert response.status_code == 200, response.body
        case = json_of(response)
        assert case["case_of"] == asked
        assert [c["campaign_id"] for c in case["campaigns"]] == chain
        first = case["campaigns"][0]
        assert set(first) >= {"campaign_id", "reference", "deadline", "status", "totals"}
        assert first["reference"] == "UA 47.22" and first["deadline"] == "2026-01-21T03:59:59Z"
        assert first["status"] == "open" and first["totals"]["final"] is False
        assert response.headers["Cache-Control"] == "public, max-age=60"


def test_each_campaign_shows_its_own_totals_and_the_case_total_sums_them(client, chain, fake_clock, store):
    reports(client, ROOT, 12, actions={"letter": 1, "email": 1})
    reports(client, FI, 10, actions={"letter": 2})
    reports(client, FI2, 3, actions={"letter": 1, "call": 1})          # 3 calls: a small cell
    run_scheduled(client)
    case = json_of(get_case(client, FI))
    totals = {c["campaign_id"]: c["totals"] for c in case["campaigns"]}
    for campaign_id, shown in totals.items():
        assert shown == json_of(client.http.get(f"/campaigns/{campaign_id}/totals")), campaign_id
    assert totals[ROOT]["reports"] == 12 and totals[FI]["actions_total"] == 20
    assert totals[FI2]["actions"]["call"] is None                      # withheld, as on its own totals
    total = case["total"]
    assert total["reports"] == 25 and total["people"] == 25
    assert total["actions_total"] == 24 + 20 + 6
    # The calls are withheld in the sum too (else 3 = the sum minus the rest), and a second cell with them.
    assert total["actions"]["call"] is None
    assert list(total["actions"].values()).count(None) >= 2
    assert total["actions"]["letter"] is None or total["actions"]["letter"] == 12 + 20 + 3


def test_closed_campaigns_show_their_published_final_totals(client, chain, fake_clock):
    reports(client, ROOT, 11)
    fake_clock.set(START + timedelta(days=15))                          # the first UA has closed
    run_scheduled(client)
    case = json_of(get_case(client, FI2))
    first, second, _ = case["campaigns"]
    assert first["status"] == "closed" and first["totals"]["final"] is True and first["totals"]["reports"] == 11
    assert second["status"] == "open" and second["totals"]["reports"] == 0
    assert case["total"]["reports"] == 11


def test_a_campaign_that_follows_none_is_a_case_of_one(client, campaign):
    case = json_of(get_case(client, ROOT))
    assert [c["campaign_id"] for c in case["campaigns"]] == [ROOT]
    assert case["total"] == {"reports": 0, "actions_total": 0, "people": 0,
                             "actions": {"letter": 0, "email": 0, "fax": 0, "call": 0, "tweet": 0}}


@pytest.mark.parametrize("campaign_id", ["ua-99-99", "UA%2047.22", "x" * 65, "-ua"])
def test_an_unknown_or_impossible_id_is_404(client, campaign, campaign_id):
    assert_error(get_case(client, campaign_id), 404, "campaign_not_found")


def test_a_partner_page_of_the_asked_campaign_may_read_the_case(client, chain):
    allowed = client.http.get(f"/cases/{FI}", headers={"Origin": "https://www.example.org"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://www.example.org"
    other = client.http.get(f"/cases/{FI}", headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.http.request("OPTIONS", f"/cases/{FI}", headers={
        "Origin": "https://www.example.org", "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 204


def test_the_case_is_found_with_one_index_query_whatever_the_chain_length(client, chain, store, moto_table):
    items = {item["campaign_id"]: item for item in moto_table.scan()["Items"] if item["sk"] == "CAMPAIGN"}
    assert "case_id" not in items[ROOT]                                # the first campaign needs none
    assert items[FI]["case_id"] == ROOT and items[FI2]["case_id"] == ROOT
    assert [c.campaign_id for c in store.case_followers(ROOT)] == [FI, FI2]


# -- follow_up_of, once set ---------------------------------------------------------------

def test_follow_up_of_cannot_change_once_the_campaign_exists(client, chain, staff_headers, store):
    for changed in (None, ROOT):   # dropped, or moved to another campaign of the case
        body = campaign_body(reference="UA 47.22 FI2", deadline="2026-03-20T23:59:59-04:00", follow_up_of=changed)
        error = assert_error(put_campaign(client, staff_headers, FI2, body), 422, "validation_failed",
                             "follow_up_of")
        assert "fixed" in error["fields"]["follow_up_of"]
    unchanged = campaign_body(reference="UA 47.22 FI2", title="Edited", deadline="2026-03-20T23:59:59-04:00",
                              follow_up_of=FI)
    assert put_campaign(client, staff_headers, FI2, unchanged).status_code == 200
    assert store.get_campaign(FI2).case_id == ROOT
    # and a campaign that followed none cannot join a case later (it could make a loop)
    error = assert_error(put_campaign(client, staff_headers, ROOT, campaign_body(follow_up_of=FI2)), 422,
                         "validation_failed", "follow_up_of")
    assert "fixed" in error["fields"]["follow_up_of"]


def test_a_case_is_capped(client, campaign, staff_headers, monkeypatch):
    monkeypatch.setattr(campaign_admin, "MAX_CASE_CAMPAIGNS", 3)
    follow_up(client, staff_headers, "ua-47-22-a", ROOT)
    follow_up(client, staff_headers, "ua-47-22-b", "ua-47-22-a")
    error = assert_error(put_campaign(client, staff_headers, "ua-47-22-c", campaign_body(follow_up_of=ROOT)), 422,
                         "validation_failed", "follow_up_of")
    assert "3 campaigns already" in error["fields"]["follow_up_of"]
    assert client.http.get("/campaigns/ua-47-22-c").status_code == 404


def test_a_follow_up_stored_before_case_id_is_still_found_and_gains_it_at_its_next_edit(
        client, chain, staff_headers, store, moto_table):
    for campaign_id in (FI, FI2):   # as issue 12 stored them
        moto_table.update_item(Key={"pk": f"CAMPAIGN#{campaign_id}", "sk": "CAMPAIGN"},
                               UpdateExpression="REMOVE case_id")
        store.forget_campaign(campaign_id)
    case = json_of(get_case(client, FI2))
    assert [c["campaign_id"] for c in case["campaigns"]] == [ROOT, FI2]   # the root, walked up to, and itself
    body = campaign_body(reference="UA 47.22 FI", deadline="2026-02-20T23:59:59-04:00", follow_up_of=ROOT)
    assert put_campaign(client, staff_headers, FI, body).status_code == 200
    assert store.get_campaign(FI).case_id == ROOT
    assert [c["campaign_id"] for c in json_of(get_case(client, FI2))["campaigns"]] == [ROOT, FI, FI2]


# -- the closed page of an earlier UA -------------------------------------------------------

@pytest.mark.parametrize("lang, words", [("en", "This case continues: UA 47.22 -FI, Update ua-47-22-fi"),
                                         ("es", "Este caso continúa: UA 47.22 -FI, Update ua-47-22-fi"),
                                         ("fr", "Ce cas se poursuit : UA 47.22 -FI, Update ua-47-22-fi"),
                                         ("ar", "تتواصل هذه القضية: UA 47.22 -FI، Update ua-47-22-fi")])
def test_the_closed_page_of_an_earlier_ua_links_to_the_open_update(client, campaign, staff_headers, fake_clock,
                                                                    lang, words):
    follow_up(client, staff_headers, FI, ROOT)
    fake_clock.set(START + timedelta(days=15))
    run_scheduled(client)
    for query in (f"?lang={lang}", f"?lang={lang}&embed=1"):
        html = client.http.get(f"/campaigns/{ROOT}/form{query}").body.decode()
        assert words in html, html
        assert f'href="http://localhost/campaigns/{FI}/form?lang={lang}"' in html
    # within the UA's late days its form asks whether the actions came before the deadline, and
    # a post without saying so comes back to ask: both link to the update (tests/api/test_late_reports.py)
    late = client.http.post(f"/campaigns/{ROOT}/reports?lang={lang}", body="country=MX",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert late.status_code == 422 and words in late.body.decode()
    fake_clock.set(START + timedelta(days=26))   # past the late days (LATE_REPORT_DAYS, 14): closed for good
    closed = client.http.get(f"/campaigns/{ROOT}/form?lang={lang}").body.decode()
    assert words in closed and 'name="acted_before_deadline"' not in closed
    late = client.http.post(f"/campaigns/{ROOT}/reports?lang={lang}", body="country=MX",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert late.status_code == 410 and words in late.body.decode()


def test_no_link_when_the_update_has_closed_too_or_there_is_none(client, campaign, staff_headers, fake_clock):
    fake_clock.set(START + timedelta(days=15))
    run_scheduled(client)
    assert "class=\"continues\"" not in client.http.get(f"/campaigns/{ROOT}/form").body.decode()
    fake_clock.set(START)
    follow_up(client, staff_headers, FI, ROOT, deadline="2026-01-25T23:59:59-04:00")
    fake_clock.set(START + timedelta(days=30))
    run_scheduled(client)
    assert "class=\"continues\"" not in client.http.get(f"/campaigns/{ROOT}/form").body.decode()


def test_the_newest_open_update_is_the_one_linked(client, chain, fake_clock):
    fake_clock.set(START + timedelta(days=15))   # the UA has closed; both updates are open
    run_scheduled(client)
    html = client.http.get(f"/campaigns/{ROOT}/form").body.decode()
    assert f"/campaigns/{FI2}/form" in html and f"/campaigns/{FI}/form" not in html
    assert json.loads(json.dumps(json_of(get_case(client, ROOT))))["campaigns"][0]["status"] == "closed"
