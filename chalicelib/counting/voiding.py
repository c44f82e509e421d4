"""Voiding a report: staff take it out of the totals, with who, when and why on record.

The report item is marked, an audit entry written and the campaign's
``void_count`` raised in one DynamoDB transaction, so all three happen or none.
Open campaigns: the next scheduled run rebuilds the provisional totals.
Closed campaigns: the totals are re-published at once as a new version (and,
should this process die first, by the next scheduled run).
See :mod:`chalicelib.counting.decisions` for the path voids share with reinstatements.
"""
from chalicelib.counting.decisions import DecisionResult, decide
from chalicelib.domain.report import Void
from chalicelib.runtime.notify import TotalsNotifier
from chalicelib.storage import TallyStore


def void_report(store: TallyStore, campaign_id: str, report_ref: str, *, reason: str, by: str, now,
                notifier: TotalsNotifier | None = None) -> DecisionResult:
    """Void the report ``report_ref`` (its report id, or its submission id).

    Raises ValidationFailed for a missing reason or name, CampaignNotFound,
    ReportNotFound, or AlreadyExcluded when it no longer counts already.
    """
    def write(campaign, report, by, reason, publication_due):
        store.void_report(campaign, report, Void(by, reason, now), publication_due=publication_due)

    return decide(store, campaign_id, report_ref, reason=reason, by=by, write=write, now=now, notifier=notifier)
