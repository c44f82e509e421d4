"""The supporter form in a real browser (Debian's chromium, driven by Playwright).

One API server for the session (``make run``'s own code on DynamoDB Local, the
scheduled tally every second) and two partner sites on other local origins: one
in the campaigns' ``allowed_origins``, one not. Screenshots of every state go to
``test-artifacts/screenshots/`` (git-ignored).
"""
import json
import re
import shutil
import subprocess
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tools.run_local import seed_body
from tests.tools.test_local_run import TOKEN, LocalRun

pytestmark = [pytest.mark.browser, pytest.mark.dynamodb_local, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tools" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
LANGUAGES = ("en", "es", "fr", "ar")
PHONE = {"width": 390, "height": 844}
SPANISH = {"counts": "¿Qué envió a cada autoridad?", "letters": "Cartas", "emails": "Correos electrónicos",
           "country": "Su país (opcional)", "send": "Enviar mi informe",
           "thanks": "Gracias, su informe se ha registrado"}
GOVERNOR = "Rafael Lacava, Governor of Carabobo state"   # an official's counts: a group named by its legend
AMBASSADOR = "H.E. Joaquin A. Perez Ayestaran"
# In a test, a link of the kit is followed no further than its click: the page stays, and no
# request leaves for a mail client, a phone or a social network.
STAY = """addEventListener("click", function (event) {
  var link = event.composedPath().find(function (node) { return node.tagName === "A"; });
  if (link && /^(mailto|tel|https):/.test(link.getAttribute("href"))) event.preventDefault();
}, true);"""


# -- servers ------------------------------------------------------------------------------

class Partner:
    """A partner's site on its own origin: pages that embed a campaign's form."""

    def __init__(self, api):
        self.api = api
        partner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path.count("/") != 3:   # e.g. /favicon.ico
                    self.send_error(404)
                    return
                body = partner.page(self.path).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, path):
        """``/<how>/<campaign>/<lang>``: how = script, frame (plain iframe) or script-frame."""
        _, how, campaign, lang = path.split("?")[0].split("/")
        form = f"{self.api}/campaigns/{campaign}/form?lang={lang}"
        embed = {
            "script": f'<script src="{self.api}/embed.js" data-campaign="{campaign}" defer></script>',
            "script-frame": f'<script src="{self.api}/embed.js" data-campaign="{campaign}" data-frame '
                            f'data-title="Urgent Action" defer></script>',
            # The snippet docs/supporter-form.md ("Embedding") gives partners for a plain iframe.
            "frame": f'<iframe id="action-tally" title="Urgent Action" src="{form}" '
                     'style="display:block;width:100%;border:0;height:300px"></iframe>'
                     '<script>addEventListener("message", function (e) {'
                     f'if (e.origin === "{self.api}" && e.data && e.data.type === "action-tally:height")'
                     ' document.getElementById("action-tally").style.height = e.data.height + "px";});</script>',
        }[how]
        return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Partner</title>'
                f'</head><body><main><h1>Partner news</h1><p>Please act now.</p>{embed}</main></body></html>')

    def url(self, how, campaign, lang):
        return f"{self.origin}/{how}/{campaign}/{lang}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Api:
    """The local API server, with helpers to set up campaigns and read totals."""

    def __init__(self, run: LocalRun):
        self.run = run
        self.url = f"http://127.0.0.1:{run.port}"

    def create_campaign(self, allowed_origins, deadline=None, **fields):
        campaign_id = f"ua-{uuid.uuid4().hex[:10]}"
        moment = deadline or datetime.now(timezone.utc) + timedelta(days=30)
        body = seed_body(moment, 30)   # UA 47.22 as `make run` seeds it
        body.update(deadline=moment.isoformat(timespec="seconds"), allowed_origins=allowed_origins, **fields)
        status, answer = self.run.request("PUT", f"/staff/campaigns/{campaign_id}", body,
                                          headers={"Authorization": f"Bearer {TOKEN}"})
        assert status == 201, answer
        return campaign_id

    def totals(self, campaign_id, staff=False):
        path = f"/{'staff/' if staff else ''}campaigns/{campaign_id}/totals"
        headers = {"Authorization": f"Bearer {TOKEN}"} if staff else {}
        status, body = self.run.request("GET", path, headers=headers)
        assert status == 200, body
        return json.loads(body)

    def totals_after_tally(self, campaign_id, predicate, timeout=20):
        """Staff totals once the scheduled function has counted what ``predicate`` waits for."""
        deadline = time.monotonic() + timeout
        while True:
            totals = self.totals(campaign_id, staff=True)
            if predicate(totals) or time.monotonic() > deadline:
                return totals
            time.sleep(0.3)


