"""The dashboard's offline tallies page: one tally from a plain form (sent twice: counted once),
a CSV file uploaded; every error beside its field (a file's by row), nothing stored; from our
own pages only, with the session's form token. The campaign page shows the offline figures."""
# ruff: noqa: F811 - browser_headers, a fixture, imported and taken by name
import json
import re
from urllib.parse import urlencode

import pytest

from tests.staff.test_dashboard import page
from tests.staff.test_new_campaign import FormFields, browser_headers  # noqa: F401 - a fixture

PAGE = "/staff/dashboard/ua-47-22/tallies"
BOUNDARY = "----tallyboundary7MA4YWxkTrZu0gW"


def form_of(client, headers):
    parser = FormFields("tallies")
    parser.feed(page(client, PAGE, {"Cookie": headers["Cookie"]}))
    return dict(parser.fields)


def multipart(fields: dict, content: bytes) -> bytes:
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="tallies.csv"\r\n'
                 "Content-Type: text/csv\r\n\r\n".encode() + content + b"\r\n")
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def staff_offline(client, staff_headers):
    return json.loads(client.http.get("/staff/campaigns/ua-47-22/totals", headers=staff_headers).body)["offline"]


@pytest.fixture(autouse=True)
def _no_5xx(no_server_errors):
    pass


def test_one_tally_from_the_form_sent_twice_is_counted_once(client, campaign, staff_headers, browser_headers):
    headers, _ = browser_headers
    fields = form_of(client, headers)
    assert fields["form_token"] and fields["tally_id"] and fields["participants"] == "1"
    fields.update({"source": "Madrid group letter-writing evening", "acted_on": "2026-01-09", "country": "es",
                   "participants": "40", "count.governor.letter": "38", "count.ambassador.email": "12"})
    for _ in range(2):   # a double click
        response = client.http.post(PAGE, headers=headers, body=urlencode(fields))
        assert response.status_code == 303 and response.headers["Location"] == "tallies?entered=1"
    offline = staff_offline(client, staff_headers)
    assert (offline["reports"], offline["people"], offline["actions_total"]) == (1, 40, 50)
    assert offline["tallies"][0]["country"] == "ES" and offline["tallies"][0]["entered_by"] == "tests"
    shown = page(client, f"{PAGE}?entered=1", {"Cookie": headers["Cookie"]})
    assert "The tally was stored and counted." in shown and "Madrid group letter-writing evening" in shown
    campaign_page = page(client, "/staff/dashboard/ua-47-22", {"Cookie": headers["Cookie"]})
    assert "offline tally entered" in campaign_page and 'href="ua-47-22/tallies"' in campaign_page
    assert "<strong>1</strong> offline tally for <strong>40</strong> people" in campaign_page


def test_a_bad_form_shows_each_error_beside_its_field_and_stores_nothing(client, campaign, staff_headers,
                                                                         browser_headers):
    headers, _ = browser_headers
    fields = form_of(client, headers)
    fields.update({"source": "", "acted_on": "2099-01-01", "participants": "0", "count.mayor.letter": "3",
                   "count.governor.letter": "lots"})
    response = client.http.post(PAGE, headers=headers, body=urlencode(fields))
    assert response.status_code == 422
    body = response.body.decode()
    for control in ("source", "acted_on", "participants", "count.governor.letter"):
        assert f'id="{control}-error"' in body, control   # the message, tied to its input:
        assert re.search(rf'id="{re.escape(control)}" [^>]*aria-describedby="[^"]*{re.escape(control)}-error"', body)
    assert f'value="{fields["tally_id"]}"' in body   # the same tally id: sent again, still counted once
    assert staff_offline(client, staff_headers)["tallies"] == []


def test_a_form_from_elsewhere_or_without_its_token_is_refused(client, campaign, staff_headers, browser_headers):
    headers, _ = browser_headers
    fields = {**form_of(client, headers), "source": "x", "acted_on": "2026-01-09", "count.governor.letter": "1"}
    cross = client.http.post(PAGE, headers={**headers, "Sec-Fetch-Site": "cross-site"}, body=urlencode(fields))
    assert cross.status_code == 403
    forged = client.http.post(PAGE, headers=headers, body=urlencode({**fields, "form_token": "0" * 64}))
    assert forged.status_code == 403 and "form token" in forged.body.decode()
    assert client.http.post(PAGE, headers={**headers, "Content-Type": "text/plain"},
                            body="x").status_code == 415
    assert client.http.post("/staff/dashboard/ua-00-00/tallies", headers=headers,
                            body=urlencode(fields)).status_code == 404
    assert staff_offline(client, staff_headers)["tallies"] == []


def test_a_csv_upload_is_stored_whole_or_answered_with_every_bad_row(client, campaign, staff_headers,
                                                                     browser_headers):
    headers, token = browser_headers
    upload = {**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    bad = "source,acted_on,governor.letter\r\nSchool A,2026-01-08,20\r\n,2026-01-08,x\r\n".encode()
    refused = client.http.post(PAGE, headers=upload, body=multipart({"form_token": token}, bad))
    assert refused.status_code == 422
    assert "row 3.source" in refused.body.decode() and "row 3.per_target.governor.letter" in refused.body.decode()
    assert staff_offline(client, staff_headers)["tallies"] == []
    good = "\ufeffsource,acted_on,governor.letter\r\nSchool A,2026-01-08,20\r\nSchool B,2026-01-08,5\r\n".encode()
    stored = client.http.post(PAGE, headers=upload, body=multipart({"form_token": token}, good))
    assert stored.status_code == 303 and stored.headers["Location"] == "tallies?entered=file"
    assert staff_offline(client, staff_headers)["actions_total"] == 25
    forged = client.http.post(PAGE, headers=upload, body=multipart({"form_token": "x"}, good))
    assert forged.status_code == 403
    broken = client.http.post(PAGE, headers=upload, body=b"not multipart at all")
    assert broken.status_code == 400
    assert staff_offline(client, staff_headers)["reports"] == 2
