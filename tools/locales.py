"""Build the translations and locale data (dev only; needs Babel).

    python -m tools.locales          # extract, update the .po files, compile .mo, write cldr.json

One catalog per gettext domain of ``chalicelib.web.i18n.DOMAINS``: ``messages`` (the supporter
pages) and ``staff`` (the printable summary for officials). Translators edit
``locales/<lang>/LC_MESSAGES/<domain>.po``; this writes everything else under ``locales/``.
The compiled files are committed, so that ``chalice package``/``deploy`` from a clean checkout
ships them; ``tests/web/test_i18n.py`` fails when they are out of date with the .po files or the code.
"""
import io
import json
import re
import sys
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.numbers import parse_pattern

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
sys.path.insert(0, str(ROOT))
from chalicelib.domain.countries import COUNTRY_CODES  # noqa: E402
from chalicelib.web.i18n import DOMAINS, LANGUAGES, MESSAGES, STAFF  # noqa: E402

# Where each domain's messages are: Babel method maps per folder (the first matching pattern wins).
_SOURCES = {
    MESSAGES: {"chalicelib": [("staff/summary.py", "ignore"), ("**.py", "python")],
               "templates": [("staff/**", "ignore"), ("**.html", "jinja2"), ("**.js", "jinja2")]},
    STAFF: {"chalicelib": [("staff/summary.py", "python")],
            "templates": [("staff/**.html", "jinja2"), ("**", "ignore")]},
}
_OPTIONS = {"**.html": {"trimmed": "true"}, "**.js": {"trimmed": "true"}}
_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
# The language codes a campaign's letter_language is likely to use: ISO 639-1.
_LANGUAGE_CODE_LENGTH = 2
# Generated files carry no build time, so that rebuilding changes nothing.
_FIXED_DATE = datetime(2026, 1, 1, tzinfo=timezone.utc)
_PATTERN_FIELDS = {"d", "dd", "M", "MM", "MMMM", "y", "yyyy", "H", "HH", "h", "hh", "mm", "a"}


def extract(domain: str = MESSAGES) -> Catalog:
    """Every translatable message of ``domain`` in the code and templates."""
    catalog = Catalog(project="Action Tally", version="1", msgid_bugs_address="",
                      copyright_holder="", charset="utf-8", creation_date=_FIXED_DATE)
    for path, method_map in _SOURCES[domain].items():
        for filename, lineno, message, comments, context in extract_from_dir(
                ROOT / path, method_map=method_map, options_map=_OPTIONS, keywords=_KEYWORDS,
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


def po_path(language: str, domain: str = MESSAGES) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{domain}.po"


def read_catalog(language: str, domain: str = MESSAGES) -> Catalog:
    with open(po_path(language, domain), "rb") as po:
        return read_po(po, locale=language)


def updated_catalog(language: str, template: Catalog, domain: str = MESSAGES) -> Catalog:
    """The language's .po of ``domain`` brought in line with the extracted template."""
    po = po_path(language, domain)
    catalog = read_catalog(language, domain) if po.exists() else Catalog(locale=language, charset="utf-8")
    catalog.update(template, no_fuzzy_matching=True)
    catalog.revision_date = catalog.creation_date = _FIXED_DATE
    catalog.project, catalog.version = "Action Tally", "1"
    catalog.fuzzy = False
    return catalog


def translated(message) -> bool:
    """Whether a catalog message has every form translated (and is not fuzzy)."""
    forms = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(forms) and not message.fuzzy


def cldr_facts(language: str) -> dict:
    """The CLDR data ``chalicelib.web.i18n`` needs for ``language``."""
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
    LOCALES.mkdir(exist_ok=True)
    missing = []
    for domain, languages in DOMAINS.items():
        template = extract(domain)
        (LOCALES / f"{domain}.pot").write_bytes(_po_bytes(template))
        for language in languages:
            po = po_path(language, domain)
            po.parent.mkdir(parents=True, exist_ok=True)
            catalog = updated_catalog(language, template, domain)
            po.write_bytes(_po_bytes(catalog))
            po.with_suffix(".mo").write_bytes(_mo_bytes(catalog))
            if language != "en":
                missing += [f"{language} {domain}: {m.id!r}" for m in catalog if m.id and not translated(m)]
    for language in LANGUAGES:
        (LOCALES / language / "cldr.json").write_bytes(cldr_bytes(language))
    return missing


if __name__ == "__main__":
    untranslated = build()
    print("\n".join(untranslated) or "every message is translated")