@pytest.fixture(scope="session")
def api(tmp_path_factory):
    # MIN_FILL_SECONDS=0: Playwright fills a form faster than any person (the check
    # itself is tested through the API); SETTLE_SECONDS=1 lets a campaign close quickly.
    run = LocalRun(tmp_path_factory.mktemp("browser-api"), MIN_FILL_SECONDS="0", SETTLE_SECONDS="1")
    try:
        yield Api(run)
    finally:
        run.stop()


@pytest.fixture(scope="session")
def partner(api):
    site = Partner(api.url)
    yield site
    site.stop()


@pytest.fixture(scope="session")
def stranger(api):
    site = Partner(api.url)
    yield site
    site.stop()


@pytest.fixture(scope="session")
def axe_source():
    if not AXE.exists():
        # node_modules made before axe-core joined tools/package.json. `npm install` adds
        # what the lock lists and is missing; `npm ci` would delete the DynamoDB Local
        # that is running from node_modules.
        npm = shutil.which("npm")
        assert npm, "npm is needed to install axe-core"
        subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=AXE.parents[2], check=True,  # noqa: S603
                       capture_output=True, timeout=300)
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def page(browser, partner, stranger):
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.third_party_requests = []
    local = ("http://127.0.0.1:", "data:", "about:", "chrome-error:")
    page.on("request", lambda request: None if request.url.startswith(local)
            else page.third_party_requests.append(request.url))
    yield page
    assert page.third_party_requests == []
    context.close()


@pytest.fixture
def open_campaign(api, partner):
    return api.create_campaign([partner.origin])


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def axe_violations(page, axe_source, frame=None):
    target = frame or page
    target.evaluate(axe_source)
    result = target.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert len(result["passes"]) > 10, "axe did not really check the page"
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]


def fill_in_spanish(form):
    """A supporter's answers, found the way a person finds them: by their Spanish labels."""
    form.get_by_role("group", name=GOVERNOR).get_by_label(SPANISH["letters"], exact=True).fill("2")
    form.get_by_label(SPANISH["country"]).select_option(label="México")


def mailto_fields(href):
    from urllib.parse import parse_qs, unquote, urlsplit
    parts = urlsplit(href)
    return unquote(parts.path), {key: values[0] for key, values in parse_qs(parts.query).items()}


def assert_the_kit_links_carry_the_letter_and_the_numbers(kit, letter_opening):
    """The kit (a page, a frame or the embed's shadow root) as a supporter would use it."""
    governor_mail = kit.get_by_role("link", name="sgeneralcarabobo@gmail.com")
    address, query = mailto_fields(governor_mail.get_attribute("href"))
    assert address == "sgeneralcarabobo@gmail.com" and query["subject"] == "Marino Alvarado, Alfredo Infante"
    assert query["body"].startswith("Dear governor Rafael Lacava,\r\n\r\n" + letter_opening)
    ambassador_mail = kit.get_by_role("link", name="misionvenezuelaonu@gmail.com")
    assert mailto_fields(ambassador_mail.get_attribute("href"))[1]["body"].startswith("Dear Ambassador,\r\n")
    assert kit.get_by_role("link", name="2125572055").get_attribute("href") == "tel:2125572055"
    assert kit.get_by_role("link", name="2125573528").get_attribute("href") == "tel:2125573528"
    post = kit.get_by_role("link", name="@rafaellacava10").get_attribute("href")
    assert post.startswith("https://x.com/intent/tweet?text=%40rafaellacava10%20") and len(post) < 1000


# -- embedding --------------------------------------------------------------------------------

