"""The summary for each official through the dashboard route: addressed to them, in the letter
language and in English beside it, what reached *them*, small cells held back, countries
folded, ``?target=`` for one official (a 422 naming it when it names none), never a 5xx."""
import json
import re
import uuid
from datetime import timedelta

import pytest

from chalicelib.counting import tallying
from chalicelib.domain.report import parse_report
from tests.conftest import START, campaign_body, report_body
from tests.staff.test_dashboard import page

CAMPAIGN = "ua-47-22"
pytestmark = pytest.mark.usefixtures("no_server_errors")


@pytest.fixture
def ua(client, staff_headers):
    body = campaign_body(targets=[
        {"id": "governor", "name": "Rafael Lacava", "role": "Governor of Carabobo state",
         "salutation": "Dear Governor"},
        {"id": "ambassador", "name": "Joaquín A. Pérez Ayestarán",
         "role": "Permanent Representative of Venezuela to the UN", "salutation": "Dear Ambassador"}],
        issued_on="2026-01-09", title="Venezuelan defenders face <criminalization>")
    response = client.http.put(f"/staff/campaigns/{CAMPAIGN}", headers=staff_headers, body=json.dumps(body))
    assert response.status_code == 201, response.body
    return CAMPAIGN


def record(store, per_target, country, times=1, **overrides):
    campaign = store.get_campaign(CAMPAIGN)
    for index in range(times):
        body = {key: value for key, value in report_body(country=country, **overrides).items()
                if key not in ("actions", "targets")} if per_target else report_body(country=country, **overrides)
        if per_target:
            body["per_target"] = per_target
        store.record_report(campaign, parse_report(body, campaign, 50), uuid.uuid4().hex,
                            START + timedelta(hours=1, minutes=index))


def closed(store, settings, fake_clock):
    campaign = store.get_campaign(CAMPAIGN)
    fake_clock.set(campaign.closes_at + timedelta(minutes=1))
    tallying.run_tally(store, settings, fake_clock())


def sections(html):
    """``{(official, language): text of that section}``."""
    found = {}
    for article in re.findall(r'<article class="summary[^"]*" aria-label="([^"]+)">(.*?)</article>', html, re.S):
        for language, text in re.findall(r'<section lang="(\w+)"[^>]*>(.*?)</section>', article[1], re.S):
            found[(article[0], language)] = text
    return found


def cells(text):
    return re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">([^<]+)</td></tr>", text)


def test_each_official_gets_a_page_of_what_reached_them_in_spanish_and_english(client, ua, store, settings,
                                                                              signed_in, fake_clock):
    record(store, {"governor": {"letter": 1}, "ambassador": {"email": 1}}, "MX", times=12)
    record(store, {"governor": {"letter": 2}}, "ES", times=10, participants=2)
    record(store, {"governor": {"letter": 1}}, "VE", times=2)
    closed(store, settings, fake_clock)

    html = page(client, f"/staff/dashboard/{CAMPAIGN}/summary", signed_in())

    found = sections(html)
    assert set(found) == {(name, language) for name in ("Rafael Lacava", "Joaquín A. Pérez Ayestarán")
                          for language in ("es", "en")}
    governor_es, governor_en = found[("Rafael Lacava", "es")], found[("Rafael Lacava", "en")]
    assert '<p class="salutation">Dear Governor</p>' in governor_es
    assert ("34 personas de 3 países participaron en la Acción Urgente UA 47.22, "
            "“Venezuelan defenders face &lt;criminalization&gt;”.") in governor_es
    assert "34 people from 3 countries took part in the Urgent Action UA 47.22" in governor_en
    assert cells(governor_es)[:5] == [("Cartas", "34"), ("Correos electrónicos", "0"), ("Faxes", "0"),
                                      ("Llamadas telefónicas", "0"), ("Publicaciones en redes sociales", "0")]
    assert '<th scope="row">In all</th><td class="num">34</td>' in governor_en
    # Venezuela's 2 reports are folded into other countries, which takes in Spain (10) to reach 10
    assert cells(governor_en)[5:] == [("Mexico", "12"), ("Other countries, or not given", "12")]
    assert "<td>Venezuela</td>" not in html and "<td>Spain</td>" not in html and "<td>España</td>" not in html
    assert "del 9 de enero de 2026 al 21 de enero de 2026" in governor_es
    assert "Totales finales, versión 1" in governor_es
    ambassador = found[("Joaquín A. Pérez Ayestarán", "en")]
    assert '<p class="salutation">Dear Ambassador</p>' in ambassador
    assert cells(ambassador)[:2] == [("Letters", "0"), ("Emails", "12")]
    assert html.count("break-after:page") >= 1   # one official per printed page


