"""The summary's wording: the ``staff`` catalog through chalicelib.web.i18n, values escaped,
and which languages a campaign's summary is printed in. (Catalog freshness and the
number and date formats are tested for every domain in tests/web/test_i18n.py.)"""
import pytest

from chalicelib.domain.campaign import parse_campaign
from chalicelib.staff.summary import languages_for, wording
from tests.conftest import START, campaign_body


def test_plurals_follow_the_catalog_and_numbers_the_language():
    spanish = wording("es")
    assert spanish.ngettext("%(num)s country", "%(num)s countries", 1) == "1 país"
    assert spanish.ngettext("%(num)s country", "%(num)s countries", 12345) == "12.345 países"
    assert wording("en").ngettext("%(num)s country", "%(num)s countries", 0) == "0 countries"
    assert wording("en").ngettext("%(num)s supporter", "%(num)s supporters", 1234) == "1,234 supporters"


def test_values_are_escaped_but_the_wording_is_not():
    text = wording("es").gettext("%(items)s and %(last)s", items="<script>", last="a & b")
    assert str(text) == "&lt;script&gt; y a &amp; b"
    assert wording("es").list(["cartas", "<b>", "tuits"]) == "cartas, &lt;b&gt; y tuits"


@pytest.mark.parametrize("letter_language, printed_in", [
    ("es", ["es", "en"]), ("es-MX", ["es", "en"]),
    ("en", ["en"]), ("en-GB", ["en"]),
    ("ar", ["en"]),     # the supporter pages speak Arabic, but nobody has translated the summary yet
    ("pt", ["en"]),
])
def test_the_summary_is_in_the_letter_language_if_it_is_translated_and_always_in_english(letter_language,
                                                                                          printed_in):
    campaign = parse_campaign("ua-47-22", campaign_body(letter_language=letter_language), START)
    assert languages_for(campaign) == printed_in


def test_a_language_without_a_staff_catalog_is_refused_not_printed_in_english():
    with pytest.raises(ValueError):
        wording("ar")
