"""Build the supporter pages' translations and locale data (dev only; needs Babel).

    python -m tools.locales          # extract, update the .po files, compile .mo, write cldr.json

Translators edit ``locales/<lang>/LC_MESSAGES/messages.po``; this writes everything
else under ``locales/``. The compiled files are committed, so that ``chalice
package``/``deploy`` from a clean checkout ships them; ``tests/test_i18n.py``
fails when they are out of date with the .po files or the code.
"""
import io
import re
import unicodedata
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from babel import Locale
from babel.messages.extract import extract_from_dir
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.numbers import parse_pattern

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
sys.path.insert(0, str(ROOT))
from chalicelib.countries import COUNTRY_CODES  # noqa: E402
from chalicelib.i18n import SUPPORTED  # noqa: E402

_METHODS = [("chalicelib/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.js", "jinja2")]
_OPTIONS = {"templates/**.html": {"trimmed": "true"}, "templates/**.js": {"trimmed": "true"}}
_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
# The language codes a campaign's letter_language is likely to use: ISO 639-1.
_LANGUAGE_CODE_LENGTH = 2
# Generated files carry no build time, so that rebuilding changes nothing.
_FIXED_DATE = datetime(2026, 1, 1, tzinfo=timezone.utc)
_PATTERN_FIELDS = {"d", "dd", "M", "MM", "MMMM", "y", "yyyy", "H", "HH", "h", "hh", "mm", "a"}


def extract() -> Catalog:
    """Every translatable message in the code and templates."""
    catalog = Catalog(project="Action Tally", version="1", msgid_bugs_address="",
                      copyright_holder="", charset="utf-8", creation_date=_FIXED_DATE)
    for path in ("chalicelib", "templates"):
        for filename, lineno, message, comments, context in extract_from_dir(
                ROOT / path, method_map=[(m.split("/", 1)[1], k) for m, k in _METHODS if m.startswith(path)],
                options_map={m.split("/", 1)[1]: o for m, o in _OPTIONS.items()}, keywords=_KEYWORDS,
                comment_tags=("Translators:",), strip_comment_tags=True):
            catalog.add(message, None, [(f"{path}/{filename}", lineno)], auto_comments=comments,
                        context=context)
    return catalog


def _po_bytes(catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=100, omit_header=False, sort_output=True, include_lineno=False,
             ignore_obsolete=True)
    return out.getvalue()


def _mo_bytes(catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def read_catalog(language: str) -> Catalog:
    with open(LOCALES / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=language)


def updated_catalog(language: str, template: Catalog) -> Catalog:
    """The language's .po brought in line with the extracted template."""
    po = LOCALES / language / "LC_MESSAGES" / "messages.po"
    catalog = read_catalog(language) if po.exists() else Catalog(locale=language, charset="utf-8")
    catalog.update(template, no_fuzzy_matching=True)
    catalog.revision_date = catalog.creation_date = _FIXED_DATE
    catalog.project, catalog.version = "Action Tally", "1"
    catalog.fuzzy = False
    return catalog


def cldr_facts(language: str) -> dict:
    """The CLDR data ``chalicelib.i18n`` needs for ``language``."""
    locale = Locale.parse(language)
    if locale.default_numbering_system != "latn":
        raise SystemExit(f"{language}: numbering system {locale.default_numbering_system} not supported")
    date_pattern = locale.date_formats["long"].pattern
    time_pattern = locale.time_formats["short"].pattern
    for pattern in (date_pattern, time_pattern):
        fields = {token for token in _tokens(pattern)}
        if not fields <= _PATTERN_FIELDS:
            raise SystemExit(f"{language}: pattern {pattern!r} uses {fields - _PATTERN_FIELDS}")
    grouping = parse_pattern(locale.decimal_formats[None].pattern).grouping
    if grouping[0] != grouping[1]:
        raise SystemExit(f"{language}: two-size digit grouping not supported")
    languages = {code: name for code, name in locale.languages.items()
                 if len(code) == _LANGUAGE_CODE_LENGTH and code.isalpha()}
    countries = sorted(((code, locale.territories[code]) for code in COUNTRY_CODES),
                       key=lambda item: _sort_key(item[1]))
    name = locale.get_display_name(language)
    return {
        "name": name[:1].upper() + name[1:],
        "direction": "rtl" if locale.character_order == "right-to-left" else "ltr",
        "date_pattern": date_pattern, "time_pattern": time_pattern,
        "months": [locale.months["format"]["wide"][month] for month in range(1, 13)],
        "periods": {key: locale.day_periods["format"]["abbreviated"][key] for key in ("am", "pm")},
        "group": locale.number_symbols["latn"]["group"], "grouping": grouping[0],
        "languages": dict(sorted(languages.items())),
        "countries": dict(countries),
    }


def _tokens(pattern):
    return {match.group(0) for match in re.finditer(r"'[^']*'|([a-zA-Z])\1*", pattern)
            if not match.group(0).startswith("'")}


def _sort_key(name):
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def cldr_bytes(language: str) -> bytes:
    return (json.dumps(cldr_facts(language), ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def build() -> list[str]:
    """Write every generated file under ``locales/``; return the untranslated messages."""
    template = extract()
    (LOCALES).mkdir(exist_ok=True)
    (LOCALES / "messages.pot").write_bytes(_po_bytes(template))
    missing = []
    for language in SUPPORTED:
        folder = LOCALES / language / "LC_MESSAGES"
        folder.mkdir(parents=True, exist_ok=True)
        catalog = updated_catalog(language, template)
        (folder / "messages.po").write_bytes(_po_bytes(catalog))
        (folder / "messages.mo").write_bytes(_mo_bytes(catalog))
        (LOCALES / language / "cldr.json").write_bytes(cldr_bytes(language))
        if language != "en":
            missing += [f"{language}: {m.id!r}" for m in catalog if m.id and (not m.string or m.fuzzy)]
    return missing


if __name__ == "__main__":
    untranslated = build()
    print("\n".join(untranslated) or "every message is translated")
