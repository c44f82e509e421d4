"""The supporter's pages through the API: languages, states, embedding and CORS, page weight."""
import json
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from tests.api.test_reports import CAMPAIGN, DEADLINE, FORM, count, form_fields, html_of, json_of
from tests.conftest import campaign_body, post_report, report_body, run_scheduled
from tools.run_local import seed_body

# Every HTTP response in this module must be below 500, whatever the test asserts next.
pytestmark = pytest.mark.usefixtures("no_server_errors")

PARTNER = "https://www.example.org"
STRANGER = "https://evil.example.net"
LANGUAGES = ("en", "es", "fr", "ar")
PAGE_BUDGET_BYTES = 30 * 1024   # the whole page, kit and form, in one request (issue 13)
COUNTS_LEGEND = {"en": "What did you send to each official?", "es": "¿Qué envió a cada autoridad?",
                 "fr": "Qu’avez-vous envoyé à chaque responsable\u202f?", "ar": "ماذا أرسلت إلى كل مسؤول؟"}


def get_form(client, query="", headers=None):
    return client.http.get(f"/campaigns/{CAMPAIGN}/form{query}", headers=headers or {})


def post_form(client, fields, query=""):
    return client.http.post(f"/campaigns/{CAMPAIGN}/reports{query}", headers=FORM,
                            body=urlencode(fields, doseq=True))


def html_lang(html):
    return re.search(r'<html lang="(\w+)" dir="(\w+)">', html).groups()


# -- which language ------------------------------------------------------------------------

@pytest.mark.parametrize("query, accept, expected", [
    ("?lang=fr", "es", "fr"),
    ("", "ar-EG,ar;q=0.9,en;q=0.5", "ar"),
    ("", "de-DE", "en"),           # the campaign's first language (campaign_body: en, es)
    ("?lang=de", "de", "en"),
])
def test_the_page_language_is_lang_then_accept_language_then_the_campaigns(client, campaign, query, accept,
                                                                          expected):
    html = html_of(get_form(client, query, {"Accept-Language": accept}))

    assert html_lang(html)[0] == expected


def test_a_campaign_in_spanish_first_speaks_spanish_by_default(client, staff_headers):
    client.http.put("/staff/campaigns/ua-48-22", headers=staff_headers,
                    body=json.dumps(campaign_body(languages=["es", "en"])))

    html = html_of(client.http.get("/campaigns/ua-48-22/form"))

    assert html_lang(html) == ("es", "ltr") and COUNTS_LEGEND["es"] in html


@pytest.mark.parametrize("lang, letter_language, deadline", [
    ("en", "Spanish", "January 21, 2026, 3:59\u202fAM UTC"),
    ("es", "español", "21 de enero de 2026, 3:59 UTC"),
    ("fr", "espagnol", "21 janvier 2026, 03:59 UTC"),
    ("ar", "الإسبانية", "21 يناير 2026، 3:59 ص بالتوقيت العالمي"),
])
def test_the_form_shows_targets_deadline_and_letter_language_in_the_pages_language(
        client, campaign, lang, letter_language, deadline):
    html = html_of(get_form(client, f"?lang={lang}"))

    assert COUNTS_LEGEND[lang] in html and letter_language in html
    assert f'<time datetime="2026-01-21T03:59:59Z">{deadline}</time>' in html
    assert "Rafael Lacava" in html and "Joaquín A. Pérez Ayestarán" in html
    assert html_lang(html) == (lang, "rtl" if lang == "ar" else "ltr")
    # a switcher: plain links to every other language, the current one marked
    links = re.findall(r'<a href="form\?lang=(\w+)" hreflang', html)
    assert sorted(links) == sorted(set(LANGUAGES) - {lang})
    assert f'<span aria-current="true" lang="{lang}">' in html


def test_countries_are_a_select_named_in_the_pages_language_and_an_answer_is_kept(client, campaign):
    response = post_form(client, form_fields({}, country="VE"), "?lang=es")

    assert response.status_code == 422
    assert "<option selected>Venezuela<option>" in html_of(response)
    assert "<option>Alemania<option>" in html_of(response)


