"""Hostile names through every template: autoescaped, everywhere."""
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from chalicelib.counting.intake import Receipt
from chalicelib.domain.campaign import Person, Target, parse_campaign
from chalicelib.domain.officials import Social
from chalicelib.domain.errors import ServiceUnavailable, TooManyReports, ValidationFailed
from chalicelib.domain.report import Report
from chalicelib.domain.totals import Tally, Totals
from chalicelib.supporters import form_page
from chalicelib.web import i18n, pages
from tests.api.test_reports import form_fields, html_of, post_form
from tests.conftest import START, campaign_body

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "<script>alert(1)</script>"
HOSTILE = [SCRIPT, '"><img src=x onerror=alert(1)>', "' onmouseover='alert(1)", "</title><script>x</script>"]


def hostile(index):
    return f"{HOSTILE[index % len(HOSTILE)]} #{index}"


@pytest.fixture
def campaign(settings):
    """UA 47.22 with hostile text in every field a page shows, the kit's included (past the
    validation a PUT would make: the templates must escape it anyway)."""
    ua = parse_campaign("ua-47-22", campaign_body(), START)
    governor = Target("governor", hostile(2), hostile(3), salutation=hostile(0), address=hostile(1) + "\n" + hostile(2),
                      emails=(hostile(3) + "@example.org",), phones=(hostile(0),), faxes=(hostile(1),),
                      social=(Social("x", hostile(2)), Social("facebook", hostile(3))), contact_url=hostile(0))
    return replace(ua, reference=hostile(0), title=hostile(1), summary=hostile(2) + "\n\n" + hostile(3),
                   people=(Person(hostile(0), hostile(1)),), letter={"es": hostile(2) + ",\n\n" + hostile(3),
                                                                      "en": hostile(0)},
                   targets=(governor, Target("ambassador", hostile(0), "")))


@pytest.fixture
def rendered(monkeypatch):
    """The names of the templates rendered during the test."""
    names = []
    real = pages.render

    def spy(template, *args, **context):
        names.append(template)
        return real(template, *args, **context)

    monkeypatch.setattr(pages, "render", spy)
    return names


def assert_escaped(html, shows_names=True):
    for raw in HOSTILE:
        assert raw not in html, raw
    if shows_names:   # the names are there, escaped
        assert "&lt;script&gt;" in html or "&lt;img src=x" in html
    own_script = f"<script>{pages._inline(pages.SUPPORTER.script)[0]}</script>"   # the CSP-hashed page.js
    assert html.count(own_script) <= 1 and "<script" not in html.replace(own_script, "").lower()
    assert not re.search(r"<img[^>]*onerror", html)
    assert "onmouseover='" not in html


def page_request(code):
    return form_page.PageRequest(i18n.language(code), fragment=False, share_url=f"https://x.example/{hostile(2)}",
                                 extra_query="")


def pages_of(campaign, settings, code):
    page = page_request(code)
    values = {"submission_id": "not-a-uuid", "per_target": {"governor": {"letter": hostile(1)}, hostile(2): {}},
              "participants": hostile(3), "country": hostile(2), "name": hostile(3), "contact_email": hostile(0),
              "consent": True}
    report = Report(submission_id="s", actions={"letter": 1}, targets=("governor",), country="MX",
                    campaign_id=campaign.campaign_id, report_id=hostile(1))
    totals = Totals(campaign.campaign_id, Tally(reports=1, actions=Counter({"letter": 1})), True, START, version=1)
    yield form_page.form(campaign, settings, page, values, {"name": hostile(0), "country": hostile(1),
                                                            "per_target.governor.letter": hostile(2),
                                                            "participants": hostile(3)}, 422)
    yield form_page.send_again(campaign, settings, page, values, TooManyReports(7), hostile(2))
    yield form_page.send_again(campaign, settings, page, values, ServiceUnavailable(), hostile(3))
    yield form_page.thanks(Receipt(campaign, report, created=False), totals, settings, page, 200)
    yield form_page.closed(campaign, {**totals.public_view(campaign, 10), "as_of": hostile(2)}, page)
    yield form_page.not_found(hostile(0), page)
    yield form_page.problem(ValidationFailed({"x": "y"}, message=hostile(1)), page)


@pytest.mark.parametrize("code", i18n.SUPPORTED)
def test_every_template_escapes_hostile_names(campaign, settings, rendered, code):
    for response in pages_of(campaign, settings, code):
        # the problem page shows its own translated message, never the error's text
        assert_escaped(response.body, shows_names=rendered[-1] != "problem.html")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    # partials (_*.html) are included by these pages and so rendered with them
    templates = {path.name for path in (ROOT / "templates").glob("*.html")
                 if path.name != "base.html" and not path.name.startswith("_")}
    assert set(rendered) == templates, "a template was not rendered with hostile input"


def test_autoescape_is_on_and_never_switched_off():
    for code in i18n.SUPPORTED:
        assert pages.environment(code).autoescape is True
    for path in (ROOT / "templates").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "|safe" not in text.replace(" ", "") and "autoescape false" not in text, path.name
    # The only Markup in the code, each safe by construction: our own static files
    # inlined; literal format strings whose arguments Markup's % and .format escape
    # (the <time> tag, the summary's joins and subject); the summary's wording,
    # escaped before it is marked safe. A new use must be looked at and listed here.
    allowed = {"pages.py": 1, "form_page.py": 1, "summary.py": 6}
    for path in [*(ROOT / "chalicelib").rglob("*.py"), ROOT / "app.py"]:
        text = path.read_text(encoding="utf-8")
        assert text.count("Markup(") == allowed.get(path.name, 0), path.name
        if path.name != "pages.py":
            assert "Environment(" not in text and "Template(" not in text, path.name


def test_a_hostile_name_posted_in_the_form_comes_back_escaped(client, staff_headers):
    import json
    client.http.put("/staff/campaigns/ua-47-22", headers=staff_headers, body=json.dumps(campaign_body()))
    response = post_form(client, form_fields(name=SCRIPT, contact_email='"><script>x</script>@a.org'))
    assert response.status_code == 422   # no consent ticked: shown again, escaped
    page = html_of(response)
    assert_escaped(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
