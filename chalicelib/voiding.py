"""Voiding a report: staff take it out of the totals, with who, when and why on record.

The report item is marked, an audit entry written and the campaign's
``void_count`` raised in one DynamoDB transaction, so all three happen or none.
Open campaigns: the next scheduled run rebuilds the provisional totals.
Closed campaigns: the totals are re-published at once as a new version (and,
should this process die first, by the next scheduled run).
"""
from dataclasses import dataclass

from chalicelib.campaigns import CLOSED, Campaign
from chalicelib.errors import CampaignNotFound
from chalicelib.notify import TotalsNotifier
from chalicelib.publishing import finish_publication
from chalicelib.reports import Report, Void, parse_submission_id
from chalicelib.storage import ReportNotFound, StaleWrite, TallyStore
from chalicelib.totals import Totals
from chalicelib.validation import FieldErrors, text

_ATTEMPTS = 3   # the campaign may close between our read and the transaction


@dataclass(frozen=True)
class VoidResult:
    report: Report
    campaign: Campaign
    republished: Totals | None   # the final totals now shown, if the campaign had closed


def void_report(store: TallyStore, campaign_id: str, report_ref: str, *, reason: str, by: str, now,
                notifier: TotalsNotifier | None = None) -> VoidResult:
    """Void the report ``report_ref`` (its report id, or its submission id).

    Raises ValidationFailed for a missing reason or name, CampaignNotFound,
    ReportNotFound, or AlreadyExcluded when it no longer counts already.
    """
    errors = FieldErrors()
    reason = text(errors, {"reason": reason}, "reason", max_length=500)
    by = text(errors, {"by": by}, "by", max_length=100)
    errors.raise_if_any()
    for attempt in range(_ATTEMPTS):
        campaign = store.get_campaign(campaign_id)
        if campaign is None:
            raise CampaignNotFound(campaign_id)
        report = _find(store, campaign, report_ref)
        try:
            store.void_report(campaign, report, Void(by, reason, now),
                              publication_due=campaign.state == CLOSED)
            break
        except StaleWrite:
            if attempt == _ATTEMPTS - 1:
                raise
    republished = None
    if campaign.state == CLOSED:
        republished = finish_publication(store, campaign_id, notifier, now)
    return VoidResult(report, store.get_campaign(campaign_id), republished)


def _find(store, campaign, report_ref):
    submission_id = parse_submission_id(report_ref) if "-" in (report_ref or "") else None
    report = (store.get_report(campaign, submission_id) if submission_id
              else store.find_report(campaign, (report_ref or "").strip().lower()))
    if report is None:
        raise ReportNotFound(report_ref)
    return report
