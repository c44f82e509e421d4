"""Counting: how reports add up to totals, and how totals are shown.

A :class:`Tally` is a plain sum, so tallies of disjoint sets of reports add up
to the tally of their union; the scheduled job relies on that.

What reached each official (``by_target_action``): a v2 report says it (``per_target``);
a v1 report naming one official is attributed to that official; a v1 report naming
several says what was sent and to whom but not which to which, so its actions are
counted under ``unattributed`` rather than split by a guess.

Officials and the public see breakdowns with small cells withheld
(:mod:`chalicelib.domain.disclosure`); staff see every figure.
"""
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.domain import clock
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.disclosure import withhold, withhold_table
from chalicelib.domain.officials import UNATTRIBUTED

def target_action(target: str, action: str) -> str:
    """The key of ``by_target_action`` for ``action`` sent to ``target`` (ids have no dots)."""
    return f"{target}.{action}"


def _attributed(report) -> dict:
    """What ``report`` sent to whom, as far as it says: ``{target: {action: count}}``."""
    if report.per_target is not None:
        return report.per_target
    return {report.targets[0] if len(report.targets) == 1 else UNATTRIBUTED: report.actions}


# The counts of a Tally that are one number each; the others are one number per key.
SINGLE_COUNTS = ("reports", "people", "late_reports", "late_actions", "late_people")


@dataclass
class Tally:
    reports: int = 0
    actions: Counter = field(default_factory=Counter)
    by_target: Counter = field(default_factory=Counter)
    by_country: Counter = field(default_factory=Counter)
    by_day: Counter = field(default_factory=Counter)
    people: int = 0                                             # participants of the reports counted
    by_target_action: Counter = field(default_factory=Counter)  # target_action(t, a) -> count
    # Of the reports above, those taken late (after the deadline, for actions before it).
    late_reports: int = 0
    late_actions: int = 0
    late_people: int = 0

    @classmethod
    def of(cls, reports) -> "Tally":
        tally = cls()
        for report in reports:
            tally.add(report)
        return tally

    def add(self, report, sign: int = 1):
        """Count one stored report in (``sign`` -1: out again, as when it is voided).
        Voided or flagged reports are never counted in."""
        self.reports += sign
        self.people += sign * report.participants
        for action, count in report.actions.items():
            self.actions[action] += sign * count
        for target in report.targets:
            self.by_target[target] += sign
        self.by_country[report.country] += sign
        self.by_day[report.received_at.date().isoformat()] += sign
        for target, counts in _attributed(report).items():
            for action, count in counts.items():
                self.by_target_action[target_action(target, action)] += sign * count
        if report.late:
            self.late_reports += sign
            self.late_actions += sign * sum(report.actions.values())
            self.late_people += sign * report.participants

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(self.reports + other.reports, self.actions + other.actions,
                     self.by_target + other.by_target, self.by_country + other.by_country,
                     self.by_day + other.by_day, self.people + other.people,
                     self.by_target_action + other.by_target_action, self.late_reports + other.late_reports,
                     self.late_actions + other.late_actions, self.late_people + other.late_people)

    @property
    def actions_total(self):
        return sum(self.actions.values())

    def target_actions(self) -> dict:
        """``by_target_action`` as ``{target: {action: count}}``."""
        nested = {}
        for key, count in self.by_target_action.items():
            target, _, action = key.rpartition(".")
            nested.setdefault(target, {})[action] = count
        return nested

    def counters(self):
        """``(kind, key, count)`` for every count that is not zero (the kinds in
        ``SINGLE_COUNTS`` have key None)."""
        for kind in SINGLE_COUNTS:
            if getattr(self, kind):
                yield kind, None, getattr(self, kind)
        for kind in ("actions", "by_target", "by_country", "by_day", "by_target_action"):
            yield from ((kind, key, count) for key, count in getattr(self, kind).items() if count)

    def as_dict(self) -> dict:
        return {"reports": self.reports, "actions": dict(self.actions),
                "by_target": dict(self.by_target), "by_country": dict(self.by_country),
                "by_day": dict(self.by_day), "people": self.people,
                "by_target_action": self.target_actions(), "late_reports": self.late()}

    def late(self) -> dict:
        """The late reports counted here, as every version of the totals shows them."""
        return {"reports": self.late_reports, "actions_total": self.late_actions, "people": self.late_people}

    @classmethod
    def from_dict(cls, data: dict) -> "Tally":
        counters = {name: Counter({k: int(v) for k, v in data.get(name, {}).items()})
                    for name in ("actions", "by_target", "by_country", "by_day")}
        reports = int(data.get("reports", 0))
        by_target_action = Counter({target_action(target, action): int(n)
                                    for target, counts in data.get("by_target_action", {}).items()
                                    for action, n in counts.items()})
        # Stored before participants existed, when every report was one person.
        people = int(data.get("people", reports))
        late = data.get("late_reports", {})
        return cls(reports, **counters, people=people, by_target_action=by_target_action,
                   late_reports=int(late.get("reports", 0)), late_actions=int(late.get("actions_total", 0)),
                   late_people=int(late.get("people", 0)))