def test_script_embed_spanish_report_is_thanked_and_counted_once(page, api, partner, open_campaign, axe_source):
    page.add_init_script(STAY)
    page.goto(partner.url("script", open_campaign, "es"))
    form = page.locator(".action-tally form")
    form.get_by_role("group", name=SPANISH["counts"]).wait_for()
    assert page.locator(".action-tally .page").get_attribute("lang") == "es"
    kit = page.locator(".action-tally .page")
    assert_the_kit_links_carry_the_letter_and_the_numbers(kit, "Le escribo para alzar mi voz")
    assert kit.get_by_role("button", name="Copiar la carta").is_visible()   # kit.js runs in the embed too
    assert axe_violations(page, axe_source) == []
    screenshot(page, "script-embed-es-form")

    # Using a channel ticks its line: the ambassador's phone, once however often it is clicked
    kit.get_by_role("link", name="2125572055").click()
    kit.get_by_role("link", name="2125572055").click()
    calls = form.get_by_role("group", name=AMBASSADOR).get_by_label("Llamadas", exact=True)
    assert calls.input_value() == "1"
    fill_in_spanish(form)
    form.get_by_role("button", name=SPANISH["send"]).dblclick()   # an impatient double click

    thanks = page.get_by_role("heading", name=SPANISH["thanks"])
    thanks.wait_for()
    assert page.evaluate("document.querySelector('.action-tally').shadowRoot.activeElement.id") == "thanks"
    assert page.locator("a[data-share]").get_attribute("href") == partner.url("script", open_campaign, "es")
    assert axe_violations(page, axe_source) == []
    screenshot(page, "script-embed-es-thanks")
    totals = api.totals_after_tally(open_campaign, lambda t: t["reports"] >= 1)
    time.sleep(1.5)   # and more runs of the scheduled function change nothing
    again = api.totals(open_campaign, staff=True)
    assert (again["reports"], again["actions"], again["by_target_action"]) == (
        totals["reports"], totals["actions"], totals["by_target_action"])
    assert totals["reports"] == 1 and totals["actions"]["letter"] == 2 and totals["by_country"] == {"MX": 1}
    assert totals["by_target"] == {"governor": 1, "ambassador": 1}
    assert totals["by_target_action"]["governor"]["letter"] == 2
    assert totals["by_target_action"]["ambassador"] == {"letter": 0, "email": 0, "fax": 0, "call": 1, "tweet": 0}


@pytest.mark.parametrize("how", ["frame", "script-frame"])
def test_iframe_embed_spanish_report_resizes_thanks_and_counts_once(page, api, partner, open_campaign, how):
    page.add_init_script(STAY)
    page.goto(partner.url(how, open_campaign, "es"))
    frame = page.frame_locator("iframe")
    frame.get_by_role("group", name=SPANISH["counts"]).wait_for()
    iframe = page.locator("iframe")
    page.wait_for_function("document.querySelector('iframe').getBoundingClientRect().height > 1000")
    form_height = iframe.bounding_box()["height"]
    assert_the_kit_links_carry_the_letter_and_the_numbers(frame.locator("main"), "Le escribo para alzar mi voz")
    screenshot(page, f"{how}-embed-es-form")

    frame.get_by_role("link", name="sgeneralcarabobo@gmail.com").click()   # ticks the governor's emails
    governor = frame.get_by_role("group", name=GOVERNOR)
    assert governor.get_by_label(SPANISH["emails"]).input_value() == "1"
    fill_in_spanish(frame)
    frame.get_by_role("button", name=SPANISH["send"]).click()

    frame.get_by_role("heading", name=SPANISH["thanks"]).wait_for()
    page.wait_for_function(f"document.querySelector('iframe').getBoundingClientRect().height < {form_height}")
    screenshot(page, f"{how}-embed-es-thanks")
    totals = api.totals_after_tally(open_campaign, lambda t: t["reports"] >= 1)
    assert totals["reports"] == 1 and totals["actions"] == {"letter": 2, "email": 1, "fax": 0, "call": 0,
                                                            "tweet": 0}
    assert totals["by_target_action"]["governor"] == {"letter": 2, "email": 1, "fax": 0, "call": 0, "tweet": 0}


def test_a_page_outside_allowed_origins_can_neither_frame_nor_script_the_form(page, api, stranger,
                                                                              open_campaign):
    refusals = []
    page.on("console", lambda message: refusals.append(message.text))

    page.goto(stranger.url("script", open_campaign, "en"))
    page.wait_for_timeout(1000)
    assert page.evaluate("document.querySelector('.action-tally').shadowRoot.innerHTML") == ""
    fetched = page.evaluate(f"fetch('{api.url}/campaigns/{open_campaign}').then(() => 'read', e => e.name)")
    posted = page.evaluate(f"""fetch('{api.url}/campaigns/{open_campaign}/reports', {{method: 'POST',
        headers: {{'Content-Type': 'application/json'}}, body: '{{}}'}}).then(() => 'sent', e => e.name)""")
    assert (fetched, posted) == ("TypeError", "TypeError")
    assert any("CORS" in text for text in refusals), refusals

    page.goto(stranger.url("frame", open_campaign, "en"))
    page.wait_for_timeout(1000)
    framed = page.frames[1]
    assert framed.query_selector("form") is None
    assert page.locator("iframe").bounding_box()["height"] == 300   # no height message either
    assert any("frame-ancestors" in text for text in refusals), refusals
    screenshot(page, "stranger-frame-refused")
    assert api.totals(open_campaign, staff=True)["reports"] == 0