def test_counts_are_shown_again_as_typed(client, campaign):
    html = html_of(post_form(client, form_fields({"ambassador": {"letter": "", "email": " 3 "}}, country="XX",
                                                 participants=" 2")))

    assert 'id="count-ambassador-letter" value=""' in html and 'id="count-ambassador-email" value=" 3 "' in html
    assert 'id="participants" value="2"' in html


@pytest.mark.parametrize("lang, answer", [("es", "México"), ("ar", "المكسيك"), ("fr", "Mexique"), ("en", "MX")])
def test_a_form_post_names_the_country_in_the_pages_language_and_the_code_is_stored(
        client, campaign, staff_headers, fake_clock, lang, answer):
    assert post_form(client, form_fields(country=answer), f"?lang={lang}").status_code == 201

    fake_clock.advance(minutes=2)
    run_scheduled(client)
    totals = json_of(client.http.get(f"/staff/campaigns/{CAMPAIGN}/totals", headers=staff_headers))
    assert totals["by_country"] == {"MX": 1}


def test_embedded_forms_keep_country_codes_for_their_json(client, campaign):
    assert "<option value=MX>México<option" in html_of(get_form(client, "?embed=1&lang=es"))


@pytest.mark.parametrize("lang, summary, message", [
    ("en", "There is a problem", "Enter how many times you acted, for at least one official"),
    ("es", "Hay un problema", "Indique cuántas veces actuó, al menos para una autoridad"),
    ("fr", "Il y a un problème", "Indiquez combien de fois vous avez agi, pour au moins un ou une responsable"),
    ("ar", "توجد مشكلة", "أدخل عدد المرات التي تحركت فيها، لمسؤول واحد على الأقل"),
])
def test_errors_are_in_the_pages_language(client, campaign, lang, summary, message):
    response = post_form(client, form_fields({}), f"?lang={lang}")

    html = html_of(response)
    assert response.status_code == 422 and summary in html and html.count(message) == 2
    assert html_lang(html)[0] == lang


@pytest.mark.parametrize("fields, field_id, message", [
    ({count("governor", "letter"): "99"}, "counts-governor",
     "Rafael Lacava: enter each count as a whole number from 0 to 50"),
    ({count("governor", "letter"): "", count("governor", "email"): ""}, "counts",
     "Enter how many times you acted, for at least one official"),
    ({"participants": "0"}, "participants", "Enter how many people took part, you included: a whole number "
                                            "from 1 to 500, or leave it empty if it was only you"),
    ({"contact_email": "ana@example.org"}, "contact_email",
     "Tick the box to let us keep your email address, or leave it empty"),
    ({"contact_email": "ana", "consent": "yes"}, "contact_email",
     "Enter an email address in the correct format, like name@example.org"),
    ({"name": "Ana"}, "name", "Tick the box to let us keep your name, or leave the name empty"),
    ({"name": "A" * 101, "consent": "yes"}, "name", "Enter your name in 100 characters or fewer, on one line"),
    ({"country": "XX"}, "country", "Select your country from the list, or leave it empty"),
    ({"submission_id": "nope"}, "send-report",
     "Something in the form was out of date. Check your answers and send it again."),
])
def test_each_error_says_how_to_fix_it(client, campaign, fields, field_id, message):
    html = html_of(post_form(client, form_fields(**fields)))

    # a group's first input (of an official's counts, the first in error)
    anchor = "count-governor-letter" if field_id in ("counts", "counts-governor") else field_id
    assert f'<a href="#{anchor}">{message}</a>' in html
    assert f'id="{field_id}-error"><span class="vh">Error:</span> {message}</p>' in html


# -- the three states ------------------------------------------------------------------------

