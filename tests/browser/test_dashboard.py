"""The dashboard and the printable summary in a real browser (Debian's chromium, headless,
driven by playwright): sign-in with the cookie, the charts' accessible names, print layout.
Screenshots go to test-artifacts/screenshots/ (git-ignored)."""
import io
import re
import socket
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from chalicelib.counting import tallying, voiding
from chalicelib.domain.outcome import Outcome
from chalicelib.domain.report import parse_report
from chalicelib.staff.auth import issue_token
from chalicelib.staff.campaign_admin import save_campaign
from tests.browser.test_supporter_form import axe_source, axe_violations  # noqa: F401 - a fixture and its helper
from tests.conftest import START, campaign_body, report_body

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
pytestmark = pytest.mark.browser

NEW_SHEET = (ROOT / "tests" / "casesheet" / "sheets" / "current-en-ua-61-23.txt").read_text(
    encoding="utf-8").replace("April 28, 2023", "April 28, 2026")
# A campaign's three weeks: reports per day, rising after the launch and again before the deadline.
PER_DAY = [14, 31, 22, 9, 6, 4, 12, 18, 7, 5, 3, 2, 0, 4, 8, 11, 16, 25, 12]
COUNTRIES = ["MX", "ES", "AR", "CO", "VE", "CL", "PE", "US", "FR", ""]   # "": not given


