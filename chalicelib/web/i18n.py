"""Languages: which one a supporter's request gets, its translations, and dates,
numbers, language and country names written the way that language writes them.

Translations are gettext catalogs compiled to ``locales/<lang>/LC_MESSAGES/<domain>.mo``
and read with the standard library, in two domains: ``messages`` for the supporter pages
and ``staff`` for the printable summary for officials (see ``DOMAINS``). Dates and numbers
use ``locales/<lang>/cldr.json``:
the few CLDR facts these pages need (patterns, month names, separators, names of
languages and countries), extracted from Babel at build time by ``tools/locales.py``,
so the Lambda needs neither Babel nor its 30 MB of locale data (see docs/supporter-form.md, "Languages").
"""
import gettext
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

# Beside ``app.py`` in the repository and in the deployment zip (vendor/locales links here).
LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
SUPPORTED = ("en", "es", "fr", "ar")
DEFAULT = "en"
MESSAGES = "messages"
STAFF = "staff"
# Each domain's languages; every message is translated into each (tests/web/test_i18n.py).
# The supporter pages speak every supported language; the summary for officials only the
# letter languages someone has translated it into, since its wording goes to governments.
DOMAINS = {MESSAGES: SUPPORTED, STAFF: ("en", "es")}
LANGUAGES = tuple(dict.fromkeys(code for codes in DOMAINS.values() for code in codes))
_ACCEPT_ITEM = re.compile(r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]{1,5}))?\s*$")
_PATTERN_FIELD = re.compile(r"'([^']*)'|([a-zA-Z])\2*")


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated later, where it is shown."""
    return message


def supported(code, domain: str = MESSAGES) -> str | None:
    """``es-MX`` -> ``es`` if the domain has that language, else None."""
    if not isinstance(code, str):
        return None
    primary = code.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in DOMAINS[domain] else None


def accepted_languages(header: str | None) -> list[str]:
    """Supported languages named in an ``Accept-Language`` header, most wanted first."""
    ranked = []
    for position, item in enumerate((header or "").split(",")[:20]):
        match = _ACCEPT_ITEM.match(item)
        if not match:
            continue
        try:
            quality = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        language = supported(match.group(1))
        if language and quality > 0:
            ranked.append((-quality, position, language))
    return list(dict.fromkeys(language for _, _, language in sorted(ranked)))


def negotiate(requested, accept_language, campaign_languages=()) -> str:
    """``?lang=``, then ``Accept-Language``, then the campaign's first language, then English."""
    for candidate in [requested, *accepted_languages(accept_language), *campaign_languages[:1]]:
        language = supported(candidate)
        if language:
            return language
    return DEFAULT


@dataclass(frozen=True)
class Language:
    """One supported language: its catalog and its CLDR facts."""
    code: str
    translations: gettext.NullTranslations
    cldr: dict

    @property
    def direction(self) -> str:
        return self.cldr["direction"]

    @property
    def name(self) -> str:
        """The language's name for itself, as a switcher shows it."""
        return self.cldr["name"]

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.translations.ngettext(singular, plural, count)

    def number(self, value: int) -> str:
        """A whole number with the locale's digit grouping, e.g. 1 234 in French."""
        digits = str(abs(int(value)))
        size = self.cldr["grouping"]
        groups = []
        while len(digits) > size:
            digits, tail = digits[:-size], digits[-size:]
            groups.insert(0, tail)
        text = self.cldr["group"].join([digits, *groups])
        return ("-" if value < 0 else "") + text

    def date(self, moment: datetime) -> str:
        """The long date in UTC, e.g. ``16 de julio de 2022``."""
        return self._pattern(self.cldr["date_pattern"], moment.astimezone(timezone.utc))

    def time(self, moment: datetime) -> str:
        """The short time of day in UTC, e.g. ``3:59`` or ``3:59 AM``."""
        return self._pattern(self.cldr["time_pattern"], moment.astimezone(timezone.utc))

    def language_name(self, code: str) -> str:
        """``es`` -> ``Spanish`` / ``español`` / ``espagnol`` / ``الإسبانية``; the code if unknown."""
        names = self.cldr["languages"]
        return names.get(code) or names.get(code.split("-")[0]) or code

    def country_name(self, code: str) -> str:
        return self.cldr["countries"].get(code, code)

    def countries(self) -> list[tuple[str, str]]:
        """Every country as (code, name), in the language's alphabetical order."""
        return [(code, name) for code, name in self.cldr["countries"].items()]

    def _pattern(self, pattern: str, moment: datetime) -> str:
        fields = {
            "d": str(moment.day), "dd": f"{moment.day:02d}",
            "M": str(moment.month), "MM": f"{moment.month:02d}",
            "MMMM": self.cldr["months"][moment.month - 1],
            "y": str(moment.year), "yyyy": f"{moment.year:04d}",
            "H": str(moment.hour), "HH": f"{moment.hour:02d}",
            "h": str(moment.hour % 12 or 12), "hh": f"{moment.hour % 12 or 12:02d}",
            "mm": f"{moment.minute:02d}",
            "a": self.cldr["periods"]["pm" if moment.hour >= 12 else "am"],
        }

        def field(match):
            if match.group(1) is not None:
                return match.group(1) or "'"
            return fields[match.group(0)]   # tools/locales.py checks every pattern is covered
        return _PATTERN_FIELD.sub(field, pattern)


@lru_cache(maxsize=None)
def _countries_by_name() -> dict:
    return {name.casefold(): code for language_code in SUPPORTED
            for code, name in language(language_code).countries()}


def country_code(answer: str) -> str:
    """The ISO code for a country named in any supported language; ``answer`` unchanged otherwise.

    The form page's country options carry only their names (a value per option
    would cost 4 KB of the page's budget), so a form post names the country.
    """
    return _countries_by_name().get(answer.strip().casefold(), answer)


@lru_cache(maxsize=None)
def language(code: str, domain: str = MESSAGES) -> Language:
    """A language of ``domain`` (the supporter pages' by default), loaded once per process."""
    if code not in DOMAINS[domain]:
        raise ValueError(f"unsupported language {code!r} for {domain}")
    with open(LOCALES_DIR / code / "LC_MESSAGES" / f"{domain}.mo", "rb") as catalog:
        translations = gettext.GNUTranslations(catalog)
    return Language(code, translations, _cldr(code))


@lru_cache(maxsize=None)
def _cldr(code: str) -> dict:
    return json.loads((LOCALES_DIR / code / "cldr.json").read_text(encoding="utf-8"))
