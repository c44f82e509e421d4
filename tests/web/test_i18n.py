"""Languages: negotiation, complete and up-to-date catalogs, and dates and numbers
formatted exactly as Babel (CLDR) formats them, without Babel at run time."""
from datetime import datetime, timezone

import pytest
from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.countries import COUNTRY_CODES
from chalicelib.web import i18n
from tools import locales

LANGUAGES = i18n.SUPPORTED


@pytest.mark.parametrize("requested, header, campaign, chosen", [
    ("es", "fr-FR,fr;q=0.9", ("en",), "es"),
    ("ES", None, (), "es"),
    ("ar-EG", None, (), "ar"),
    ("xx", "fr-CA,fr;q=0.9,en;q=0.5", ("es",), "fr"),
    (None, "de-DE,de;q=0.9,ar;q=0.8,en;q=0.7", ("es",), "ar"),
    (None, "en;q=0.2, es;q=0.8", (), "es"),
    (None, "es;q=0, fr;q=0.1", (), "fr"),
    (None, "*", ("es", "en"), "es"),
    (None, "de, pt-BR", ("pt", "fr"), "en"),
    (None, "garbage;;;q=x, ,", ("fr",), "fr"),
    (None, "es;q=abc", (), "en"),
    (None, None, (), "en"),
])
def test_language_is_lang_then_accept_language_then_the_campaigns_first(requested, header, campaign, chosen):
    assert i18n.negotiate(requested, header, campaign) == chosen


def test_catalogs_and_locale_data_are_up_to_date_with_the_code_and_the_po_files():
    """Run ``python -m tools.locales`` (or ``make locales``) when this fails."""
    for domain, languages in i18n.DOMAINS.items():
        template = locales.extract(domain)
        assert (locales.LOCALES / f"{domain}.pot").read_bytes() == locales._po_bytes(template), \
            f"{domain}.pot is out of date with the code and templates"
        for language in languages:
            po = locales.po_path(language, domain)
            catalog = locales.updated_catalog(language, template, domain)
            assert po.read_bytes() == locales._po_bytes(catalog), f"{language}/{domain}.po"
            assert po.with_suffix(".mo").read_bytes() == locales._mo_bytes(catalog), f"{language}/{domain}.mo"
    for language in i18n.LANGUAGES:
        assert (locales.LOCALES / language / "cldr.json").read_bytes() == locales.cldr_bytes(language)


def test_every_catalog_on_disk_is_one_of_a_domains_languages():
    """A .po nobody lists in i18n.DOMAINS would be silently ignored; so would a stray .pot."""
    expected = {locales.po_path(language, domain) for domain, languages in i18n.DOMAINS.items()
                for language in languages}
    assert set(locales.LOCALES.glob("*/LC_MESSAGES/*.po")) == expected
    assert {pot.stem for pot in locales.LOCALES.glob("*.pot")} == set(i18n.DOMAINS)


@pytest.mark.parametrize("domain, language", [(domain, code) for domain, codes in i18n.DOMAINS.items()
                                              for code in codes if code != "en"])
def test_every_message_is_translated(domain, language):
    catalog = locales.read_catalog(language, domain)
    assert [m.id for m in catalog if m.id and not locales.translated(m)] == []
    # and placeholders survive translation, in every plural form too
    for message in catalog:
        if not message.id:
            continue
        source = message.id[-1] if isinstance(message.id, tuple) else message.id
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            assert sorted(_placeholders(source)) == sorted(_placeholders(form)), message.id


def _placeholders(text):
    import re
    return re.findall(r"%\((\w+)\)s", text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_catalog_really_translates(language):
    expected = {"en": "Send my report", "es": "Enviar mi informe", "fr": "Envoyer mon signalement",
                "ar": "أرسل بلاغي"}[language]
    assert i18n.language(language).gettext("Send my report") == expected


@settings(max_examples=150, deadline=None)
@given(moment=st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 12, 31),
                           timezones=st.just(timezone.utc)),
       language=st.sampled_from(LANGUAGES))
def test_dates_and_times_match_babel(moment, language):
    ours = i18n.language(language)
    assert ours.date(moment) == format_date(moment, "long", locale=language)
    assert ours.time(moment) == format_time(moment, "short", locale=language, tzinfo=timezone.utc)


@settings(max_examples=150, deadline=None)
@given(number=st.integers(min_value=-10 ** 12, max_value=10 ** 12), language=st.sampled_from(LANGUAGES))
def test_numbers_match_babel(number, language):
    assert i18n.language(language).number(number) == format_decimal(number, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_numbers_around_every_grouping_boundary_match_babel(language):
    for number in (0, 7, 999, 1000, 1234, 9999, 10000, 12345, 123456, 1234567, 1000000000):
        assert i18n.language(language).number(number) == format_decimal(number, locale=language), number


@pytest.mark.parametrize("language, spanish, mexico", [
    ("en", "Spanish", "Mexico"), ("es", "español", "México"), ("fr", "espagnol", "Mexique"),
    ("ar", "الإسبانية", "المكسيك"),
])
def test_language_and_country_names_are_in_the_pages_language(language, spanish, mexico):
    ours = i18n.language(language)
    assert ours.language_name("es") == spanish and ours.language_name("es-MX") == spanish
    assert ours.language_name("tlh") == "tlh"
    assert ours.country_name("MX") == mexico
    assert {code for code, _ in ours.countries()} == COUNTRY_CODES


def test_arabic_is_right_to_left_and_the_others_left_to_right():
    assert {code: i18n.language(code).direction for code in LANGUAGES} == {
        "en": "ltr", "es": "ltr", "fr": "ltr", "ar": "rtl"}
    assert i18n.language("ar").name == Locale("ar").get_display_name("ar")


def test_a_country_name_means_one_country_in_every_language():
    """Form posts name the country (see form.html); a name must never be two countries."""
    codes_by_name = {}
    for language in LANGUAGES:
        for code, name in i18n.language(language).countries():
            codes_by_name.setdefault(name.casefold(), set()).add(code)
    assert {name: codes for name, codes in codes_by_name.items() if len(codes) > 1} == {}
    assert i18n.country_code(" méxico ") == "MX" and i18n.country_code("mx") == "mx"
    assert i18n.country_code("Atlantis") == "Atlantis"
