"""Counting: how reports add up to totals, and how totals are shown.

A :class:`Tally` is a plain sum, so tallies of disjoint sets of reports add up
to the tally of their union; the scheduled job relies on that.
"""
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.domain import clock
from chalicelib.domain.campaign import Campaign


@dataclass
class Tally:
    reports: int = 0
    actions: Counter = field(default_factory=Counter)
    by_target: Counter = field(default_factory=Counter)
    by_country: Counter = field(default_factory=Counter)
    by_day: Counter = field(default_factory=Counter)

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
        for action, count in report.actions.items():
            self.actions[action] += sign * count
        for target in report.targets:
            self.by_target[target] += sign
        self.by_country[report.country] += sign
        self.by_day[report.received_at.date().isoformat()] += sign

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(self.reports + other.reports, self.actions + other.actions,
                     self.by_target + other.by_target, self.by_country + other.by_country,
                     self.by_day + other.by_day)

    @property
    def actions_total(self):
        return sum(self.actions.values())

    def counters(self):
        """``(kind, key, count)`` for every count that is not zero (``kind`` "reports" has key None)."""
        if self.reports:
            yield "reports", None, self.reports
        for kind in ("actions", "by_target", "by_country", "by_day"):
            yield from ((kind, key, count) for key, count in getattr(self, kind).items() if count)

    def as_dict(self) -> dict:
        return {"reports": self.reports, "actions": dict(self.actions),
                "by_target": dict(self.by_target), "by_country": dict(self.by_country),
                "by_day": dict(self.by_day)}

    @classmethod
    def from_dict(cls, data: dict) -> "Tally":
        counters = {name: Counter({k: int(v) for k, v in data.get(name, {}).items()})
                    for name in ("actions", "by_target", "by_country", "by_day")}
        return cls(int(data.get("reports", 0)), **counters)


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

    def reflects(self, campaign: Campaign) -> bool:
        """True if every void and reinstatement of ``campaign`` so far is counted in these totals."""
        return (self.void_count, self.reinstated_count) == (campaign.void_count, campaign.reinstated_count)

    def public_view(self, campaign: Campaign) -> dict:
        return {
            "campaign_id": self.campaign_id,
            "final": self.final,
            "as_of": clock.format_public(self.as_of) if self.as_of else None,
            "reports": self.tally.reports,
            "actions_total": self.tally.actions_total,
            # Every action type and target appears, zero or not, so the shape is stable.
            "actions": {a: self.tally.actions.get(a, 0) for a in _with_extra(campaign.actions, self.tally.actions)},
            "by_target": {t: self.tally.by_target.get(t, 0)
                          for t in _with_extra(campaign.target_ids, self.tally.by_target)},
        }

    def staff_view(self, campaign: Campaign) -> dict:
        view = self.public_view(campaign)
        view["version"] = self.version
        view["by_country"] = dict(sorted(self.tally.by_country.items()))
        view["by_day"] = dict(sorted(self.tally.by_day.items()))
        return view


def _with_extra(declared, counted):
    """The campaign's own keys in order, then any counted key it no longer lists."""
    return list(declared) + sorted(set(counted) - set(declared))
