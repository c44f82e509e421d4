"""Request bodies of arbitrary bytes and media types, through what reads them: read_body
(JSON and form-encoded), the form's fields, the country names, a report's parsing, the
CSV an export writes. Never an unexpected exception: data, or one of our 4xx errors."""
import csv
import io
import json
from datetime import timedelta
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.campaign import parse_campaign
from chalicelib.domain.errors import BodyTooLarge, MalformedBody, UnsupportedMediaType, ValidationFailed
from chalicelib.domain.report import parse_report
from chalicelib.staff.csvfile import csv_text
from chalicelib.supporters.form_fields import report_from_form
from chalicelib.web import i18n
from chalicelib.web.bodies import FORM, JSON, read_body
from tests.conftest import START, campaign_body

MAX_BODY = 16 * 1024
CAMPAIGN = parse_campaign("ua-47-22", campaign_body(), START - timedelta(days=1))
MEDIA_TYPES = st.one_of(st.none(), st.sampled_from([JSON, FORM, "application/json; charset=utf-8", "APPLICATION/JSON",
                                                    f"{FORM}; charset=" + "x" * 3000, "text/plain", "", ";", "*/*"]),
                        st.text(max_size=200))
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda children: st.lists(children, max_size=5)
                           | st.dictionaries(st.text(max_size=20), children, max_size=5), max_leaves=30)
FIELD_NAMES = st.sampled_from(["submission_id", "action_letter", "action_email", "action_fax", "target", "country",
                               "name", "contact_email", "consent", "form_token", "website"]) | st.text(max_size=20)


class Request:
    def __init__(self, body: bytes, content_type):
        self.raw_body = body
        self.headers = {} if content_type is None else {"content-type": content_type}
        self.context = {}


def _read(body, content_type):
    """read_body's answer, or None for one of the errors it may raise."""
    try:
        return read_body(Request(body, content_type), MAX_BODY, accepted=(JSON, FORM))
    except (BodyTooLarge, UnsupportedMediaType, MalformedBody) as error:
        assert error.status in (400, 413, 415) and len(error.message) < 400
        return None


def _as_the_form_page_does(kind, body):
    """What post_form does with a body before intake: the form's fields, the country name."""
    values = report_from_form(body) if kind == FORM else body
    if kind == FORM and values["country"]:
        values["country"] = i18n.country_code(values["country"])
    return values


def _parse(values, strict):
    try:
        return parse_report(values, CAMPAIGN, 50, strict_fields=strict)
    except ValidationFailed as error:
        assert error.fields and all(isinstance(m, str) and m for m in error.fields.values())
        return None


@settings(max_examples=400, deadline=None)
@given(body=st.binary(max_size=MAX_BODY + 64), content_type=MEDIA_TYPES)
def test_arbitrary_bytes_are_data_or_our_error(body, content_type):
    answer = _read(body, content_type)
    if answer is None:
        return
    kind, data = answer
    assert kind in (JSON, FORM)
    if kind == FORM:
        assert all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in data.values())
    _parse(_as_the_form_page_does(kind, data), strict=kind == JSON)


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES)
def test_any_json_is_a_report_or_a_validation_error(value):
    body = json.dumps(value).encode()
    answer = _read(body, JSON)
    if answer is not None:
        assert answer == (JSON, value) or isinstance(value, float)
        _parse(answer[1], strict=True)


@settings(max_examples=300, deadline=None)
@given(fields=st.lists(st.tuples(FIELD_NAMES, st.text(max_size=60)), max_size=12))
def test_any_form_is_a_report_or_a_validation_error(fields):
    answer = _read(urlencode(fields).encode(), FORM)
    if answer is not None:
        _parse(_as_the_form_page_does(*answer), strict=False)


def test_the_bodies_a_hostile_client_builds_by_hand():
    hostile = [b"[" * 100_000, b'{"a":' * 50_000, b"9" * 5000, b"1e999999", b'"\\ud800"', b"NaN", b"\xff\xfe",
               b"&" * 10_000, b"=" * 10_000, "a=1&" .encode() * 500, b"%" * 5000, b"a=%ZZ&b=%C3"]
    for body in hostile:
        for content_type in (JSON, FORM):
            answer = _read(body, content_type)
            if answer is not None:
                _parse(_as_the_form_page_does(*answer), strict=content_type == JSON)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(st.one_of(st.none(), st.integers(), st.booleans(), st.text()), min_size=3, max_size=3),
                     max_size=8))
def test_an_export_of_any_text_is_csv_that_reads_back_and_holds_no_formula(rows):
    text = csv_text(["a", "b", "c"], rows)
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert len(parsed) == len(rows) + 1 and all(len(row) == 3 for row in parsed)
    for row, original in zip(parsed[1:], rows):
        for cell, value in zip(row, original):
            if isinstance(value, int) and not isinstance(value, bool):
                assert cell == str(value)
            else:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell

