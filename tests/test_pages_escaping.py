"""Hostile names through every template: autoescaped, everywhere."""
import re
from dataclasses import replace
from pathlib import Path

import pytest

from chalicelib import form_page, pages
from chalicelib.campaigns import Target, parse_campaign
from chalicelib.errors import ServiceUnavailable, TooManyReports, ValidationFailed
from chalicelib.intake import Receipt
from chalicelib.reports import Report
from tests.conftest import START, campaign_body
from tests.test_report_intake_api import form_fields, html_of, post_form

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = "<script>alert(1)</script>"
HOSTILE = [SCRIPT, '"><img src=x onerror=alert(1)>', "' onmouseover='alert(1)", "</title><script>x</script>"]


def hostile(index):
    return f"{HOSTILE[index % len(HOSTILE)]} #{index}"


@pytest.fixture
def campaign(settings):
    ua = parse_campaign("ua-47-22", campaign_body(), START)
    return replace(ua, reference=hostile(0), title=hostile(1),
                   targets=(Target("governor", hostile(2), hostile(3)), Target("ambassador", hostile(0), "")))


@pytest.fixture
def rendered(monkeypatch):
    """The names of the templates rendered during the test."""
    names = []
    real = pages.render

    def spy(template, **context):
        names.append(template)
        return real(template, **context)

    monkeypatch.setattr(pages, "render", spy)
    return names


def assert_escaped(html):
    for raw in HOSTILE:
        assert raw not in html, raw
    assert "&lt;script&gt;" in html or "&lt;img src=x" in html   # the names are there, escaped
    assert "<script" not in html.lower()
    assert not re.search(r"<img[^>]*onerror", html)
    assert "onmouseover='" not in html


def pages_of(campaign, settings):
    values = {"submission_id": "not-a-uuid", "targets": ["governor"], "actions": {"letter": hostile(1)},
              "country": hostile(2), "name": hostile(3), "contact_email": hostile(0), "consent": True}
    report = Report(submission_id="s", actions={"letter": 1}, targets=("governor",), country="MX",
                    campaign_id=campaign.campaign_id, report_id=hostile(1))
    totals = {"as_of": hostile(2), "reports": 1, "actions_total": 1, "final": True}
    yield form_page.form(campaign, settings, values, {"name": hostile(0), "country": hostile(1)}, 422)
    yield form_page.send_again(campaign, settings, values, TooManyReports(7), hostile(2))
    yield form_page.send_again(campaign, settings, values, ServiceUnavailable(), hostile(3))
    yield form_page.thanks(Receipt(campaign, report, created=False), totals, 200)
    yield form_page.closed(campaign, totals)
    yield form_page.not_found(hostile(0))
    yield form_page.problem(ValidationFailed({"x": "y"}, message=hostile(1)))


def test_every_template_escapes_hostile_names(campaign, settings, rendered):
    for response in pages_of(campaign, settings):
        assert_escaped(response.body)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    templates = {path.name for path in (ROOT / "templates").glob("*.html")} - {"base.html"}
    assert set(rendered) == templates, "a template was not rendered with hostile input"


def test_autoescape_is_on_and_never_switched_off():
    assert pages.environment().autoescape is True
    for path in (ROOT / "templates").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "|safe" not in text.replace(" ", "") and "autoescape false" not in text, path.name
    for path in [*(ROOT / "chalicelib").glob("*.py"), ROOT / "app.py"]:
        text = path.read_text(encoding="utf-8")
        assert "Markup(" not in text, path.name
        if path.name != "pages.py":
            assert "Environment(" not in text and "Template(" not in text, path.name


def test_a_hostile_name_posted_in_the_form_comes_back_escaped(client, staff_headers):
    import json
    client.http.put("/staff/campaigns/ua-47-22", headers=staff_headers, body=json.dumps(campaign_body()))
    response = post_form(client, form_fields(name=SCRIPT, contact_email='"><script>x</script>@a.org'))
    assert response.status_code == 422   # no consent ticked: shown again, escaped
    page = html_of(response)
    assert "<script" not in page.lower() and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
