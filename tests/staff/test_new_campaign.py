"""The dashboard's "New campaign from a case sheet": paste, review (each warning beside its
field), create through the PUT's validation, then the campaign page's embed snippets. Plain
forms, no script; each POST checks where it came from and its form token."""
import html
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest

from chalicelib.staff import sessions
from tests.staff.test_dashboard import page

ROOT = Path(__file__).resolve().parents[2]
SHEET = (ROOT / "campaigns" / "ua-47-22.txt").read_text(encoding="utf-8").replace(
    "UNTIL: July 15, 2022", "UNTIL: January 20, 2026")      # the tests' clock is 2026-01-10
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def browser_headers(store, staff_headers, fake_clock):
    session_id, _ = sessions.sign_in(store, staff_headers["Authorization"].split()[1], fake_clock())
    cookie = f"{sessions.COOKIE}={session_id}"
    return {"Cookie": cookie, "Content-Type": FORM, "Sec-Fetch-Site": "same-origin"}, sessions.form_token(cookie)


class FormFields(HTMLParser):
    """What a browser would send for the page's form whose action ends with ``action``."""

    def __init__(self, action):
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.fields, self.textarea = action, False, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("action", "").endswith(self.action)
        elif self.inside and tag == "input" and attrs.get("name"):
            if attrs.get("type") != "checkbox" or "checked" in attrs:
                self.fields.append((attrs["name"], attrs.get("value", "")))
        elif self.inside and tag == "textarea":
            self.textarea = [attrs["name"], ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea is not None:
            self.fields.append(tuple(self.textarea))
            self.textarea = None
        elif tag == "form":
            self.inside = False


def fields_of(body, action):
    parser = FormFields(action)
    parser.feed(body)
    return parser.fields


def cookie_only(headers):
    return {"Cookie": headers["Cookie"]}


def post(client, path, headers, fields):
    return client.http.post(path, headers=headers, body=urlencode(fields))


def review(client, browser_headers, text=SHEET, timezone="America/Caracas"):
    headers, token = browser_headers
    response = post(client, "/staff/new-campaign", headers, [("form_token", token), ("text", text),
                                                             ("timezone", timezone)])
    assert response.status_code == 200, response.body[:500]
    return response.body.decode()


def test_the_paste_page_is_a_plain_form_with_a_form_token(client, browser_headers):
    headers, token = browser_headers
    body = page(client, "/staff/new-campaign", cookie_only(headers))
    assert '<textarea id="text" name="text"' in body and f'name="form_token" value="{token}"' in body
    assert "<script" not in body
    campaigns = page(client, "/staff/dashboard", cookie_only(headers))
    assert 'href="new-campaign">New campaign from a case sheet</a>' in campaigns


def test_the_review_form_holds_every_field_with_each_warning_beside_it(client, browser_headers):
    body = review(client, browser_headers)
    assert 'id="reference" name="reference" value="UA 47.22"' in body
    assert 'id="deadline" name="deadline" value="2026-01-20"' in body
    assert ">sgeneralcarabobo@gmail.com</textarea>" in body
    assert ">x: ONUVENuevaYork\nx: japerezve</textarea>" in body
    assert 'lang="en"' in body and "Dear governor Rafael Lacava," in body
    # the warning on targets[1].social[0] sits beside that field and describes it
    warning = re.search(r'<p class="warning-message" id="(targets-1-social-warning-\d)">.*?</p>', body, re.S)
    assert warning and "has a space" in html.unescape(warning.group(0))
    assert re.search(rf'<textarea id="targets-1-social" name="targets-1-social" rows="2" '
                     rf'aria-describedby="{warning.group(1)}">', body)
    assert "10 things to check" in body
    assert '<input type="checkbox" name="actions" value="tweet" checked>' in body


def test_creating_from_the_review_form_makes_the_campaign_and_shows_its_embed_snippets(client, browser_headers,
                                                                                     store):
    headers, _ = browser_headers
    fields = fields_of(review(client, browser_headers), "new-campaign/create")
    response = post(client, "/staff/new-campaign/create", headers, fields)
    assert response.status_code == 303, response.body[:800]
    assert response.headers["Location"] == "../dashboard/ua-47-22"
    campaign = store.get_whole_campaign("ua-47-22")
    assert campaign.targets[1].social[0].handle == "ONUVENuevaYork" and campaign.timezone == "America/Caracas"
    assert campaign.letter["en"].startswith("Dear governor") and campaign.people[0].name == "Marino Alvarado"
    body = html.unescape(page(client, "/staff/dashboard/ua-47-22", cookie_only(headers)))
    assert re.search(r'<script src="https?://[^"]+/embed\.js" data-campaign="ua-47-22" defer></script>', body)
    assert re.search(r'<iframe id="action-tally" title="UA 47.22: report your action" .*?'
                     r'src="https?://[^"]+/campaigns/ua-47-22/form\?lang=en"></iframe>', body)
    assert "No page may embed the form yet" in body


def test_errors_come_back_beside_their_fields_and_nothing_is_created(client, browser_headers, store):
    headers, _ = browser_headers
    fields = [(name, "not-an-email" if name == "targets-0-emails" else value)
              for name, value in fields_of(review(client, browser_headers), "new-campaign/create")]
    fields = [(n, "") if n == "deadline" else (n, v) for n, v in fields]
    response = post(client, "/staff/new-campaign/create", headers, fields)
    assert response.status_code == 422
    body = response.body.decode()
    assert '<a href="#targets-0-emails">' in body and '<a href="#deadline">' in body
    assert re.search(r'<p class="error-message" id="targets-0-emails-error">.*?must be an email address', body, re.S)
    assert 'aria-invalid="true"' in body and ">not-an-email</textarea>" in body     # what was typed stays
    assert "has a space" in body                                                       # the warnings stay too
    assert store.get_campaign("ua-47-22") is None


def test_a_blank_row_is_left_out_and_a_filled_extra_row_is_added(client, browser_headers, store):
    headers, _ = browser_headers
    fields = fields_of(review(client, browser_headers), "new-campaign/create")
    extra = {"targets-2-id": "minister", "targets-2-name": "Remigio Ceballos", "targets-2-role": "Minister",
             "targets-2-emails": "despacho@example.gob.ve", "people-2-name": "Someone Else"}
    fields = [(name, extra.get(name, value)) for name, value in fields]
    assert post(client, "/staff/new-campaign/create", headers, fields).status_code == 303
    campaign = store.get_whole_campaign("ua-47-22")
    assert [t.id for t in campaign.targets] == ["governor", "ambassador", "minister"]
    assert [p.name for p in campaign.people] == ["Marino Alvarado", "Alfredo Infante", "Someone Else"]
    assert campaign.copies_to == ()


def test_an_id_already_taken_is_refused_beside_the_id(client, browser_headers, store):
    headers, _ = browser_headers
    fields = fields_of(review(client, browser_headers), "new-campaign/create")
    assert post(client, "/staff/new-campaign/create", headers, fields).status_code == 303
    again = post(client, "/staff/new-campaign/create", headers, fields)
    assert again.status_code == 409 and 'id="campaign_id-error"' in again.body.decode()


@pytest.mark.parametrize("text, status, says", [
    ("", 422, "is empty"),
    ((ROOT / "tests/casesheet/sheets/outcome-en-ua-33-21.txt").read_text(encoding="utf-8"), 422, "outcome notice"),
    ("a" * 100_001, 413, "at most 100,000"),
])
def test_a_text_that_gives_no_draft_comes_back_with_the_reason(client, browser_headers, text, status, says):
    headers, token = browser_headers
    response = post(client, "/staff/new-campaign", headers, [("form_token", token), ("text", text)])
    assert response.status_code == status
    body = response.body.decode()
    assert 'role="alert"' in body and says in body and '<textarea id="text"' in body


@pytest.mark.parametrize("path", ["/staff/new-campaign", "/staff/new-campaign/create"])
def test_posts_from_elsewhere_or_without_the_form_token_are_refused(client, browser_headers, store, path):
    headers, token = browser_headers
    fields = fields_of(review(client, browser_headers), "new-campaign/create") if path.endswith("create") else \
        [("form_token", token), ("text", SHEET)]
    cross = post(client, path, {**headers, "Sec-Fetch-Site": "cross-site"}, fields)
    assert cross.status_code == 403 and "did not come from it" in cross.body.decode()
    same_site = post(client, path, {**headers, "Sec-Fetch-Site": "same-site"}, fields)
    assert same_site.status_code == 403
    forged = [(n, "0" * 64) if n == "form_token" else (n, v) for n, v in fields]
    assert post(client, path, headers, forged).status_code == 403
    missing = [(n, v) for n, v in fields if n != "form_token"]
    assert post(client, path, headers, missing).status_code == 403
    assert store.get_campaign("ua-47-22") is None


def test_the_pages_need_a_session(client):
    assert client.http.get("/staff/new-campaign").status_code == 401
    response = client.http.post("/staff/new-campaign", headers={"Content-Type": FORM}, body="text=x")
    assert response.status_code == 401


NASTY = ["", " ", "x" * 5000, "\u0000", "é\u202e", "9" * 40, "-1", "<script>alert(1)</script>", "../../etc", "📬" * 300]


@pytest.mark.parametrize("nasty", NASTY)
def test_any_value_in_any_field_of_the_create_form_is_an_answer_not_a_5xx(client, browser_headers, store, nasty):
    headers, _ = browser_headers
    fields = fields_of(review(client, browser_headers), "new-campaign/create")
    for position, (name, _) in enumerate(fields):
        if name == "form_token":
            continue
        changed = fields[:position] + [(name, nasty)] + fields[position + 1:]
        if name != "campaign_id":   # a new id each time, so that every field is checked, not the id taken
            changed = [(n, f"ua-{position}-26") if n == "campaign_id" else (n, v) for n, v in changed]
        response = post(client, "/staff/new-campaign/create", headers, changed)
        assert response.status_code in (303, 422), (name, response.status_code, response.body[:300])
        assert b"<script>alert" not in response.body


def test_a_form_token_in_any_characters_is_refused_not_a_5xx(client, browser_headers):
    headers, _ = browser_headers
    for token in ("\U00109d29\u0096", "é" * 64, "0" * 10_000):
        for path in ("/staff/new-campaign", "/staff/new-campaign/create"):
            response = post(client, path, headers, [("form_token", token), ("text", "x"), ("campaign_id", "é")])
            assert response.status_code == 403, (path, response.status_code)
