"""Reinstating a report: staff put a wrongly flagged report into the count, with who,
when and why on record.

A report that failed an abuse check (see :mod:`chalicelib.counting.abuse`) is stored with
``excluded = "flagged"`` and never counted. Reinstating it removes ``excluded``
(``flag_reason`` stays, with ``reinstated_by``, ``reinstated_at`` and
``reinstate_reason`` beside it), writes an audit entry (report id, who, when,
why: no supporter's personal data) and raises the campaign's
``reinstated_count``, in one DynamoDB transaction conditional on the report
being flagged now. So only a flagged report can be reinstated, never a voided
or a counted one; of two reinstatements of the same report one wins and the
other is refused with nothing changed. A reinstated report counts like any
other from then on, and can be voided like any other.

Why a second counter. Totals are rebuilt (open campaign) or re-published as a
new version (closed campaign) when they do not reflect every change to which
reports count. Voids already signal that through ``void_count``, stored in the
provisional state and in each final version and compared by
``tallying.fold_provisional`` and ``publishing.finish_publication``. A
reinstatement raises its own ``reinstated_count`` instead, recorded and compared
alongside: totals reflect a campaign when both counts match
(``Totals.reflects``, ``ProvisionalState.reflects``). Both only go up, so a pair
that matches means nothing changed. One generalised counter would have served
the comparisons, but ``void_count`` is also what staff read ("3 reports
voided", ``voided_reports`` in the announcement): folding reinstatements into it
would make those say something false, and renaming it would mean migrating
stored items. Items written before reinstatements existed lack the new
counter, which reads as 0.

Open campaigns: the next scheduled run rebuilds the provisional totals from the
start (a reinstated report may have arrived before the watermark). Closed
campaigns: the totals are re-published as version n+1 at once by the staff CLI,
or, from the API (whose role may not announce on SNS, and whose requests must
not wait for a recount), by the scheduled job's next run.
"""
from chalicelib.counting.decisions import DecisionResult, decide
from chalicelib.domain import clock
from chalicelib.domain.errors import ReportAlreadyReinstated, ReportNotFlagged, ReportUnknown
from chalicelib.domain.report import Reinstatement, Report
from chalicelib.runtime.notify import TotalsNotifier
from chalicelib.storage import VOID, NotFlagged, ReportNotFound, TallyStore


def reinstate_report(store: TallyStore, campaign_id: str, report_ref: str, *, reason: str, by: str, now,
                     notifier: TotalsNotifier | None = None, republish: bool = True) -> DecisionResult:
    """Count the flagged report ``report_ref`` (its report id, or its submission id).

    Raises ValidationFailed for a missing reason or name, CampaignNotFound,
    ReportUnknown, ReportAlreadyReinstated, or ReportNotFlagged (counted and
    never flagged, or voided). With ``republish`` False a closed campaign is
    left for the scheduled job to re-publish.
    """
    def write(campaign, report, by, reason, publication_due):
        store.reinstate_report(campaign, report, Reinstatement(by, reason, now), publication_due=publication_due)

    try:
        return decide(store, campaign_id, report_ref, reason=reason, by=by, write=write, now=now,
                      notifier=notifier, republish=republish)
    except ReportNotFound:
        raise ReportUnknown(campaign_id, report_ref) from None
    except NotFlagged as refused:
        raise _why_not(refused.report) from None


def _why_not(report: Report):
    if report.excluded == VOID:
        void = report.void
        return ReportNotFlagged(f"Report {report.report_id} is voided (by {void.by} at "
                                f"{clock.format_public(void.at)}: {void.reason}); a voided report cannot be "
                                "reinstated. Nothing was changed.")
    if report.reinstatement and report.excluded is None:
        done = report.reinstatement
        return ReportAlreadyReinstated(f"Report {report.report_id} was reinstated already, by {done.by} at "
                                       f"{clock.format_public(done.at)}: {done.reason}. Nothing was changed.")
    if report.excluded is None:
        return ReportNotFlagged(f"Report {report.report_id} is counted already and was never flagged. "
                                "Nothing was changed.")
    return ReportNotFlagged(f"Report {report.report_id} is excluded ({report.excluded}), not flagged. "
                            "Nothing was changed.")
