"""The printable summary for officials: the campaign's facts and totals in a sentence
and two tables, in the campaign's letter language and in English.

Wording comes from the ``staff`` gettext domain (``locales/<lang>/LC_MESSAGES/staff.po``),
numbers and dates from the language's CLDR facts, both through ``chalicelib.web.i18n``; a
letter language without a ``staff`` catalog is not printed twice in English.
"""
from dataclasses import dataclass

from markupsafe import Markup, escape

from chalicelib.domain.campaign import Campaign
from chalicelib.domain.report import UNKNOWN_COUNTRY
from chalicelib.domain.totals import Totals
from chalicelib.web import i18n
from chalicelib.web.i18n import N_, Language


class Wording:
    """A language's summary wording as Markup, with the values escaped."""

    def __init__(self, language: Language):
        self.language = language

    def gettext(self, message: str, **values) -> Markup:
        return Markup(escape(self.language.gettext(message))) % _escaped(values)  # noqa: S704 - escaped first

    def ngettext(self, singular: str, plural: str, n: int, **values) -> Markup:
        text = self.language.ngettext(singular, plural, n)
        return Markup(escape(text)) % _escaped(dict(values, num=self.language.number(n)))  # noqa: S704 - escaped first

    def list(self, items) -> Markup:
        items = [escape(item) for item in items]
        if len(items) < 2:
            return Markup("").join(items)
        return self.gettext("%(items)s and %(last)s", items=Markup(", ").join(items[:-1]), last=items[-1])


def wording(code: str) -> Wording:
    """The summary's wording in a language of the ``staff`` domain (``es``, not ``es-MX``)."""
    return Wording(i18n.language(code, i18n.STAFF))


def _escaped(values):
    return {key: value if isinstance(value, Markup) else escape(value) for key, value in values.items()}


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
    """The letter language first (if the summary is translated into it), then English."""
    letter = i18n.supported(campaign.letter_language, i18n.STAFF)
    return [letter, i18n.DEFAULT] if letter and letter != i18n.DEFAULT else [i18n.DEFAULT]


def summary_section(campaign: Campaign, totals: Totals, language: str) -> SummarySection:
    """The summary in one of ``languages_for(campaign)``."""
    t = wording(language)
    number = t.language.number
    tally = totals.tally
    countries = len([code for code in tally.by_country if code != UNKNOWN_COUNTRY])
    supporters = t.ngettext("%(num)s supporter", "%(num)s supporters", tally.reports)
    nouns = t.list([t.gettext(_ACTION_NOUNS[a]) for a in campaign.actions if a in _ACTION_NOUNS])
    subject = Markup("“%s”") % campaign.title
    if countries:
        where = t.ngettext("%(num)s country", "%(num)s countries", countries)
        headline = t.gettext("%(supporters)s from %(countries)s sent %(total)s %(actions)s about %(subject)s.",
                             supporters=supporters, countries=where, total=number(tally.actions_total),
                             actions=nouns, subject=subject)
    else:
        headline = t.gettext("%(supporters)s sent %(total)s %(actions)s about %(subject)s.",
                             supporters=supporters, total=number(tally.actions_total), actions=nouns,
                             subject=subject)
    labels = {"heading": t.gettext("Summary of actions"), "facts": t.gettext("The case"),
              "reference": t.gettext("Reference"), "title": t.gettext("Title"),
              "deadline": t.gettext("Deadline"), "actions": t.gettext("Actions taken"),
              "targets": t.gettext("Officials contacted"), "official": t.gettext("Official"),
              "role": t.gettext("Role"), "action": t.gettext("Action"), "count": t.gettext("Number"),
              "supporters": t.gettext("Supporters who contacted them")}
    facts = [(labels["reference"], campaign.reference), (labels["title"], campaign.title),
             (labels["deadline"], Markup("%s, %s UTC") % (t.language.date(campaign.deadline),
                                                          campaign.deadline.strftime("%H:%M")))]
    actions = [(t.gettext(_ACTION_NOUNS[a]).capitalize(), number(tally.actions.get(a, 0)))
               for a in campaign.actions if a in _ACTION_NOUNS]
    targets = [(target.name, target.role, number(tally.by_target.get(target.id, 0))) for target in campaign.targets]
    if totals.final:
        status = t.gettext("Final totals, version %(version)s, counted on %(date)s.",
                           version=totals.version, date=t.language.date(totals.as_of))
    else:
        status = t.gettext("Provisional totals: the campaign is still open.")
    return SummarySection(language, headline, labels, facts, actions, targets, status)