def test_a_small_count_is_not_shown_nor_one_that_would_reveal_it(client, ua, store, settings, signed_in,
                                                                 fake_clock):
    record(store, {"governor": {"letter": 1}}, "MX", times=20)
    record(store, {"governor": {"fax": 1}}, "MX", times=3)
    closed(store, settings, fake_clock)

    html = page(client, f"/staff/dashboard/{CAMPAIGN}/summary?target=governor", signed_in())

    english = sections(html)[("Rafael Lacava", "en")]
    assert cells(english)[:3] == [("Letters", "not shown"), ("Emails", "0"), ("Faxes", "not shown")]
    assert "In all" not in english    # 23 - 20 would say how many faxes there were
    assert "no figure below 10 is shown" in english
    staff = json.loads(client.http.get(f"/staff/dashboard/{CAMPAIGN}/totals?format=json",
                                       headers=signed_in()).body)
    assert staff["by_target_action"]["governor"]["fax"] == 3   # staff exports keep every figure


def test_a_v1_report_naming_several_officials_is_mentioned_not_split(client, ua, store, settings, signed_in,
                                                                   fake_clock):
    record(store, None, "MX", times=10, actions={"letter": 1}, targets=["governor", "ambassador"])
    closed(store, settings, fake_clock)

    english = sections(page(client, f"/staff/dashboard/{CAMPAIGN}/summary?target=ambassador",
                            signed_in()))[("Joaquín A. Pérez Ayestarán", "en")]

    assert cells(english)[0] == ("Letters", "0")
    assert "Besides these, 10 actions were reported as sent to several officials at once" in english


def test_target_picks_one_official_and_the_organisation_signs(client, ua, store, settings, signed_in,
                                                             fake_clock, monkeypatch):
    monkeypatch.setenv("ORGANISATION_NAME", "Amnesty International <Venezuela>")
    from chalicelib.runtime import process
    process.reset()
    html = page(client, f"/staff/dashboard/{CAMPAIGN}/summary?target=ambassador", signed_in())

    assert set(sections(html)) == {("Joaquín A. Pérez Ayestarán", "es"), ("Joaquín A. Pérez Ayestarán", "en")}
    assert "From Amnesty International &lt;Venezuela&gt;" in html
    assert "De parte de Amnesty International &lt;Venezuela&gt;" in html
    assert "0 people took part" in html   # nothing counted yet: provisional, no countries


@pytest.mark.parametrize("target", ["president", "", "GOVERNOR", "governor ", "g" * 3000, "<script>", "%00"])
def test_a_target_the_campaign_does_not_have_is_a_422_naming_it(client, ua, signed_in, target):
    response = client.http.get(f"/staff/dashboard/{CAMPAIGN}/summary?target={target}", headers=signed_in())

    assert response.status_code == 422, response.body[:300]
    error = json.loads(response.body)["error"]
    assert error["code"] == "validation_failed" and "target" in error["fields"]
    assert "governor, ambassador" in error["fields"]["target"] and len(json.dumps(error)) < 400


def test_the_summary_of_an_unknown_campaign_is_a_404_whatever_the_target(client, ua, signed_in):
    assert client.http.get("/staff/dashboard/ua-99-99/summary?target=governor",
                           headers=signed_in()).status_code == 404


def test_the_summary_is_english_only_when_the_letter_language_has_no_catalog(client, staff_headers,
                                                                             signed_in):
    body = campaign_body(languages=["ar", "en"], letter_language="ar")
    assert client.http.put("/staff/campaigns/ua-50-22", headers=staff_headers,
                           body=json.dumps(body)).status_code == 201
    html = page(client, "/staff/dashboard/ua-50-22/summary", signed_in())
    assert set(sections(html)) == {("Rafael Lacava", "en"), ("Joaquín A. Pérez Ayestarán", "en")}
    assert "languages-1" in html and "To Rafael Lacava" in html   # no salutation given: their name
