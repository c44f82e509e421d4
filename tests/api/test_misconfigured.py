"""A deployment without a usable FORM_TOKEN_SECRET: the form and report routes answer
503 ``service_misconfigured`` with a human message (never a 500 with a stack trace),
record nothing, and the process logs the configuration error once."""
import logging
from urllib.parse import urlencode

import pytest

from chalicelib.counting import abuse
from chalicelib.runtime import process
from tests.api.test_reports import FORM, form_fields, html_of, json_of
from tests.conftest import post_report, report_body

pytestmark = pytest.mark.usefixtures("campaign")


@pytest.fixture(params=["unset", "too short"])
def misconfigured(request, monkeypatch, client):
    # the campaign was made with the secret set; from here on the process has none
    if request.param == "unset":
        monkeypatch.delenv("FORM_TOKEN_SECRET")
    else:
        monkeypatch.setenv("FORM_TOKEN_SECRET", "x" * (abuse.MIN_SECRET_LENGTH - 1))
    process.reset()
    monkeypatch.setattr(abuse, "_missing_logged", False)   # a fresh process
    return request.param


def _misconfigured_json(response):
    assert response.status_code == 503, response.body
    error = json_of(response)["error"]
    assert error["code"] == "service_misconfigured" and "not fully set up" in error["message"]


def _misconfigured_page(response, text="The form is not available right now"):
    assert response.status_code == 503, response.body
    page = html_of(response)
    assert text in page and "Traceback" not in page and 'name="form_token"' not in page


def test_json_routes_answer_503_service_misconfigured_and_record_nothing(misconfigured, client, store):
    _misconfigured_json(client.http.get("/campaigns/ua-47-22"))
    _misconfigured_json(post_report(client, "ua-47-22", report_body()))

    assert store.get_campaign("ua-47-22").campaign_id == "ua-47-22"
    assert not store.flagged_reports(store.get_campaign("ua-47-22"))
    assert json_of(client.http.get("/campaigns/ua-47-22/totals"))["reports"] == 0


def test_form_pages_answer_503_with_a_page_in_the_supporters_language(misconfigured, client, store):
    _misconfigured_page(client.http.get("/campaigns/ua-47-22/form"))
    _misconfigured_page(client.http.get("/campaigns/ua-47-22/form?lang=es&embed=1"),
                        "El formulario no está disponible en este momento")
    _misconfigured_page(client.http.post("/campaigns/ua-47-22/reports", headers=FORM,
                                         body=urlencode(form_fields(), doseq=True)))

    assert json_of(client.http.get("/campaigns/ua-47-22/totals"))["reports"] == 0


def test_the_configuration_error_is_logged_once_per_process(misconfigured, client, caplog):
    with caplog.at_level(logging.ERROR, logger="chalicelib.counting.abuse"):
        for _ in range(3):
            client.http.get("/campaigns/ua-47-22/form")
            post_report(client, "ua-47-22", report_body())

    logged = [r.getMessage() for r in caplog.records if r.name == "chalicelib.counting.abuse"]
    assert len(logged) == 1, logged
    assert "FORM_TOKEN_SECRET is " + misconfigured in logged[0] and "service_misconfigured" in logged[0]


def test_routes_that_need_no_form_token_still_work(misconfigured, client, staff_headers, fake_clock):
    assert client.http.get("/campaigns/ua-47-22/totals").status_code == 200
    assert client.http.get("/staff/campaigns/ua-47-22/totals", headers=staff_headers).status_code == 200
    fake_clock.advance(days=12 + 15)    # past the deadline and its late days: the closed page needs no token
    assert client.http.get("/campaigns/ua-47-22/form").status_code == 200
