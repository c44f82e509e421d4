"""Taking in a supporter's report: the rules between a parsed body and the table."""
import uuid
from dataclasses import dataclass

from chalicelib.counting import abuse, rate_limit
from chalicelib.domain import clock
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.errors import CampaignClosed, CampaignNotFound, TooManyReports
from chalicelib.domain.report import Report, parse_report, parse_submission_id
from chalicelib.runtime.config import Settings
from chalicelib.storage import TallyStore


@dataclass(frozen=True)
class Receipt:
    campaign: Campaign
    report: Report
    created: bool   # False: a replay of a submission already recorded

    def body(self):
        return {"report_id": self.report.report_id, "campaign_id": self.report.campaign_id,
                "status": "recorded"}


def check_open(campaign: Campaign | None, campaign_id: str, now) -> None:
    """404 if there is no such campaign, 410 if it takes no reports at ``now``."""
    if campaign is None:
        raise CampaignNotFound(campaign_id)
    if not campaign.accepts_reports_at(now):
        raise CampaignClosed(campaign_id, clock.format_public(campaign.deadline))


def submit_report(store: TallyStore, settings: Settings, campaign_id: str, data: dict,
                  *, strict_fields=True, client_ip: str | None = None, campaign: Campaign | None = None
                  ) -> Receipt:
    """Validate and record one report, at most once per submission id.

    The clock is read once: the same instant decides "before the deadline"
    and stamps the report, which is what lets the closing job wait out
    in-flight writes (see :mod:`chalicelib.counting.tallying`). A valid report that
    fails an abuse check, or speaks for a group too large to count unseen, is recorded
    flagged and answered the same way.

    With ``client_ip``, the report counts against that client's rate limit
    (see :mod:`chalicelib.counting.rate_limit`); over it, nothing is recorded. A replay
    is never refused: it records nothing new, and a supporter whose report
    is counted must not be told otherwise.

    ``campaign``, when the caller has just read it for this request, saves
    reading it again.
    """
    received_at = clock.now()
    campaign = campaign or store.get_campaign(campaign_id)
    try:
        check_open(campaign, campaign_id, received_at)
    except CampaignClosed:
        earlier = _earlier_receipt(store, campaign, data)
        if earlier is None:
            raise
        return earlier
    report = parse_report(data, campaign, settings.max_count_per_action, max_participants=settings.max_participants,
                          strict_fields=strict_fields)
    try:
        rate_limit.admit_report(store, settings, campaign_id, client_ip, received_at)
    except TooManyReports:
        stored = store.get_report(campaign, report.submission_id)
        if stored is None:
            raise
        return Receipt(campaign, stored, created=False)
    flag = abuse.flag_reason(settings, campaign_id, data, received_at) or abuse.group_review_reason(settings, report)
    stored, created = store.record_report(campaign, report, uuid.uuid4().hex, received_at, flag)
    return Receipt(campaign, stored, created)


def _earlier_receipt(store, campaign, data):
    """A retry after the deadline of a report recorded before it gets its receipt again."""
    submission_id = parse_submission_id(data.get("submission_id") if isinstance(data, dict) else None)
    if submission_id is None:
        return None
    stored = store.get_report(campaign, submission_id)
    return Receipt(campaign, stored, created=False) if stored else None
