"""Dates as case sheets write them, in English, Spanish and French: ``July 15, 2022``,
``15 July 2022``, ``15th July``, ``15 de julio de 2022``, ``1er juillet 2022``,
``15/07/2022`` (the day first unless the text says otherwise) and ``2022-07-15``.

Month names come from the CLDR facts ``make locales`` builds (``locales/<lang>/cldr.json``);
an abbreviation is any unambiguous start of a month's name of three letters or more
(``Sept.``, ``juil.``).
"""
import json
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from chalicelib.casesheet.source import fold
from chalicelib.casesheet.vocabulary import LANGUAGES
from chalicelib.web.i18n import LOCALES_DIR

_WORD = r"[^\W\d_][^\W\d_'.]*\.?"
_ORDINAL = r"(?:st|nd|rd|th|er|re|eme|º|°|o)?"
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}}){_ORDINAL}\s*(?:de\s+)?({_WORD})(?:\s*(?:de|del|,)?\s*(\d{{4}}))?", re.I)
_MONTH_DAY = re.compile(rf"\b({_WORD})\s+(\d{{1,2}}){_ORDINAL}\b(?:\s*,?\s*(\d{{4}}))?", re.I)
_NUMERIC = re.compile(r"\b(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


@dataclass(frozen=True)
class Found:
    """A date read from text: the date, where it was in the line, and what was doubtful."""
    day: date | None          # None when the year is missing (see ``month_day``)
    start: int
    end: int
    month_day: tuple | None = None    # (month, day) when the text gives no year
    doubt: str = ""                   # why a reader should check it


@lru_cache(maxsize=None)
def _months() -> dict:
    """Folded month name -> month number, over every language the importer reads."""
    names = {}
    for code in LANGUAGES:
        cldr = json.loads((LOCALES_DIR / code / "cldr.json").read_text(encoding="utf-8"))
        for number, name in enumerate(cldr["months"], start=1):
            names.setdefault(fold(name), set()).add(number)
    return names


def month_number(word: str) -> int | None:
    """``July``, ``julio``, ``juillet``, ``Sept.``, ``févr`` -> the month; None if not one."""
    word = fold(word).rstrip(".")
    if len(word) < 3:
        return None
    matches = {number for name, numbers in _months().items() if name.startswith(word) for number in numbers}
    return matches.pop() if len(matches) == 1 else None


_LONGEST = 1_000   # characters of a line searched: a date is near its label


def find_dates(text: str, month_first: bool = False) -> list[Found]:
    """Every date in the first 1,000 characters of ``text``, in order. ``month_first``: numeric
    dates are month/day/year."""
    text = text[:_LONGEST]
    found = []
    taken = []

    def free(start, end):
        return all(end <= a or start >= b for a, b in taken)

    for match in _ISO.finditer(text):
        day = _date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if day:
            found.append(Found(day, match.start(), match.end()))
            taken.append(match.span())
    for pattern, order in ((_DAY_MONTH, "dm"), (_MONTH_DAY, "md")):
        for match in pattern.finditer(text):
            if not free(*match.span()):
                continue
            day_text, month_text = (match.group(1), match.group(2)) if order == "dm" else (match.group(2),
                                                                                          match.group(1))
            month = month_number(month_text)
            if month is None:
                continue
            if match.group(3):
                day = _date(int(match.group(3)), month, int(day_text))
                if day:
                    found.append(Found(day, match.start(), match.end()))
                    taken.append(match.span())
            elif 1 <= int(day_text) <= 31:
                found.append(Found(None, match.start(), match.end(), month_day=(month, int(day_text)),
                                   doubt="the year is not given"))
                taken.append(match.span())
    for match in _NUMERIC.finditer(text):
        if not free(*match.span()):
            continue
        first, second, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
        year = year + 2000 if year < 100 else year
        day_first = _date(year, second, first)
        month_first_date = _date(year, first, second)
        if month_first and month_first_date:
            chosen, doubt = month_first_date, ""
        elif day_first and month_first_date and first != second:
            chosen, doubt = day_first, (f"{match.group(0)} could be either order: read day first, as the "
                                        "organisation writes dates")
        else:
            chosen, doubt = day_first or month_first_date, ""
        if chosen:
            found.append(Found(chosen, match.start(), match.end(), doubt=doubt))
            taken.append(match.span())
    return sorted(found, key=lambda item: item.start)


def _date(year, month, day):
    try:
        return date(year, month, day)
    except ValueError:
        return None


def complete(found: Found, after: date) -> tuple[date, str]:
    """A date without a year given the first such day on or after ``after``, and why it is doubtful."""
    if found.day:
        return found.day, found.doubt
    month, day = found.month_day
    for year in (after.year, after.year + 1):
        candidate = _date(year, month, day)
        if candidate and candidate >= after:
            return candidate, f"the year is not given: {year} assumed"
    return _date(after.year + 1, month, day) or after, "the year is not given"