# -- the kit ----------------------------------------------------------------------------------

def test_using_the_kit_ticks_the_report_below_and_the_supporter_can_change_it(browser, api, open_campaign):
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=api.url)
    page = context.new_page()
    page.add_init_script(STAY)
    try:
        page.goto(f"{api.url}/campaigns/{open_campaign}/form?lang=en")
        governor, ambassador = (page.get_by_role("group", name=name) for name in (GOVERNOR, AMBASSADOR))
        page.get_by_role("link", name="Email sgeneralcarabobo@gmail.com").click()
        page.get_by_role("link", name="Post to @ONUVENuevaYork on X").click()
        page.get_by_role("link", name="Post to @japerezve on X").click()   # a second account: a second post
        page.get_by_role("button", name="Copy the address").first.click()  # the governor's: a letter
        assert governor.get_by_label("Emails").input_value() == "1"
        assert governor.get_by_label("Letters").input_value() == "1"
        assert ambassador.get_by_label("Social media posts").input_value() == "2"
        page.get_by_role("status").filter(has_text="Copied").wait_for(state="attached")
        assert "Calle Colombia" in page.evaluate("navigator.clipboard.readText()")
        page.get_by_role("button", name="Copy the letter").first.click()
        assert page.evaluate("navigator.clipboard.readText()").startswith("Señor gobernador Rafael Lacava:")
        screenshot(page, "kit-en-ticked")

        governor.get_by_label("Letters").fill("3")   # they wrote three, in the end
        page.get_by_role("button", name="Send my report").click()
        page.get_by_role("heading", name="Thank you, your report is recorded").wait_for()
    finally:
        context.close()
    totals = api.totals_after_tally(open_campaign, lambda t: t["reports"] >= 1)
    assert totals["reports"] == 1 and totals["people"] == 1
    assert totals["by_target_action"] == {"governor": {"letter": 3, "email": 1, "fax": 0, "call": 0, "tweet": 0},
                                          "ambassador": {"letter": 0, "email": 0, "fax": 0, "call": 0, "tweet": 2}}


# -- states, without JavaScript, and in every language ---------------------------------------------

def test_without_javascript_the_kit_links_work_and_the_form_posts_shows_errors_and_thanks(browser, api,
                                                                                         open_campaign):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{api.url}/campaigns/{open_campaign}/form?lang=fr")
        main = page.locator("main")
        assert_the_kit_links_carry_the_letter_and_the_numbers(main, "Je vous écris pour exprimer mon soutien")
        # the French letter is too long for one link: it says so, and where the rest is
        body = mailto_fields(main.get_by_role("link", name="sgeneralcarabobo@gmail.com").get_attribute("href"))[1]
        assert body["body"].endswith(f"{api.url}/campaigns/{open_campaign}/form : copiez-la ici avant d’envoyer "
                                     "ce courriel.]")
        assert "(le début de la lettre : copiez la suite plus bas)" in main.inner_text()
        assert not page.get_by_role("button", name="Copier la lettre").first.is_visible()   # no script, no copy
        assert page.locator("#letter-fr").inner_text().startswith("Monsieur le Gouverneur,")
        screenshot(page, "no-js-fr-kit")

        governor = page.get_by_role("group", name=GOVERNOR)
        governor.get_by_label("Lettres", exact=True).fill("deux")
        page.get_by_role("button", name="Envoyer mon signalement").click()
        summary = page.get_by_role("alert")
        assert "Il y a un problème" in summary.inner_text()
        governor = page.get_by_role("group", name=GOVERNOR)
        assert governor.get_by_label("Lettres", exact=True).input_value() == "deux"
        assert governor.get_by_label("Lettres", exact=True).get_attribute("aria-invalid") == "true"
        screenshot(page, "no-js-fr-errors")
        summary.get_by_role("link").first.click()
        assert page.url.endswith("#count-governor-letter")

        governor.get_by_label("Lettres", exact=True).fill("2")
        page.get_by_role("group", name=AMBASSADOR).get_by_label("Fax", exact=True).fill("1")
        page.get_by_label("Combien de personnes ont participé\u202f? (facultatif)").fill("12")
        page.get_by_label("Votre pays (facultatif)").select_option(label="Mexique")
        page.get_by_role("button", name="Envoyer mon signalement").click()
        page.get_by_role("heading", name="Merci, votre signalement est enregistré").wait_for()
        screenshot(page, "no-js-fr-thanks")
    finally:
        context.close()
    totals = api.totals_after_tally(open_campaign, lambda t: t["reports"] >= 1)
    assert totals["reports"] == 1 and totals["by_country"] == {"MX": 1} and totals["people"] == 12
    assert totals["by_target_action"]["governor"]["letter"] == 2
    assert totals["by_target_action"]["ambassador"]["fax"] == 1