@dataclass(frozen=True)
class Totals:
    """Totals as published: provisional while open, final once the campaign closed."""
    campaign_id: str
    tally: Tally
    final: bool
    as_of: datetime | None
    version: int | None = None
    void_count: int = 0         # the campaign's void_count these totals reflect
    reinstated_count: int = 0   # and its reinstated_count
    offline_count: int = 0      # and its offline_count (offline tallies entered)

    def reflects(self, campaign: Campaign) -> bool:
        """True if every void, reinstatement and offline tally of ``campaign`` so far is counted in these totals."""
        return ((self.void_count, self.reinstated_count, self.offline_count)
                == (campaign.void_count, campaign.reinstated_count, campaign.offline_count))

    def public_view(self, campaign: Campaign, small_cell_min: int) -> dict:
        """What anyone may see: breakdown cells from 1 to ``small_cell_min - 1`` are None
        (see :mod:`chalicelib.domain.disclosure`); totals are shown as they are."""
        view = self._view(campaign)
        view["actions"] = withhold(view["actions"], small_cell_min)
        # No figure adds up the targets' cells: a report may name several officials.
        view["by_target"] = withhold(view["by_target"], small_cell_min, adds_up=False)
        view["by_target_action"] = withhold_table(view["by_target_action"], small_cell_min)
        view["small_cell_min"] = small_cell_min
        return view

    def staff_view(self, campaign: Campaign) -> dict:
        """Every figure, for staff (and their exports)."""
        view = self._view(campaign)
        view["version"] = self.version
        view["by_country"] = dict(sorted(self.tally.by_country.items()))
        view["by_day"] = dict(sorted(self.tally.by_day.items()))
        return view

    def _view(self, campaign: Campaign) -> dict:
        tally = self.tally
        actions = _with_extra(campaign.actions, tally.actions)
        counted = tally.target_actions()
        targets = _with_extra(campaign.target_ids, {t for t in counted if t != UNATTRIBUTED})
        if UNATTRIBUTED in counted:
            targets.append(UNATTRIBUTED)
        return {
            "campaign_id": self.campaign_id,
            "final": self.final,
            "as_of": clock.format_public(self.as_of) if self.as_of else None,
            "reports": tally.reports,
            "people": tally.people,
            "actions_total": tally.actions_total,
            # Every action type and target appears, zero or not, so the shape is stable.
            "actions": {a: tally.actions.get(a, 0) for a in actions},
            "by_target": {t: tally.by_target.get(t, 0) for t in _with_extra(campaign.target_ids, tally.by_target)},
            "by_target_action": {t: {a: counted.get(t, {}).get(a, 0) for a in actions} for t in targets},
            # Counted above: reports taken after the deadline for actions before it (an amendment
            # of the first final version, not a correction).
            "late_reports": tally.late(),
        }


def _with_extra(declared, counted):
    """The campaign's own keys in order, then any counted key it no longer lists."""
    return list(declared) + sorted(set(counted) - set(declared))
