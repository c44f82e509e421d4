"""The summary's gettext catalogs and number formats."""
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from chalicelib.summary import _NUMBERS, DOMAIN, LOCALES_DIR, Translator


def test_every_compiled_catalog_matches_its_po_file():
    """`make locales` was run after the last .po edit (the .mo files ship as they are)."""
    po_files = sorted(LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    assert po_files, "no staff catalogs"
    for po_file in po_files:
        with po_file.open("rb") as po, po_file.with_suffix(".mo").open("rb") as mo:
            source, compiled = read_po(po), read_mo(mo)
        assert _messages(compiled) == _messages(source), po_file
        assert all(m.string for m in source if m.id), f"untranslated messages in {po_file}"


def _messages(catalog):
    def plain(value):
        return value if isinstance(value, str) else tuple(value)
    return {plain(m.id): plain(m.string) for m in catalog if m.id}


def test_numbers_are_grouped_as_cldr_says_for_each_catalog_language():
    for language in _NUMBERS:
        translator = Translator(language)
        for n in (0, 7, 999, 1000, 1234, 9999, 12345, 123456, 1234567, 1000000000):
            assert translator.number(n) == format_decimal(n, locale=language), (language, n)


def test_plurals_follow_the_catalog():
    spanish = Translator("es")
    assert spanish.ngettext("%(num)s country", "%(num)s countries", 1) == "1 país"
    assert spanish.ngettext("%(num)s country", "%(num)s countries", 12345) == "12.345 países"
    assert Translator("en").ngettext("%(num)s country", "%(num)s countries", 0) == "0 countries"


def test_values_are_escaped_but_the_wording_is_not():
    text = Translator("es").gettext("%(items)s and %(last)s", items="<script>", last="a & b")
    assert str(text) == "&lt;script&gt; y a &amp; b"


def test_a_regional_letter_language_uses_its_base_catalog():
    assert Translator("es-MX").gettext("Deadline") == "Fecha límite"
    assert not Translator("ar").available and Translator("en").available
