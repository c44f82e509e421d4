"""The printable summary for officials: one page per official, addressed to them with their
salutation, saying how many people took part, from how many countries, and exactly what
reached *them*; in the campaign's letter language and, beside it, in English.

Officials read it, so its breakdowns keep small cells back (see
:mod:`chalicelib.domain.disclosure`): a count of what reached them from 1 to
SMALL_CELL_MIN - 1 is not shown (nor one that would let it be worked out), and countries
with fewer reports are folded into "other countries". Staff exports keep every figure.

Wording comes from the ``staff`` gettext domain (``locales/<lang>/LC_MESSAGES/staff.po``),
numbers and dates from the language's CLDR facts, both through ``chalicelib.web.i18n``; a
letter language without a ``staff`` catalog is not printed twice in English.
"""
from dataclasses import dataclass
from datetime import datetime, time, timezone

from markupsafe import Markup, escape

from chalicelib.domain.campaign import Campaign
from chalicelib.domain.disclosure import fold, withhold_table
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.officials import UNATTRIBUTED, Target
from chalicelib.domain.report import UNKNOWN_COUNTRY
from chalicelib.domain.totals import Totals
from chalicelib.web import i18n
from chalicelib.web.i18n import N_, Language

COUNTRIES_SHOWN = 8   # at most, largest first; the rest are "other countries" (so a page holds it)


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


_ACTION_NOUNS = {"letter": N_("Letters"), "email": N_("Emails"), "fax": N_("Faxes"), "call": N_("Phone calls"),
                 "tweet": N_("Social media posts")}


@dataclass(frozen=True)
class SummarySection:
    """One official's summary in one language."""
    language: str
    labels: dict
    headline: Markup
    reached: list          # (action label, count as shown)
    total: str | None      # what reached them in all, when no count of it is held back
    unattributed: Markup | None
    countries: list        # (country name, reports as shown)
    facts: list            # (label, value)
    status: Markup
    held_back: Markup | None   # why some figures are not shown


@dataclass(frozen=True)
class OfficialSummary:
    target: Target
    sections: list         # of SummarySection, one per language of languages_for(campaign)


def languages_for(campaign: Campaign) -> list[str]:
    """The letter language first (if the summary is translated into it), then English."""
    letter = i18n.supported(campaign.letter_language, i18n.STAFF)
    return [letter, i18n.DEFAULT] if letter and letter != i18n.DEFAULT else [i18n.DEFAULT]


def chosen_targets(campaign: Campaign, target_id) -> tuple:
    """The officials a summary is for: the one ``?target=`` names, or all of them when it is
    absent; ValidationFailed (422) naming ``target`` when it names none of them."""
    if target_id is None:
        return campaign.targets
    if target_id in campaign.target_ids:
        return (campaign.target(target_id),)
    raise ValidationFailed({"target": f"must be the id of one of the campaign's officials: "
                                      f"{', '.join(campaign.target_ids)}"})


def official_summaries(campaign: Campaign, totals: Totals, targets, small_cell_min: int,
                       organisation: str = "") -> list[OfficialSummary]:
    """A summary for each of ``targets`` (of ``campaign``), in every language of ``languages_for``."""
    table = withhold_table(totals.staff_view(campaign)["by_target_action"], small_cell_min)
    return [OfficialSummary(target, [_section(campaign, totals, target, table, small_cell_min, organisation, code)
                                     for code in languages_for(campaign)]) for target in targets]


def _section(campaign, totals, target, table, k, organisation, code) -> SummarySection:
    t = wording(code)
    number = t.language.number
    tally = totals.tally
    withheld = t.gettext("not shown")
    row = table.get(target.id, {})
    reached = [(t.gettext(_ACTION_NOUNS[action]), withheld if row.get(action) is None else number(row[action]))
               for action in campaign.actions if action in _ACTION_NOUNS]
    held = any(row.get(action) is None for action in campaign.actions)
    total = None if held else number(sum(row.get(action, 0) for action in campaign.actions))
    unattributed = sum(tally.target_actions().get(UNATTRIBUTED, {}).values())
    shown_countries, other = fold({code_: n for code_, n in tally.by_country.items()}, k, keep=COUNTRIES_SHOWN,
                                  always_other=(UNKNOWN_COUNTRY,))
    countries = [(t.language.country_name(country), number(n)) for country, n in shown_countries.items()]
    if other:
        countries.append((t.gettext("Other countries, or not given"), number(other)))
    how_many = len([country for country in tally.by_country if country != UNKNOWN_COUNTRY])
    people = t.ngettext("%(num)s person", "%(num)s people", tally.people)
    subject = Markup("“%s”") % campaign.title
    if how_many:
        headline = t.gettext("%(people)s from %(countries)s took part in the Urgent Action %(reference)s, "
                             "%(subject)s.", people=people, reference=campaign.reference, subject=subject,
                             countries=t.ngettext("%(num)s country", "%(num)s countries", how_many))
    else:
        headline = t.gettext("%(people)s took part in the Urgent Action %(reference)s, %(subject)s.",
                             people=people, reference=campaign.reference, subject=subject)
    start = campaign.issued_on or (campaign.created_at.date() if campaign.created_at else None)
    end = min(campaign.deadline, totals.as_of) if totals.as_of else campaign.deadline
    labels = {"heading": t.gettext("What reached you"), "action": t.gettext("Action"),
              "count": t.gettext("Number"), "total": t.gettext("In all"),
              "countries": t.gettext("Reports by country"), "country": t.gettext("Country"),
              "reports": t.gettext("Reports"), "facts": t.gettext("The case"),
              "salutation": target.salutation or t.gettext("To %(name)s", name=target.name),
              "from": t.gettext("From %(organisation)s", organisation=organisation) if organisation else ""}
    facts = [(t.gettext("Reference"), campaign.reference), (t.gettext("Title"), campaign.title),
             (t.gettext("Period"), t.gettext("%(start)s to %(end)s", start=t.language.date(_noon(start)),
                                             end=t.language.date(end)) if start else t.language.date(end)),
             (t.gettext("Deadline"), Markup("%s, %s UTC") % (t.language.date(campaign.deadline),
                                                            campaign.deadline.strftime("%H:%M")))]
    if totals.final:
        status = t.gettext("Final totals, version %(version)s, counted on %(date)s.",
                           version=totals.version, date=t.language.date(totals.as_of))
    else:
        status = t.gettext("Provisional totals: the campaign is still open.")
    return SummarySection(
        code, labels, headline, reached, total,
        t.gettext("Besides these, %(count)s actions were reported as sent to several officials at once; some of "
                  "them may have reached you.", count=number(unattributed)) if unattributed >= k else None,
        countries, facts, status,
        t.gettext("To protect the people who acted, no figure below %(min)s is shown, nor one that would reveal "
                  "it; countries with fewer reports are counted as other countries.", min=number(k)))


def _noon(day):
    """A date as the midday of that day in UTC, for the language's date format."""
    return datetime.combine(day, time(12), timezone.utc)