def test_the_error_summary_takes_focus_and_its_links_move_focus_to_the_field(page, api, open_campaign):
    page.goto(f"{api.url}/campaigns/{open_campaign}/form?lang=en")
    page.get_by_role("group", name=AMBASSADOR).get_by_label("Faxes").fill("99")
    page.get_by_label("How many people took part? (optional)").fill("0")
    page.get_by_role("button", name="Send my report").click()

    page.get_by_role("heading", name="There is a problem").wait_for()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.title().startswith("Error:")
    page.get_by_role("link", name="H.E. Joaquin A. Perez Ayestaran: enter each count as a whole number from 0 to "
                                  "50").click()
    assert page.evaluate("document.activeElement.id") == "count-ambassador-fax"
    page.get_by_role("link", name="Enter how many people took part, you included").click()
    assert page.evaluate("document.activeElement.id") == "participants"
    screenshot(page, "error-summary-en")


def test_arabic_is_laid_out_right_to_left(page, api, open_campaign):
    page.goto(f"{api.url}/campaigns/{open_campaign}/form?lang=ar")

    assert page.evaluate("[document.documentElement.dir, getComputedStyle(document.body).direction]") == \
        ["rtl", "rtl"]
    legend = page.get_by_text("ماذا أرسلت إلى كل مسؤول؟").bounding_box()
    box = page.get_by_role("group", name=GOVERNOR).get_by_label("الرسائل", exact=True).bounding_box()
    assert legend["x"] + legend["width"] > PHONE["width"] * 0.8   # starts at the right
    assert box["x"] > PHONE["width"] / 2   # counts sit on the right, their labels to their left
    heading = page.get_by_role("heading", name="تحرّك الآن").bounding_box()
    assert heading["x"] + heading["width"] > PHONE["width"] * 0.8
    # the Spanish letter and the Latin addresses keep their own direction inside the Arabic page
    assert page.evaluate("getComputedStyle(document.getElementById('letter-es')).direction") == "ltr"
    screenshot(page, "form-ar-phone")


def test_the_language_switcher_works_without_losing_the_campaign(page, api, open_campaign):
    page.goto(f"{api.url}/campaigns/{open_campaign}/form?lang=en")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Français").click()

    page.get_by_role("group", name="Qu’avez-vous envoyé à chaque responsable\u202f?").wait_for()
    assert page.evaluate("document.documentElement.lang") == "fr"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_axe_finds_no_violation_on_kit_form_errors_and_thanks(page, api, open_campaign, axe_source, lang):
    page.goto(f"{api.url}/campaigns/{open_campaign}/form?lang={lang}")
    assert page.locator(".official").count() == 4 and page.locator(".letter").count() >= 1   # the kit is there
    assert axe_violations(page, axe_source) == [], "kit and form"
    screenshot(page, f"form-{lang}")

    page.locator("#count-ambassador-tweet").fill("x")
    page.locator("button[type=submit]").click()
    page.locator("#error-summary").wait_for()
    assert axe_violations(page, axe_source) == [], "errors"
    screenshot(page, f"errors-{lang}")

    page.locator("#count-ambassador-tweet").fill("")
    page.locator("#count-governor-email").fill("3")
    page.locator("button[type=submit]").click()
    page.locator("#thanks").wait_for()
    assert axe_violations(page, axe_source) == [], "thanks"
    screenshot(page, f"thanks-{lang}")


