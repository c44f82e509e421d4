"""Changes to which reports a campaign's totals count, one at a time, in the order they
happened to each report: what the provisional totals are folded from.

A report joins the count when it is stored unflagged or reinstated, and leaves it when
it is voided. Each change carries the instant its writer stamped it (the report's
``received_at``, ``reinstatement.at`` or ``void.at``), so that the count at any instant
can also be worked out from the reports themselves (:func:`counted_at`).
"""
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.report import Report


@dataclass(frozen=True)
class CountChange:
    """One report joining (``sign`` 1) or leaving (-1) a campaign's count."""
    campaign_id: str
    sequence: int          # its place in the stream shard that carried it (in order within a shard)
    report: Report         # the report as it is counted (before a void, after a reinstatement)
    sign: int
    at: datetime           # when it happened, on the clock of the code that wrote it


def counted_at(report: Report, moment: datetime) -> bool:
    """Whether ``report``, as stored now, was in the count at ``moment``.

    Counted from its arrival, or (once flagged) from its reinstatement, until its
    void: a flagged report is never voided and a voided one never reinstated.
    """
    if report.flag_reason is None:
        joined = report.received_at
    else:
        joined = report.reinstatement.at if report.reinstatement else None
    if joined is None or joined >= moment:
        return False
    return report.void is None or report.void.at >= moment