@pytest.fixture
def seeded(store, settings, fake_clock):
    """UA 47.22 closed with final totals (one report voided, so version 2; one flagged), and an open campaign."""
    fake_clock.set(START - timedelta(days=11))   # launched the day before the first report
    ua, _ = save_campaign(store, "ua-47-22", campaign_body(), fake_clock(), settings.report_shards)
    other, _ = save_campaign(store, "ua-52-22", campaign_body(reference="UA 52.22", title="Journalist detained "
                             "incommunicado", deadline="2026-03-01T23:59:59Z"), fake_clock(), settings.report_shards)
    stored = []
    for day, count in enumerate(PER_DAY):
        for index in range(count):
            body = report_body(country=COUNTRIES[(day + index) % len(COUNTRIES)],
                               actions={"letter": 1 + index % 2, "email": index % 3, "tweet": index % 4 // 3},
                               targets=["governor", "ambassador"] if index % 3 else ["governor"])
            stamp = START + timedelta(days=day - 10, hours=8 + index % 10, minutes=index)
            for campaign in (ua, other) if index % 4 == 0 else (ua,):
                report, _ = store.record_report(campaign, parse_report(body, campaign, 50), uuid.uuid4().hex, stamp)
                stored.append(report)
    store.record_report(ua, parse_report(report_body(), ua, 50), uuid.uuid4().hex, START, flag_reason="honeypot")
    fake_clock.set(ua.closes_at + timedelta(minutes=1))
    tallying.run_tally(store, settings, fake_clock())
    voiding.void_report(store, "ua-47-22", stored[0].report_id, reason="Entered twice by the same supporter",
                        by="Ana (UA desk)", now=fake_clock())
    # issue 14: the case goes on in an update, and staff recorded where it stands
    save_campaign(store, "ua-47-22-fi", campaign_body(reference="Further information 1", follow_up_of="ua-47-22",
                                                      deadline="2026-03-01T23:59:59Z"), fake_clock(),
                  settings.report_shards)
    store.record_outcome("ua-47-22", Outcome("improved", "Both were moved to house arrest.", START.date(),
                                             recorded_by="staff token: browser test", recorded_at=fake_clock()),
                         None)
    return issue_token(store, "browser test", fake_clock())


@pytest.fixture
def server(moto_table, fake_clock):
    """The app on 127.0.0.1 as `make run` serves it (with API Gateway's refusals), stopped afterwards."""
    import app as app_module
    from tools.run_local import _serve

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    local = _serve(app_module, port, threading.Lock())
    thread = threading.Thread(target=local.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        local.server.shutdown()
        local.server.server_close()
        thread.join(timeout=10)


def pdf_text(pdf: bytes) -> tuple[list, int]:
    """Each page's text (pypdf) and the number of pages."""
    from pypdf import PdfReader
    reader = PdfReader(io.BytesIO(pdf))
    return [page.extract_text() for page in reader.pages], len(reader.pages)


# One test, one server: Chalice's local server can be made once per process.
def test_staff_sign_in_and_see_the_dashboard_and_the_printable_summary(seeded, server, browser, axe_source):  # noqa: F811
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    violations = {}   # axe-core on every staff page, as on the supporter pages: none expected

    page.goto(f"{server}/staff/dashboard")
    assert "unauthorized" in page.content()              # no session, no dashboard
    page.goto(f"{server}/staff/login")
    violations["sign-in"] = axe_violations(page, axe_source)
    page.get_by_label("Staff token").fill("not-a-real-token-at-all-000")
    page.get_by_role("button", name="Sign in").click()
    assert "not valid" in page.get_by_role("alert").inner_text()
    violations["sign-in refused"] = axe_violations(page, axe_source)
    page.get_by_label("Staff token").fill(seeded)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/dashboard")
    cookie = next(c for c in page.context.cookies() if c["name"] == "staff_session")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    assert page.get_by_role("link", name="UA 47.22").is_visible()
    violations["campaigns"] = axe_violations(page, axe_source)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-campaigns.png"), full_page=True)

    page.get_by_role("link", name="UA 47.22").click()
    page.wait_for_url("**/staff/dashboard/ua-47-22")
    assert page.get_by_role("img", name="Reports per day").is_visible()
    assert page.get_by_role("img", name="Reports so far (cumulative)").is_visible()
    assert page.get_by_role("table", name="Reports over time (the data behind both charts)").is_visible()
    assert page.get_by_role("heading", name="Outcome").is_visible()
    case = page.get_by_role("navigation", name="The case")
    assert case.get_by_role("link", name="Further information 1").is_visible()
    violations["campaign"] = axe_violations(page, axe_source)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-campaign.png"), full_page=True)

    staff = page.request.get(f"{server}/staff/dashboard/ua-47-22/totals?format=json").json()
    page.get_by_role("link", name="Printable summary for officials").click()
    page.wait_for_url("**/summary")
    governor = page.get_by_role("article", name="Rafael Lacava")
    assert "personas de 9 países participaron" in governor.locator('section[lang="es"]').inner_text()
    assert "people from 9 countries took part" in governor.locator('section[lang="en"]').inner_text()
    violations["summary"] = axe_violations(page, axe_source)
    page.screenshot(path=str(SCREENSHOTS / "summary-screen.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="Sign out").is_visible()    # the print stylesheet
    page.screenshot(path=str(SCREENSHOTS / "summary-print.png"), full_page=True)
    # One official per page, Spanish and English side by side, on A4 and on Letter alike
    for paper in ("A4", "Letter"):
        text, pages = pdf_text(page.pdf(path=str(SCREENSHOTS / f"summary-{paper}.pdf"), format=paper))
        assert pages == 2, (paper, pages)
        assert "Lo que le llegó" in text[0] and "What reached you" in text[0] and "Rafael Lacava" in text[0]
        assert "Joaquín A. Pérez Ayestarán" in text[1] and "Rafael Lacava" not in text[1]
        for official, page_text in zip(("governor", "ambassador"), text):
            reached = staff["by_target_action"].get(official, {})
            letters = reached.get("letter", 0)
            assert re.search(rf"Letters\s+{letters:,}\b", page_text), (official, letters, page_text[:800])
            assert re.search(rf"Cartas\s+{letters:,}".replace(",", r"\."), page_text), (official, page_text[:800])
        assert f"{staff['people']:,} people from 9 countries" in " ".join(text[0].split())
    page.emulate_media(media="screen")

    page.goto(f"{server}/staff/dashboard/ua-47-22/summary?target=ambassador")
    assert page.get_by_role("article").count() == 1
    page.emulate_media(media="print")
    text, pages = pdf_text(page.pdf(path=str(SCREENSHOTS / "summary-ambassador.pdf"), format="Letter"))
    assert pages == 1 and "Joaquín A. Pérez Ayestarán" in text[0]
    page.emulate_media(media="screen")
    page.goto(f"{server}/staff/dashboard/ua-47-22")

    page.goto(f"{server}/staff/dashboard/ua-47-22/flagged")
    assert "honeypot" in page.content()
    violations["flagged"] = axe_violations(page, axe_source)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-flagged.png"), full_page=True)

    # Offline tallies on the closed campaign: a mistake, one tally, a CSV file uploaded
    page.goto(f"{server}/staff/dashboard/ua-47-22")
    page.get_by_role("link", name="Offline tallies (enter, upload)").click()
    page.wait_for_url("**/staff/dashboard/ua-47-22/tallies")
    violations["tallies"] = axe_violations(page, axe_source)
    page.get_by_label("Where the actions come from").fill("Madrid group letter-writing evening")
    page.get_by_role("button", name="Store the tally").click()
    assert "The tally was not stored" in page.get_by_role("alert").inner_text()
    assert page.locator("#acted_on").get_attribute("aria-invalid") == "true"
    violations["tallies with errors"] = axe_violations(page, axe_source)
    page.get_by_label("The day the actions were taken").fill("2026-01-19")
    page.get_by_label("How many people took part").fill("40")
    page.locator("#count\\.governor\\.letter").fill("38")
    page.get_by_role("button", name="Store the tally").click()
    page.wait_for_url("**/tallies?entered=1")
    assert "The tally was stored and counted." in page.get_by_role("status").inner_text()
    page.set_input_files("#tally-file", files=[{"name": "tallies.csv", "mimeType": "text/csv", "buffer": (
        "\ufeffsource,acted_on,country,participants,governor.letter\r\nSchool A,2026-01-18,ES,30,30\r\n").encode()}])
    page.get_by_role("button", name="Store the file's tallies").click()
    page.wait_for_url("**/tallies?entered=file")
    assert "School A" in page.get_by_role("table").inner_text() and "Madrid group" in page.content()
    violations["tallies stored"] = axe_violations(page, axe_source)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-tallies.png"), full_page=True)

    # New campaign from a case sheet: paste, review, a mistake, create, the embed snippets
    page.goto(f"{server}/staff/dashboard")
    page.get_by_role("link", name="New campaign from a case sheet").click()
    page.wait_for_url("**/staff/new-campaign")
    violations["new campaign"] = axe_violations(page, axe_source)
    page.get_by_label("The case sheet's text").fill("")
    page.get_by_role("button", name="Read the case sheet").click()   # required: the browser stops it
    assert page.url.endswith("/staff/new-campaign")
    page.get_by_label("The case sheet's text").fill(NEW_SHEET)
    page.get_by_label("Time zone of the deadline").fill("America/Mexico_City")
    page.get_by_role("button", name="Read the case sheet").click()
    assert page.get_by_role("heading", name="Review the new campaign").is_visible()
    assert page.get_by_label("Reference").input_value() == "UA 61.23"
    assert "differs from the sample letter's greeting" in page.locator("#targets-1-salutation-warning-1").inner_text()
    violations["review"] = axe_violations(page, axe_source)
    page.screenshot(path=str(SCREENSHOTS / "new-campaign-review.png"), full_page=True)
    page.locator("#targets-0-emails").fill("gobernador at veracruz")
    page.get_by_role("button", name="Create the campaign").click()
    assert "The campaign was not created" in page.get_by_role("alert").inner_text()
    violations["review with errors"] = axe_violations(page, axe_source)
    page.get_by_role("link", name="targets-0-emails: must be an email address such as name@example.org").click()
    page.locator("#targets-0-emails").fill("gobernador@veracruz.gob.mx")
    page.get_by_role("button", name="Create the campaign").click()
    page.wait_for_url("**/staff/dashboard/ua-61-23")
    assert 'data-campaign="ua-61-23"' in page.get_by_label("Script tag (the form drawn into the page, sent with "
                                                           "JavaScript)").input_value()
    assert "<iframe" in page.locator("#embed-iframe").input_value()
    violations["campaign with embed snippets"] = axe_violations(page, axe_source)
    page.screenshot(path=str(SCREENSHOTS / "new-campaign-created.png"), full_page=True)
    assert violations == {name: [] for name in violations}, violations

    page.goto(f"{server}/staff/dashboard")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/staff/login")
    page.goto(f"{server}/staff/dashboard")
    assert "unauthorized" in page.content()

