"""Staff decisions on one report (voiding it, reinstating it): the path they share.

A reason and a name are required; the report is found by its report id or its
submission id; the storage layer's one transaction is tried again if the
campaign closed between our read and it; then, for a closed campaign, the
final totals are re-published as a new version, here and now or (when the
caller cannot announce them) by the scheduled job, which finds the campaign
``publication_due``.
"""
from dataclasses import dataclass
from typing import Callable

from chalicelib.counting.publishing import finish_publication
from chalicelib.domain.campaign import CLOSED, Campaign
from chalicelib.domain.errors import CampaignNotFound
from chalicelib.domain.report import Report, is_report_ref, parse_submission_id
from chalicelib.domain.totals import Totals
from chalicelib.domain.validation import FieldErrors, text
from chalicelib.runtime.notify import TotalsNotifier
from chalicelib.storage import ReportNotFound, StaleWrite, TallyStore

_ATTEMPTS = 3   # the campaign may close between our read and the transaction

# write(campaign, report, by, reason, publication_due): the storage layer's transaction.
Write = Callable[[Campaign, Report, str, str, bool], None]


@dataclass(frozen=True)
class DecisionResult:
    report: Report                # as it was before the decision
    campaign: Campaign            # as it is after it
    republished: Totals | None    # the final totals now shown, if the campaign had closed and we published


def decide(store: TallyStore, campaign_id: str, report_ref: str, *, reason: str, by: str, write: Write,
           now, notifier: TotalsNotifier | None = None, republish: bool = True) -> DecisionResult:
    """Apply ``write`` to the report ``report_ref`` (its report id, or its submission id).

    Raises ValidationFailed for a missing reason or name, CampaignNotFound,
    ReportNotFound, or whatever ``write`` raises when the report's state forbids it.
    With ``republish`` False a closed campaign is only left due for publication.
    """
    errors = FieldErrors()
    reason = text(errors, {"reason": reason}, "reason", max_length=500)
    by = text(errors, {"by": by}, "by", max_length=100)
    errors.raise_if_any()
    for attempt in range(_ATTEMPTS):
        campaign = store.get_campaign(campaign_id)
        if campaign is None:
            raise CampaignNotFound(campaign_id)
        report = find_report(store, campaign, report_ref)
        try:
            write(campaign, report, by, reason, campaign.state == CLOSED)
            break
        except StaleWrite:
            if attempt == _ATTEMPTS - 1:
                raise
    republished = None
    if campaign.state == CLOSED and republish:
        republished = finish_publication(store, campaign_id, notifier, now)
    return DecisionResult(report, store.get_campaign(campaign_id), republished)


def find_report(store: TallyStore, campaign: Campaign, report_ref: str) -> Report:
    """The report named by its report id or its submission id (any case); ReportNotFound if none.

    A ref that is neither (it can be anything a client typed) is not looked up."""
    if not is_report_ref(report_ref):
        raise ReportNotFound(report_ref)
    submission_id = parse_submission_id(report_ref) if "-" in (report_ref or "") else None
    report = (store.get_report(campaign, submission_id) if submission_id
              else store.find_report(campaign, (report_ref or "").strip().lower()))
    if report is None:
        raise ReportNotFound(report_ref)
    return report
