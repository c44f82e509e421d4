"""The printable summary for officials: the campaign's facts and totals in a sentence
and two tables, in the campaign's letter language and in English.

Wording comes from gettext catalogs (``locales/<lang>/LC_MESSAGES/staff.mo``,
domain ``staff``); a language without a catalog is not printed twice in English.
"""
import gettext
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup, escape

from chalicelib.campaigns import Campaign
from chalicelib.reports import UNKNOWN_COUNTRY
from chalicelib.totals import Totals

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "staff"
SOURCE_LANGUAGE = "en"
# Digit grouping as Babel (CLDR) formats it (separator, minimum grouping digits), for the
# languages that have a catalog; tests/test_summary.py checks them against Babel.
_NUMBERS = {"en": (",", 1), "es": (".", 1)}


class Translator:
    """gettext for one language, returning Markup with the values escaped."""

    def __init__(self, language: str):
        self.language = language
        base = language.split("-")[0]
        self._catalog = gettext.translation(DOMAIN, localedir=str(LOCALES_DIR),
                                            languages=[language.replace("-", "_"), base], fallback=True)
        self._numbers = _NUMBERS.get(base, _NUMBERS[SOURCE_LANGUAGE])
        self.available = base == SOURCE_LANGUAGE or isinstance(self._catalog, gettext.GNUTranslations)

    def gettext(self, message: str, **values) -> Markup:
        return Markup(escape(self._catalog.gettext(message))) % _escaped(values)

    def ngettext(self, singular: str, plural: str, n: int, **values) -> Markup:
        text = self._catalog.ngettext(singular, plural, n)
        return Markup(escape(text)) % _escaped(dict(values, num=self.number(n)))

    def number(self, n: int) -> str:
        separator, minimum = self._numbers
        digits = str(n)
        if len(digits) < 4 + minimum - 1:
            return digits
        groups = []
        while len(digits) > 3:
            digits, group = digits[:-3], digits[-3:]
            groups.insert(0, group)
        return separator.join([digits] + groups)

    def date(self, moment) -> Markup:
        month = self._catalog.gettext(_MONTHS[moment.month - 1])
        return self.gettext("%(month)s %(day)s, %(year)s", day=moment.day, month=month, year=moment.year)

    def list(self, items) -> Markup:
        items = [escape(item) for item in items]
        if len(items) < 2:
            return Markup("").join(items)
        return self.gettext("%(items)s and %(last)s", items=Markup(", ").join(items[:-1]), last=items[-1])


def _escaped(values):
    return {key: value if isinstance(value, Markup) else escape(value) for key, value in values.items()}


def N_(message):
    """Marks a message for extraction (``pybabel extract -k N_``); translated where used."""
    return message


_MONTHS = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"), N_("July"),
           N_("August"), N_("September"), N_("October"), N_("November"), N_("December"))
_ACTION_NOUNS = {"letter": N_("letters"), "email": N_("emails"), "fax": N_("faxes"), "call": N_("calls"),
                 "tweet": N_("tweets")}


@dataclass(frozen=True)
class SummarySection:
    language: str
    headline: Markup
    labels: dict
    facts: list           # (label, value)
    actions: list         # (label, count text)
    targets: list         # (name, role, count text)
    status: Markup


def languages_for(campaign: Campaign) -> list[str]:
    """The letter language first (if it has a catalog), then English."""
    letter = campaign.letter_language
    if letter.split("-")[0] != SOURCE_LANGUAGE and Translator(letter).available:
        return [letter, SOURCE_LANGUAGE]
    return [SOURCE_LANGUAGE]


def summary_section(campaign: Campaign, totals: Totals, language: str) -> SummarySection:
    """The summary in one language."""
    t = Translator(language)
    tally = totals.tally
    countries = len([code for code in tally.by_country if code != UNKNOWN_COUNTRY])
    supporters = t.ngettext("%(num)s supporter", "%(num)s supporters", tally.reports)
    nouns = t.list([t.gettext(_ACTION_NOUNS[a]) for a in campaign.actions if a in _ACTION_NOUNS])
    subject = Markup("“%s”") % campaign.title
    if countries:
        where = t.ngettext("%(num)s country", "%(num)s countries", countries)
        headline = t.gettext("%(supporters)s from %(countries)s sent %(total)s %(actions)s about %(subject)s.",
                             supporters=supporters, countries=where, total=t.number(tally.actions_total),
                             actions=nouns, subject=subject)
    else:
        headline = t.gettext("%(supporters)s sent %(total)s %(actions)s about %(subject)s.",
                             supporters=supporters, total=t.number(tally.actions_total), actions=nouns,
                             subject=subject)
    labels = {"heading": t.gettext("Summary of actions"), "facts": t.gettext("The case"),
              "reference": t.gettext("Reference"), "title": t.gettext("Title"),
              "deadline": t.gettext("Deadline"), "actions": t.gettext("Actions taken"),
              "targets": t.gettext("Officials contacted"), "official": t.gettext("Official"),
              "role": t.gettext("Role"), "action": t.gettext("Action"), "count": t.gettext("Number"),
              "supporters": t.gettext("Supporters who contacted them")}
    facts = [(labels["reference"], campaign.reference), (labels["title"], campaign.title),
             (labels["deadline"], Markup("%s, %s UTC") % (t.date(campaign.deadline),
                                                          campaign.deadline.strftime("%H:%M")))]
    actions = [(t.gettext(_ACTION_NOUNS[a]).capitalize(), t.number(tally.actions.get(a, 0)))
               for a in campaign.actions if a in _ACTION_NOUNS]
    targets = [(target.name, target.role, t.number(tally.by_target.get(target.id, 0))) for target in campaign.targets]
    if totals.final:
        status = t.gettext("Final totals, version %(version)s, counted on %(date)s.",
                           version=totals.version, date=t.date(totals.as_of))
    else:
        status = t.gettext("Provisional totals: the campaign is still open.")
    return SummarySection(language, headline, labels, facts, actions, targets, status)