def test_a_closed_action_shows_final_totals_and_no_form(page, api, partner, axe_source):
    campaign_id = api.create_campaign([partner.origin], deadline=datetime.now(timezone.utc) + timedelta(seconds=3),
                                      late_report_days=0)
    token = json.loads(api.run.request("GET", f"/campaigns/{campaign_id}")[1])["form_token"]
    report = {"submission_id": str(uuid.uuid4()), "per_target": {"governor": {"letter": 4, "call": 1}},
              "form_token": token}
    assert api.run.request("POST", f"/campaigns/{campaign_id}/reports", report)[0] == 201
    totals = api.totals_after_tally(campaign_id, lambda t: t["final"], timeout=30)
    assert totals["final"] and totals["reports"] == 1

    page.goto(f"{api.url}/campaigns/{campaign_id}/form?lang=es")

    page.get_by_role("heading", name="Esta acción se ha cerrado").wait_for()
    assert page.locator("form").count() == 0
    text = page.locator("main").inner_text()
    assert "Acciones comunicadas: 5" in text
    # 4 letters and 1 call: below SMALL_CELL_MIN, so the public page does not show them
    assert "Cartas: no se muestra" in text and "4" not in text.split("Acciones comunicadas: 5")[1]
    assert axe_violations(page, axe_source) == []
    screenshot(page, "closed-es")


def test_past_the_deadline_the_form_asks_and_a_late_report_is_thanked(page, api, partner, axe_source):
    campaign_id = api.create_campaign([partner.origin], deadline=datetime.now(timezone.utc) + timedelta(seconds=2))
    time.sleep(3)   # past the deadline, within the late days (LATE_REPORT_DAYS, 14)
    page.goto(f"{api.url}/campaigns/{campaign_id}/form?lang=es")
    page.get_by_text("El plazo ha terminado").wait_for()
    form = page.locator("form")
    form.get_by_role("group", name=GOVERNOR).get_by_label(SPANISH["letters"], exact=True).fill("2")
    form.get_by_role("button", name=SPANISH["send"]).click()
    page.get_by_role("link", name="Marca la casilla").wait_for()   # unticked: the form back, pointing at it
    assert axe_violations(page, axe_source) == [], "late form with its error"
    screenshot(page, "late-error-es")
    page.get_by_label("Realicé estas acciones antes de que terminara el plazo").check()
    page.locator("form").get_by_role("button", name=SPANISH["send"]).click()
    page.get_by_text("se cuenta como informe tardío").wait_for()
    assert axe_violations(page, axe_source) == [], "late thanks"
    screenshot(page, "late-thanks-es")
    # Counted once, as late: provisional while the close has not run, then waiting for an amendment.
    def late_seen(totals):
        return max(totals["late_reports"]["reports"], totals.get("late_reports_unpublished", {}).get("reports", 0))
    end = time.monotonic() + 30
    while late_seen(api.totals(campaign_id, staff=True)) != 1 and time.monotonic() < end:
        time.sleep(0.5)
    assert late_seen(api.totals(campaign_id, staff=True)) == 1


@pytest.mark.parametrize("lang, heading, continues", [("ar", "النتيجة", "تتواصل هذه القضية"),
                                                      ("fr", "Issue", "Ce cas se poursuit")])
def test_a_closed_action_shows_its_outcome_and_links_to_the_open_update(page, api, partner, axe_source, lang,
                                                                         heading, continues):
    staff = {"Authorization": f"Bearer {TOKEN}"}
    first = api.create_campaign([partner.origin], deadline=datetime.now(timezone.utc) + timedelta(seconds=2),
                                late_report_days=0)   # closed at its deadline: no late days
    update = f"{first}-fi"
    body = seed_body(datetime.now(timezone.utc) + timedelta(days=30), 30)
    body.update(follow_up_of=first, reference="UA 47.22 FI")
    assert api.run.request("PUT", f"/staff/campaigns/{update}", body, headers=staff)[0] == 201
    outcome = {"status": "charges_dropped", "note": "The charges were dropped on 3 February.\n\nThank you.",
               "on": datetime.now(timezone.utc).date().isoformat()}
    assert api.run.request("PUT", f"/staff/campaigns/{first}/outcome", outcome, headers=staff)[0] == 200
    api.totals_after_tally(first, lambda t: t["final"], timeout=30)

    page.goto(f"{api.url}/campaigns/{first}/form?lang={lang}")
    page.get_by_role("heading", name=heading).wait_for()
    text = page.locator("main").inner_text()
    assert "The charges were dropped on 3 February." in text and "Thank you." in text
    link = page.get_by_role("link", name=re.compile(continues))
    assert link.get_attribute("href") == f"{api.url}/campaigns/{update}/form?lang={lang}"
    assert axe_violations(page, axe_source) == []
    screenshot(page, f"closed-outcome-{lang}")
    link.click()
    page.locator("form").wait_for()                     # the update's form, open
    assert page.url.endswith(f"/campaigns/{update}/form?lang={lang}")
