"""The scheduled counting job: final totals published once when a campaign closes.
(The provisional totals while it is open are folded from the table's stream:
:mod:`chalicelib.counting.folding`.)

Exactly-once in effect, however often or concurrently it runs:

* Every report is stamped with the instant the intake checked the deadline,
  and lands in the table within the API function's timeout. So once
  ``settle_seconds`` (longer than that timeout) have passed, no new report can
  appear with an older stamp.
* Closing waits until ``closes_at + settle`` (all accepted reports have
  landed), recounts every stored report from the table itself, consistently,
  independently of the provisional totals and of the stream (which may lag, or
  have lost a batch), publishes version 1 with a create-only write, then marks
  the campaign closed. A re-run after a crash at any step finds what was done
  and finishes the rest.
* A voided report leaves the totals: the campaign's ``void_count`` goes up in
  the same transaction. A reinstated (once flagged) report joins them: its
  ``reinstated_count`` goes up likewise (see :mod:`chalicelib.counting.reinstating`).
  Each final version records both counts it reflects; a closed campaign whose
  counts moved since is re-published as a new version, recounted from the table
  (see :mod:`chalicelib.counting.publishing`). While open, the stream carries voids
  and reinstatements into the provisional totals like any other change.
* Outcomes staff recorded are announced on the totals topic here
  (:mod:`chalicelib.counting.outcomes`); they never change a count.
* A rebuild of provisional totals (:func:`chalicelib.counting.folding.request_rebuild`;
  requested here for totals the scheduled fold kept before the stream existed) is
  completed here once its cut has settled.
"""
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from chalicelib.counting import folding, late
from chalicelib.counting.outcomes import announce_outcomes
from chalicelib.counting.publishing import finish_publication, recount
from chalicelib.counting.shown import current_totals  # noqa: F401 - where callers have long found it
from chalicelib.domain.campaign import OPEN, Campaign
from chalicelib.domain.totals import Totals
from chalicelib.privacy import erasure
from chalicelib.runtime import observability
from chalicelib.runtime.config import Settings
from chalicelib.runtime.notify import NotificationFailed, TotalsNotifier
from chalicelib.storage import StaleWrite, StorageUnavailable, TallyStore

log = logging.getLogger(__name__)
# Of the scheduled function's 300 s, what one run may spend searching reports for
# supporters' erasure requests (the next run goes on from there).
ERASURE_SECONDS_PER_RUN = 120


@dataclass
class RunSummary:
    rebuilt: list = field(default_factory=list)   # campaigns whose provisional totals were rebuilt
    closed: list = field(default_factory=list)
    amended: list = field(default_factory=list)   # closed campaigns given a version with their late reports
    published: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    erased: list = field(default_factory=list)   # campaigns whose personal data was erased
    erasures: list = field(default_factory=list)  # supporters' erasure requests finished
    outcomes: list = field(default_factory=list)  # campaigns whose outcome was announced

    def as_dict(self) -> dict:
        """What the scheduled function returns (and its log line reads)."""
        return {"rebuilt": self.rebuilt, "closed": self.closed, "amended": self.amended,
                "published": self.published, "erased": self.erased, "erasures": self.erasures,
                "outcomes": self.outcomes}


