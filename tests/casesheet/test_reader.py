"""The case-sheet importer on sheets of every layout and language (tests/casesheet/sheets/,
written for these tests, facts invented) and on the real UA 47.22 sheet: every field, every
warning (its field and line), and that each draft passes the PUT validation as it is."""
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chalicelib.casesheet.dates import find_dates
from chalicelib.casesheet.reader import read_case_sheet
from chalicelib.domain.campaign import CAMPAIGN_ID, parse_campaign
from chalicelib.domain.errors import ApiError, BodyTooLarge, NotAnAction, ValidationFailed
from tools import import_check

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = sorted((ROOT / "tests" / "casesheet" / "expected").glob("*.json"))
SEED = (ROOT / "campaigns" / "ua-47-22.txt").read_text(encoding="utf-8")
BEFORE_47_22 = datetime(2022, 6, 1, tzinfo=timezone.utc)


def expected_of(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_sheets_cover_every_layout_and_language():
    names = {path.stem for path in EXPECTED}
    for prefix in ("current-en", "current-es", "current-fr", "current-en-fi", "is-en", "is-es", "is-fr",
                   "is-en-fi", "web-en", "web-es", "outcome-en", "outcome-fr", "html-en"):
        assert any(name.startswith(prefix) for name in names), prefix
    assert len([name for name in names if name != "ua-47-22"]) >= 10


@pytest.mark.parametrize("path", EXPECTED, ids=[path.stem for path in EXPECTED])
def test_every_field_and_warning_is_as_expected(path):
    expected = expected_of(path)
    actual = import_check.read(expected)
    if "error" in expected:
        assert actual == {"error": expected["error"]}
        return
    assert actual["draft"] == expected["draft"]
    assert [[w["field"], w["line"]] for w in actual["warnings"]] == expected["warnings"]
    assert all(w["message"] for w in actual["warnings"])
    assert actual["suggested_id"] == expected["suggested_id"]
    assert actual["follow_up"] == expected["follow_up"]


@pytest.mark.parametrize("path", [p for p in EXPECTED if "error" not in expected_of(p)],
                         ids=[p.stem for p in EXPECTED if "error" not in expected_of(p)])
def test_each_draft_passes_the_put_validation_as_it_is(path):
    expected = expected_of(path)
    now = datetime.fromisoformat(expected["now"].replace("Z", "+00:00"))
    campaign = parse_campaign(expected["suggested_id"], expected["draft"], now)
    assert campaign.deadline.astimezone(timezone.utc) > now
    assert [t.id for t in campaign.targets] == [t["id"] for t in expected["draft"]["targets"]]


def test_import_check_passes_over_every_sheet(capsys):
    assert import_check.main() == 0
    assert "all fields" in capsys.readouterr().out


def test_the_example_case_sheet_field_by_field():
    draft = read_case_sheet(SEED, BEFORE_47_22, "America/Caracas")
    body = draft.body
    assert draft.suggested_id == "ua-47-22" and draft.follow_up is None
    assert body["reference"] == "UA 47.22"
    assert "index" not in body and "issued_on" not in body          # the US sheet has neither
    assert body["title"] == "Venezuelan defenders face criminalization"
    assert body["summary"].startswith("On May 16, 2022, recognized Venezuelan human rights defenders")
    assert body["summary"].endswith("ensuring a safe working environment for human rights defenders.")
    assert body["people"] == [{"name": "Marino Alvarado", "pronouns": "he/him/his"},
                              {"name": "Alfredo Infante", "pronouns": "he/him/his"}]
    assert body["deadline"] == "2022-07-15" and body["timezone"] == "America/Caracas"
    governor, ambassador = body["targets"]
    assert governor == {
        "id": "governor", "name": "Rafael Lacava", "role": "Governor of Carabobo state",
        "salutation": "Dear governor Rafael Lacava",
        "address": "Calle Colombia c/c Montes De Oca, Casa Alvarado,\nCapitolio de Valencia, Valencia, Carabobo, "
                   "Venezuela",
        "emails": ["sgeneralcarabobo@gmail.com"], "social": [{"network": "x", "handle": "rafaellacava10"}]}
    assert ambassador == {
        "id": "ambassador", "name": "H.E. Joaquin A. Perez Ayestaran", "role": "", "salutation": "Dear Ambassador",
        "address": "Permanent Mission of the Bolivarian Republic of Venezuela to\nthe United Nations\n"
                   "335 East 46th Street New York, N.Y. 10017",
        "emails": ["misionvenezuelaonu@gmail.com"], "phones": ["2125572055"], "faxes": ["2125573528"],
        "social": [{"network": "x", "handle": "ONUVENuevaYork"}, {"network": "x", "handle": "japerezve"}]}
    assert "copies_to" not in body
    letter = body["letter"]["en"]
    assert letter.startswith("Dear governor Rafael Lacava,\n\nI write to you to raise my voice in support of Marino "
                             "Alvarado and Alfredo Infante")
    assert letter.endswith("and protect human rights defenders.\n\nSincerely,") and "**" not in letter
    assert letter.count("\n\n") == 5
    assert body["letter_language"] == "es" and body["languages"] == ["en", "es"]
    assert body["actions"] == ["letter", "email", "fax", "call", "tweet"]
    warnings = {(w.field, w.line): w.message for w in draft.warnings}
    assert set(warnings) == {("index", None), ("issued_on", None), ("title", 5), ("targets[1].role", 21),
                             ("targets[1].phones[0]", 26), ("targets[1].faxes[0]", 26),
                             ("targets[1].social[0]", 28), ("people", 70), ("targets[0].salutation", 31),
                             ("targets[1].salutation", 29)}
    assert "'@ONUVE NuevaYork' has a space" in warnings[("targets[1].social[0]", 28)]
    assert "differs from the sample letter's greeting" in warnings[("targets[1].salutation", 29)]
    assert "no country code" in warnings[("targets[1].phones[0]", 26)]
    assert parse_campaign("ua-47-22", body, BEFORE_47_22).deadline == datetime(2022, 7, 16, 3, 59, 59,
                                                                                tzinfo=timezone.utc)


def test_a_deadline_already_past_is_a_warning_naming_its_line():
    draft = read_case_sheet(SEED, datetime(2026, 1, 10, tzinfo=timezone.utc), "America/Caracas")
    (past,) = [w for w in draft.warnings if w.field == "deadline"]
    assert past.line == 66 and "2022-07-15 has passed" in past.message
    assert draft.body["deadline"] == "2022-07-15"      # kept as the sheet says; staff set a new one


def test_an_address_a_web_page_hid_is_a_warning_and_left_out():
    sheet = (ROOT / "tests" / "casesheet" / "sheets" / "web-en-ua-8-23.txt").read_text(encoding="utf-8")
    draft = read_case_sheet(sheet, BEFORE_47_22, "UTC")
    assert "emails" not in draft.body["targets"][1]
    (hidden,) = [w for w in draft.warnings if w.field == "targets[1].emails"]
    assert "[email protected]" in hidden.message and hidden.line == 25


@pytest.mark.parametrize("text, field", [
    ("", "text"), ("   \n\n  ", "text"), ("PDF\x00\x01\x02 binary", "text"), ("\ud800 half a pair", "text"),
    (42, "text"),
])
def test_text_that_cannot_be_a_case_sheet_is_refused_by_field(text, field):
    with pytest.raises(ValidationFailed) as refused:
        read_case_sheet(text, BEFORE_47_22, "UTC")
    assert field in refused.value.fields and refused.value.fields[field]


def test_text_over_100_kb_is_too_large():
    with pytest.raises(BodyTooLarge) as refused:
        read_case_sheet("a" * 100_001, BEFORE_47_22, "UTC")
    assert refused.value.status == 413 and "text" in refused.value.fields


def test_a_text_that_is_no_case_sheet_is_not_an_action():
    with pytest.raises(NotAnAction) as refused:
        read_case_sheet("Dear friends, thank you for coming to the picnic on Saturday.", BEFORE_47_22, "UTC")
    assert refused.value.status == 422 and refused.value.code == "not_an_action"
    assert "does not read as an Urgent Action" in refused.value.message


def test_html_pasted_is_read_as_its_text_with_a_warning():
    html = "<p>URGENT ACTION</p><h1>A TITLE HERE</h1>" + SEED.replace("\n", "<br>\n")
    draft = read_case_sheet(html, BEFORE_47_22, "UTC")
    assert draft.body["reference"] == "UA 47.22" and len(draft.body["targets"]) == 2
    assert draft.warnings[0].field == "text" and "HTML was pasted" in draft.warnings[0].message


@pytest.mark.parametrize("text, expected, doubtful", [
    ("July 15, 2022", "2022-07-15", False), ("15 July 2022", "2022-07-15", False),
    ("15th July 2022", "2022-07-15", False), ("15 de julio de 2022", "2022-07-15", False),
    ("15 juillet 2022", "2022-07-15", False), ("1er juillet 2022", "2022-07-01", False),
    ("15/07/2022", "2022-07-15", False), ("2022-07-15", "2022-07-15", False),
    ("Sept. 3, 2021", "2021-09-03", False), ("3 févr. 2023", "2023-02-03", False),
    ("05/07/2022", "2022-07-05", True),          # either order: day first, and said so
])
def test_dates_in_every_common_order(text, expected, doubtful):
    (found,) = find_dates(text)
    assert found.day.isoformat() == expected and bool(found.doubt) == doubtful


def test_numeric_dates_are_month_first_when_the_text_says_so():
    (found,) = find_dates("10/03/2023", month_first=True)
    assert found.day.isoformat() == "2023-10-03"
    (found,) = find_dates("03/10/2023", month_first=True)
    assert found.day.isoformat() == "2023-03-10"


def test_a_date_without_a_year_is_completed_with_a_warning():
    sheet = SEED.replace("UNTIL: July 15, 2022", "UNTIL: 15th July")
    draft = read_case_sheet(sheet, BEFORE_47_22, "UTC")
    assert draft.body["deadline"] == "2022-07-15"
    assert any(w.field == "deadline" and "year is not given" in w.message for w in draft.warnings)


SHEET_WORDS = ["URGENT ACTION", "TAKE ACTION:", "APPEALS TO:", "COPIES TO:", "Email:", "Phone:", "Fax:", "Twitter:",
               "Salutation:", "Dear Governor,", "Sincerely,", "UA 12/23", "Governor of X, Ana Ruiz", "@handle",
               "PLEASE TAKE ACTION AS SOON AS POSSIBLE UNTIL:", "15 July 2030", "05/07/2030", "NAME AND PRONOUN:",
               "(he/him)", "[link](https://x.org)", "**bold**", "a@b.org", "+58 241 857 2700", "Minister",
               "Señor Presidente:", "Courriel :", "\n", "\n\n", " ", ",", "[email protected]", "<p>",
               "PREFERRED LANGUAGE TO ADDRESS TARGET: Spanish", "FURTHER INFORMATION ON UA 1/23",
               "NO FURTHER ACTION IS REQUESTED"]


@example(parts=["Email:", "Governor of X, Ana Ruiz", "\x1b"])   # found by Hypothesis: a stray control character
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(SHEET_WORDS), st.text(max_size=12)), max_size=120))
def test_any_text_is_a_draft_put_accepts_or_a_clear_refusal(parts):
    now = datetime(2026, 1, 10, tzinfo=timezone.utc)
    try:
        draft = read_case_sheet("".join(parts), now, "UTC")
    except ApiError as refused:
        assert refused.status in (413, 422) and refused.fields
        return
    assert CAMPAIGN_ID.fullmatch(draft.suggested_id)
    try:
        parse_campaign(draft.suggested_id, draft.body, now)
    except ValidationFailed as invalid:
        warned = {w.field.split("[")[0].split(".")[0] for w in draft.warnings}
        named = {field.split("[")[0].split(".")[0] for field in invalid.fields}
        # only what a warning names (a missing or past deadline, no officials, ...) may be refused
        assert named <= warned | {"campaign_id"}, (repr("".join(parts)), invalid.fields, draft.body.get("targets"))


def test_import_app_does_not_import_the_importer():
    """The supporter routes' cold start pays nothing for it: only staff views import it, lazily."""
    from bench.casesheet import _app_imports_importer

    assert _app_imports_importer() is False