def test_thank_you_shows_the_live_count_in_the_pages_language_and_a_way_to_share(client, campaign,
                                                                                   fake_clock):
    for _ in range(3):
        post_report(client, campaign, report_body(actions={"letter": 500 // 10}))
    fake_clock.advance(minutes=1)
    run_scheduled(client)

    response = post_form(client, form_fields(), "?lang=fr")

    html = html_of(response)
    assert response.status_code == 201 and "Merci, votre signalement est enregistré" in html
    assert "Personnes ayant signalé leurs actions\u00a0: <strong>3</strong>" in html
    assert "Actions signalées\u00a0: <strong>150</strong>" in html
    assert "12:01" in html and "10 janvier 2026" in html   # when it was counted
    assert '<a href="http://localhost/campaigns/ua-47-22/form" data-share>' in html
    assert "mailto:?subject=Agissez%C2%A0%3A%20Venezuelan" in html
    assert 'href="form?lang=fr" data-reload' in html


def test_thank_you_shares_the_partner_page_when_it_is_an_allowed_one(client, campaign):
    share = f"{PARTNER}/ua-47-22?utm=x"
    response = post_form(client, form_fields(), "?" + urlencode({"lang": "en", "share": share}))

    assert f'<a href="{PARTNER}/ua-47-22?utm=x" data-share>' in html_of(response)
    foreign = post_form(client, form_fields(), "?" + urlencode({"share": f"{STRANGER}/phish"}))
    assert STRANGER not in html_of(foreign)


def test_numbers_are_grouped_the_locales_way(client, campaign, staff_headers, fake_clock):
    for _ in range(25):
        post_report(client, campaign, report_body(actions={"letter": 50}))
    fake_clock.advance(minutes=1)
    run_scheduled(client)

    assert "<strong>1,250</strong>" in html_of(post_form(client, form_fields(), "?lang=en"))
    assert "<strong>1\u202f250</strong>" in html_of(post_form(client, form_fields(), "?lang=fr"))
    assert "<strong>1.250</strong>" in html_of(post_form(client, form_fields(), "?lang=es"))


@pytest.mark.parametrize("lang, closed", [("en", "This action has closed"), ("es", "Esta acción se ha cerrado"),
                                          ("fr", "Cette action est terminée"), ("ar", "انتهى هذا التحرك")])
def test_a_closed_campaign_shows_its_final_totals_and_no_form(client, campaign, fake_clock, lang, closed):
    post_report(client, campaign, report_body(actions={"letter": 3, "call": 1}))
    fake_clock.set(DEADLINE + timedelta(minutes=5))
    run_scheduled(client)
    fake_clock.set(DEADLINE + timedelta(days=14, seconds=1))   # past the late days too (LATE_REPORT_DAYS)

    response = get_form(client, f"?lang={lang}")

    html = html_of(response)
    assert response.status_code == 200 and closed in html
    assert "<form" not in html and 'name="form_token"' not in html
    assert re.findall(r"<strong>(\d+)</strong>", html)[:3] == ["1", "1", "4"]   # reports, people, actions
    assert '<time datetime="2026-01-21T03:59:59Z">' in html


def test_before_the_final_totals_the_closed_page_says_they_are_coming(client, staff_headers, fake_clock):
    response = client.http.put(f"/staff/campaigns/{CAMPAIGN}", headers=staff_headers,
                               body=json.dumps(campaign_body(late_report_days=0)))   # no late reports
    assert response.status_code == 201
    fake_clock.set(DEADLINE + timedelta(seconds=5))   # closed, not yet published

    html = html_of(get_form(client))

    assert "The final total will be published here shortly." in html and "<form" not in html


# -- page weight, headers --------------------------------------------------------------------

@pytest.fixture
def whole_ua(client, staff_headers, fake_clock):
    """UA 47.22 as `make run` seeds it: the case sheet through the importer, its letter in
    English, Spanish and French, both officials' contacts."""
    body = seed_body(fake_clock(), 30)
    response = client.http.put(f"/staff/campaigns/{CAMPAIGN}", headers=staff_headers, body=json.dumps(body))
    assert response.status_code == 201, response.body
    return json_of(response)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_state_stays_within_30_kib_with_its_kit_css_and_js(client, whole_ua, lang, fake_clock):
    worst_errors = form_fields({target: {action: "x" for action in ("letter", "email", "fax", "call", "tweet")}
                                for target in ("governor", "ambassador")}, participants="x", country="XX",
                               name="N" * 101, contact_email="bad", submission_id="x")
    pages = {"form": get_form(client, f"?lang={lang}"),
             "errors": post_form(client, worst_errors, f"?lang={lang}"),
             "thanks": post_form(client, form_fields(), f"?lang={lang}")}
    fake_clock.set(datetime_of(whole_ua["deadline"]) + timedelta(minutes=5))
    run_scheduled(client)
    pages["closed"] = get_form(client, f"?lang={lang}")

    sizes = {state: len(response.body) for state, response in pages.items()}

    assert [response.status_code for response in pages.values()] == [200, 422, 201, 200]
    assert html_of(pages["form"]).count('href="mailto:') == 2   # the kit is all there
    # No page loads anything else: CSS and JS are inline, so the body is the whole weight.
    assert all("src=" not in html_of(r) and "<link" not in html_of(r) for r in pages.values())
    assert max(sizes.values()) <= PAGE_BUDGET_BYTES, sizes
    print(f"{lang}: " + ", ".join(f"{state} {size / 1024:.1f} KiB" for state, size in sizes.items()))


def datetime_of(text):
    from datetime import datetime
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_pages_may_be_framed_by_the_campaigns_origins_only_and_run_only_their_own_script(client, campaign):
    response = get_form(client)

    policy = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors {PARTNER}" in policy and STRANGER not in policy
    assert "default-src 'none'" in policy and "'unsafe-inline'" not in policy
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/]{43}='", policy)
    assert "connect-src" not in policy   # nothing to fetch from the page: no third-party request


def test_the_page_posts_its_height_to_the_campaigns_origins_only(client, campaign):
    html = html_of(get_form(client))

    assert f'data-origins="{PARTNER}"' in html and "postMessage" in html


# -- embed fragments --------------------------------------------------------------------

def test_embed_asks_for_a_fragment_to_put_in_its_shadow_root(client, campaign):
    html = html_of(get_form(client, "?embed=1&lang=es"))

    assert "<html" not in html and "<script" not in html and html.lstrip().startswith("<style>")
    assert '<div class="page" lang="es" dir="ltr">' in html and 'id="send-failed"' in html
    assert 'action="reports?lang=es&amp;embed=1"' in html


def test_embed_posts_json_and_gets_the_next_page_as_a_fragment(client, campaign, staff_headers, fake_clock):
    headers = {"Content-Type": "application/json", "Accept": "text/html", "Origin": PARTNER}
    body = report_body()
    shown_again = {key: value for key, value in body.items() if key not in ("targets", "actions")}
    bad = client.http.post(f"/campaigns/{CAMPAIGN}/reports?embed=1&lang=es", headers=headers,
                           body=json.dumps(shown_again | {"per_target": {"governor": {"letter": "two"}}}))
    good = client.http.post(f"/campaigns/{CAMPAIGN}/reports?embed=1&lang=es", headers=headers,
                            body=json.dumps(body))

    assert bad.status_code == 422 and "Hay un problema" in html_of(bad) and "<html" not in html_of(bad)
    assert 'value="two"' in html_of(bad)   # the answer is kept
    assert good.status_code == 201 and "Gracias, su informe se ha registrado" in html_of(good)
    assert good.headers["Access-Control-Allow-Origin"] == PARTNER
    fake_clock.advance(minutes=2)
    run_scheduled(client)
    totals = json_of(client.http.get(f"/staff/campaigns/{CAMPAIGN}/totals", headers=staff_headers))
    assert totals["reports"] == 1


@pytest.mark.parametrize("body", [b"[1, 2]", b'{"actions": []', b"\xff"])
def test_an_embed_post_of_a_broken_body_gets_a_problem_fragment_not_a_5xx(client, campaign, body):
    response = client.http.post(f"/campaigns/{CAMPAIGN}/reports?embed=1",
                                headers={"Content-Type": "application/json", "Accept": "text/html"}, body=body)

    assert response.status_code in (400, 422) and "Your report was not sent" in html_of(response)


# -- CORS ------------------------------------------------------------------------------------

PUBLIC_ROUTES = [f"/campaigns/{CAMPAIGN}", f"/campaigns/{CAMPAIGN}/form", f"/campaigns/{CAMPAIGN}/totals"]


@pytest.mark.parametrize("path", PUBLIC_ROUTES)
def test_a_partner_origin_may_read_public_routes_and_a_stranger_may_not(client, campaign, path):
    partner = client.http.get(path, headers={"Origin": PARTNER})
    stranger = client.http.get(path, headers={"Origin": STRANGER})

    assert partner.headers["Access-Control-Allow-Origin"] == PARTNER
    assert "Access-Control-Allow-Origin" not in stranger.headers
    assert "Origin" in partner.headers["Vary"] and "Origin" in stranger.headers["Vary"]


@pytest.mark.parametrize("path", PUBLIC_ROUTES + [f"/campaigns/{CAMPAIGN}/reports"])
def test_preflight_allows_partners_and_refuses_strangers(client, campaign, path):
    ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}

    partner = client.http.request("OPTIONS", path, headers={"Origin": PARTNER, **ask})
    stranger = client.http.request("OPTIONS", path, headers={"Origin": STRANGER, **ask})
    unknown = client.http.request("OPTIONS", "/campaigns/ua-99-99/reports", headers={"Origin": PARTNER, **ask})

    assert partner.status_code == 204
    assert partner.headers["Access-Control-Allow-Origin"] == PARTNER
    assert "POST" in partner.headers["Access-Control-Allow-Methods"]
    assert "content-type" in partner.headers["Access-Control-Allow-Headers"].lower()
    assert stranger.status_code == unknown.status_code == 403
    assert "Access-Control-Allow-Origin" not in stranger.headers
    assert json_of(stranger)["error"]["code"] == "origin_not_allowed"


def test_a_report_sent_from_a_strangers_page_is_refused_and_changes_nothing(client, campaign, staff_headers,
                                                                            fake_clock):
    response = post_report(client, campaign, report_body(),
                           headers={"Content-Type": "application/json", "Origin": STRANGER})
    same_site_form = client.http.post(f"/campaigns/{CAMPAIGN}/reports", body=urlencode(form_fields(), doseq=True),
                                      headers={**FORM, "Origin": "http://localhost", "Host": "localhost"})

    assert response.status_code == 403 and json_of(response)["error"]["code"] == "origin_not_allowed"
    assert same_site_form.status_code == 201   # the form page posting to its own API
    fake_clock.advance(minutes=2)
    run_scheduled(client)
    totals = json_of(client.http.get(f"/staff/campaigns/{CAMPAIGN}/totals", headers=staff_headers))
    assert totals["reports"] == 1


# -- embed.js ---------------------------------------------------------------------------------

def test_embed_js_is_served_as_javascript_with_caching_and_revalidation(client):
    response = client.http.get("/embed.js")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert "max-age=" in response.headers["Cache-Control"] and b"data-campaign" in response.body
    again = client.http.get("/embed.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.body == b""


NASTY = ["", "%00", "é" * 300, "http://[::1", "javascript:alert(1)", "https://user@www.example.org/x",
         "https://www.example.org:99999/", "\r\nSet-Cookie: x=1", "q=0.5;" * 200, "<script>"]


@pytest.mark.parametrize("value", NASTY)
def test_odd_query_strings_and_headers_never_break_a_page(client, campaign, value):
    query = "?" + urlencode({"lang": value, "share": value, "embed": value})
    headers = {"Accept-Language": value.replace("\r\n", " ")}

    pages = [get_form(client, query, headers), post_form(client, form_fields(country=value), query)]

    assert all(response.status_code in (200, 201, 422) for response in pages)
    assert all("<script>alert" not in html_of(response) and 'href="javascript' not in html_of(response)
               for response in pages)