def run_tally(store: TallyStore, settings: Settings, now, notifier: TotalsNotifier | None = None) -> RunSummary:
    """One run of the scheduled job over every open campaign, and every closed one
    whose totals wait to be re-published or announced; then the erasure of
    personal data past its retention period.

    A campaign that fails (DynamoDB busy, SNS down) does not stop the others;
    the run then raises so the failure is visible and the next run picks it up.
    """
    summary = RunSummary()
    settle = timedelta(seconds=settings.settle_seconds)
    for campaign in store.campaigns(OPEN):
        try:
            if now >= campaign.closes_at + settle:
                close_campaign(store, campaign, now, notifier)
                late.settle_without_window(store, settings, campaign)
                summary.closed.append(campaign.campaign_id)
            elif keep_provisional(store, campaign, settle, now):
                summary.rebuilt.append(campaign.campaign_id)
        except (StorageUnavailable, StaleWrite, NotificationFailed):
            log.warning("tally failed for campaign %s; the next run retries", campaign.campaign_id,
                        exc_info=True, extra={"campaign_id": campaign.campaign_id})
            summary.failed.append(campaign.campaign_id)
    for campaign in store.campaigns_taking_late_reports(now, late.longest_window(settings)):
        if campaign.campaign_id in summary.closed:
            continue
        try:
            if late.amend_with_late_reports(store, settings, campaign, now):
                summary.amended.append(campaign.campaign_id)
        except (StorageUnavailable, StaleWrite):
            log.warning("late reports of campaign %s not published; the next run retries", campaign.campaign_id,
                        exc_info=True, extra={"campaign_id": campaign.campaign_id})
            summary.failed.append(campaign.campaign_id)
    for campaign in store.campaigns_due():
        if campaign.campaign_id in summary.closed + summary.failed:
            continue
        try:
            finish_publication(store, campaign.campaign_id, notifier, now)
            summary.published.append(campaign.campaign_id)
        except (StorageUnavailable, NotificationFailed):
            log.warning("publication failed for campaign %s; the next run retries", campaign.campaign_id,
                        exc_info=True, extra={"campaign_id": campaign.campaign_id})
            summary.failed.append(campaign.campaign_id)
    try:
        summary.outcomes, failed = announce_outcomes(store, notifier)
        summary.failed += [f"the outcome of {campaign_id}" for campaign_id in failed]
    except StorageUnavailable:
        log.warning("listing the outcomes to announce failed; the next run retries")
        summary.failed.append("outcomes")
    try:
        summary.erased = erasure.erase_expired(store, settings, now).campaigns
    except StorageUnavailable:
        log.warning("erasing expired personal data failed; the next run retries")
        summary.failed.append("personal data retention")
    try:
        done = erasure.work_on_erasures(store, settings, now, ERASURE_SECONDS_PER_RUN)
        summary.erasures = [request.request_id for request in done]
    except StorageUnavailable:
        log.warning("working on erasure requests failed; the next run goes on from where it stopped")
        summary.failed.append("erasure requests")
    if summary.failed:
        raise StorageUnavailable(f"tally incomplete for {', '.join(summary.failed)}")
    return summary


def keep_provisional(store: TallyStore, campaign: Campaign, settle: timedelta, now) -> bool:
    """Complete a rebuild of the campaign's provisional totals whose cut has settled, or
    start one for totals kept before the stream existed; True if the totals changed."""
    provisional = store.get_provisional(campaign.campaign_id)
    if folding.complete_rebuild(store, campaign, now, settle, provisional):
        return True
    if provisional is not None and provisional.legacy and provisional.cut is None:
        folding.request_rebuild(store, campaign.campaign_id, now, settle)
    return False


def close_campaign(store: TallyStore, campaign: Campaign, now, notifier: TotalsNotifier | None = None) -> Totals:
    """Publish the final totals (once), mark the campaign closed, and announce them."""
    published = store.latest_final(campaign.campaign_id)
    if published is None:
        final = recount(store, store.get_campaign(campaign.campaign_id), 1, now)
        published = store.publish_final(campaign.campaign_id, final)
        if published is final:   # not a concurrent run's
            observability.totals_published(campaign.campaign_id, published.version)
        _note_the_difference(store, campaign, final.tally)
    store.mark_closed(campaign.campaign_id, published.version, now)
    return finish_publication(store, campaign.campaign_id, notifier, now)


def _note_the_difference(store, campaign, final):
    provisional = store.get_provisional(campaign.campaign_id)
    shown = provisional.shown.reports if provisional else 0
    if shown != final.reports:
        # Expected now and then: the stream may not have caught up (a void, a report of
        # the last seconds), or a batch was lost; the final count is the table's own.
        log.info("campaign %s: provisional totals showed %d reports, the final recount has %d",
                 campaign.campaign_id, shown, final.reports, extra={"campaign_id": campaign.campaign_id})
