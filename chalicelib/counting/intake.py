"""Taking in a supporter's report: the rules between a parsed body and the table.

One report costs one write and, most of the time, no read:

* **The campaign** comes from this container's memory when it was read less than
  ``CAMPAIGN_MEMORY_SECONDS`` ago, and only to *accept* a report: a campaign
  remembered open is open until its remembered deadline, because a deadline may be
  moved earlier only to ``DEADLINE_NOTICE`` or more from the moment of the move
  (:mod:`chalicelib.domain.campaign`), which is longer than anything is remembered.
  (Read at ``t``, remembered until ``t + memory``; any move after ``t`` lands at
  ``t + notice`` or later; and the scheduled job closes a campaign only after its
  deadline.) Refusing is decided on a fresh, consistent read: a report after the
  remembered deadline (it may have moved later), one naming an action or target the
  remembered campaign lacks (it may have gained one), an unknown campaign. Only a
  campaign read as closed is remembered as closed: closing is for good.
* **A replay** of a report this container recorded is answered from its memory;
  elsewhere, by the create-only write, which returns the stored report.
* **The rate limit** counts in this container (:mod:`chalicelib.counting.rate_limit`).
* **After the deadline**, within the campaign's late days, a report that says it was acted
  on before the deadline is taken as *late* (:mod:`chalicelib.counting.late`); which side of
  the deadline a report is on is decided, like every refusal, on a fresh read or a campaign
  remembered closed (whose deadline can no longer move).
"""
import uuid
from dataclasses import dataclass, replace

from chalicelib.counting import abuse, rate_limit
from chalicelib.domain import clock
from chalicelib.domain.campaign import CAMPAIGN_MEMORY_SECONDS, CLOSED, Campaign, is_campaign_id
from chalicelib.domain.errors import CampaignClosed, CampaignNotFound, TooManyReports, ValidationFailed
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
                "status": "recorded_late" if self.report.late else "recorded"}


def check_open(campaign: Campaign | None, campaign_id: str, now, late_report_days: int = 0) -> None:
    """404 if there is no such campaign, 410 if it takes no reports at ``now`` (saying so when
    it still takes late ones: ``late_report_days``, the LATE_REPORT_DAYS setting)."""
    if campaign is None:
        raise CampaignNotFound(campaign_id)
    if not campaign.accepts_reports_at(now):
        late_until = None
        if campaign.takes_late_reports_at(now, late_report_days):
            late_until = clock.format_public(campaign.late_reports_until(late_report_days))
        raise CampaignClosed(campaign_id, clock.format_public(campaign.deadline), late_until)


def campaign_as_of(store: TallyStore, campaign_id: str, now, *, whole: bool = False) -> Campaign | None:
    """The campaign as a public route (the intake above all) may decide with it at ``now``:
    from memory while that says it takes reports (or is closed), else read (see the module's
    docstring). An id no campaign can have is not looked up. ``whole``: with its case (the
    action kit's contacts and letters), which the intake never needs."""
    if not is_campaign_id(campaign_id):
        return None
    campaign = store.recent_campaign(campaign_id, now, CAMPAIGN_MEMORY_SECONDS, whole=whole)
    if campaign is None or campaign.accepts_reports_at(now) or campaign.state == CLOSED:
        return campaign
    return store.recent_campaign(campaign_id, now, 0, whole=whole)


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

    ``campaign``, when the caller has just got it for this request from
    :func:`campaign_as_of`, saves asking again.
    """
    received_at = clock.now()
    if campaign is None or not (campaign.accepts_reports_at(received_at) or campaign.state == CLOSED):
        campaign = campaign_as_of(store, campaign_id, received_at)
    late = False
    try:
        check_open(campaign, campaign_id, received_at, settings.late_report_days)
    except CampaignClosed as closed:
        earlier = _earlier_receipt(store, campaign, data, received_at)
        if earlier is not None:
            return earlier
        if closed.late_until_text is None or not isinstance(data, dict) or "acted_before_deadline" not in data:
            raise
        late = True
    report, campaign = _parsed(store, settings, campaign, data, strict_fields, received_at, late)
    # Late or not as the campaign the report was checked against says (a fresh read may have
    # found the deadline moved later).
    if not campaign.accepts_reports_at(received_at):
        if not report.acted_before_deadline:
            check_open(campaign, campaign_id, received_at, settings.late_report_days)   # raises: 410
        report = replace(report, late=True)
    earlier = store.recorded_here(campaign, report.submission_id, received_at)
    if earlier is not None:
        return Receipt(campaign, earlier, created=False)
    try:
        rate_limit.admit_report(settings, campaign_id, client_ip, received_at)
    except TooManyReports:
        stored = store.get_report(campaign, report.submission_id)
        if stored is None:
            raise
        return Receipt(campaign, stored, created=False)
    flag = abuse.flag_reason(settings, campaign_id, data, received_at) or abuse.group_review_reason(settings, report)
    stored, created = store.record_report(campaign, report, uuid.uuid4().hex, received_at, flag)
    return Receipt(campaign, stored, created)


def _parsed(store, settings, campaign, data, strict_fields, now, late=False):
    """The report, and the campaign it was checked against: a report refused for naming an
    action or a target the campaign (as remembered) lacks is checked again on a fresh read
    (``late``: one past the deadline, taken as late)."""
    try:
        return _parse(data, campaign, settings, strict_fields), campaign
    except ValidationFailed:
        if not _names_unknown(data, campaign):
            raise
    fresh = store.recent_campaign(campaign.campaign_id, now, 0)
    if late:
        if fresh is None:
            raise CampaignNotFound(campaign.campaign_id)
    else:
        check_open(fresh, campaign.campaign_id, now, settings.late_report_days)
    return _parse(data, fresh, settings, strict_fields), fresh


def _parse(data, campaign, settings, strict_fields):
    return parse_report(data, campaign, settings.max_count_per_action, max_participants=settings.max_participants,
                        strict_fields=strict_fields)


def _names_unknown(data, campaign) -> bool:
    """Whether ``data`` names an action or a target (in either report shape) ``campaign`` lacks."""
    if not isinstance(data, dict):
        return False
    actions, targets, per_target = data.get("actions"), data.get("targets"), data.get("per_target")
    named_actions = set(actions) if isinstance(actions, dict) else set()
    named = {target for target in targets if isinstance(target, str)} if isinstance(targets, list) else set()
    if isinstance(per_target, dict):
        named |= set(per_target)
        for counts in per_target.values():
            named_actions |= set(counts) if isinstance(counts, dict) else set()
    return not named_actions <= set(campaign.actions) or not named <= set(campaign.target_ids)


def _earlier_receipt(store, campaign, data, now):
    """A retry after the deadline of a report recorded before it gets its receipt again."""
    submission_id = parse_submission_id(data.get("submission_id") if isinstance(data, dict) else None)
    if submission_id is None:
        return None
    stored = store.recorded_here(campaign, submission_id, now) or store.get_report(campaign, submission_id)
    return Receipt(campaign, stored, created=False) if stored else None
