"""The scheduled counting job: provisional totals while a campaign is open,
final totals published once when it closes.

Exactly-once in effect, however often or concurrently it runs:

* Every report is stamped with the instant the intake checked the deadline,
  and lands in the table within the API function's timeout. So once
  ``settle_seconds`` (longer than that timeout) have passed, no new report can
  appear with an older stamp.
* Provisional totals keep a *watermark*: ``settled`` counts exactly the
  reports stamped before it. A run adds the settled window ``[watermark,
  now - settle)`` and re-counts the short unsettled ``tail`` after it, then
  writes both with a condition on the watermark it read. Of two concurrent
  runs one wins and the other changes nothing; a run that dies wrote nothing.
* Closing waits until ``closes_at + settle`` (all accepted reports have
  landed), recounts every stored report from the table itself, publishes
  version 1 with a create-only write, then marks the campaign closed. A re-run
  after a crash at any step finds what was done and finishes the rest.
* A voided report leaves the totals: the campaign's ``void_count`` goes up in
  the same transaction. A reinstated (once flagged) report joins them: its
  ``reinstated_count`` goes up likewise (see :mod:`chalicelib.counting.reinstating`).
  Provisional totals record both counts they reflect and are rebuilt from
  scratch when either differs; a closed campaign is re-published as a new
  version (see :mod:`chalicelib.counting.publishing`).
"""
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from chalicelib.counting.publishing import finish_publication, recount
from chalicelib.domain import clock
from chalicelib.domain.campaign import CLOSED, OPEN, Campaign
from chalicelib.domain.totals import Tally, Totals
from chalicelib.privacy import erasure
from chalicelib.runtime import observability
from chalicelib.runtime.config import Settings
from chalicelib.runtime.notify import NotificationFailed, TotalsNotifier
from chalicelib.storage import ProvisionalState, StorageUnavailable, TallyStore

log = logging.getLogger(__name__)

# Bounds for arrival stamps: every stamp starts with a four-digit year.
_BEGINNING, _END = "0000", "9999"


@dataclass
class RunSummary:
    folded: list = field(default_factory=list)
    closed: list = field(default_factory=list)
    published: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    erased: list = field(default_factory=list)   # campaigns whose personal data was erased

    def as_dict(self) -> dict:
        """What the scheduled function returns (and its log line reads)."""
        return {"folded": self.folded, "closed": self.closed, "published": self.published, "erased": self.erased}


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
                summary.closed.append(campaign.campaign_id)
            else:
                fold_provisional(store, campaign, settle, now)
                summary.folded.append(campaign.campaign_id)
        except (StorageUnavailable, NotificationFailed):
            log.warning("tally failed for campaign %s; the next run retries", campaign.campaign_id,
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
        summary.erased = erasure.erase_expired(store, settings, now).campaigns
    except StorageUnavailable:
        log.warning("erasing expired personal data failed; the next run retries")
        summary.failed.append("personal data retention")
    if summary.failed:
        raise StorageUnavailable(f"tally incomplete for {', '.join(summary.failed)}")
    return summary


def fold_provisional(store: TallyStore, campaign: Campaign, settle: timedelta, now) -> bool:
    """Bring the campaign's provisional totals up to ``now``; False if another run did."""
    previous = store.get_provisional(campaign.campaign_id)
    # A report voided since these totals began may sit in ``settled``, and one reinstated may be
    # missing from it (it arrived before the watermark): count again from the start.
    rebuild = previous is None or not previous.reflects(campaign)
    settled = Tally() if rebuild else previous.settled
    watermark = _BEGINNING if rebuild else previous.watermark
    new_watermark = clock.format_timestamp(now - settle)
    if new_watermark > watermark:
        settled = settled + Tally.of(store.reports_received_between(campaign, watermark, new_watermark))
        watermark = new_watermark
    tail = Tally.of(store.reports_received_between(campaign, watermark, _END))
    state = ProvisionalState(settled, watermark, tail, now, campaign.void_count, campaign.reinstated_count)
    return store.save_provisional(campaign.campaign_id, state, previous)


def close_campaign(store: TallyStore, campaign: Campaign, now, notifier: TotalsNotifier | None = None) -> Totals:
    """Publish the final totals (once), mark the campaign closed, and announce them."""
    published = store.latest_final(campaign.campaign_id)
    if published is None:
        final = recount(store, store.get_campaign(campaign.campaign_id), 1, now)
        published = store.publish_final(campaign.campaign_id, final)
        if published is final:   # not a concurrent run's
            observability.totals_published(campaign.campaign_id, published.version)
        _warn_on_drift(store, campaign, final.tally)
    store.mark_closed(campaign.campaign_id, published.version, now)
    return finish_publication(store, campaign.campaign_id, notifier, now)


def _warn_on_drift(store, campaign, recount):
    provisional = store.get_provisional(campaign.campaign_id)
    if provisional and (provisional.settled + provisional.tail).reports > recount.reports:
        # More reports provisionally than finally can only mean a broken invariant.
        log.error("campaign %s: provisional count above the final recount", campaign.campaign_id,
                  extra={"campaign_id": campaign.campaign_id})


def current_totals(store: TallyStore, campaign: Campaign) -> Totals:
    """What the totals endpoints show: the latest published final, or provisional."""
    if campaign.state == CLOSED:
        return store.latest_final(campaign.campaign_id)
    provisional = store.get_provisional(campaign.campaign_id)
    if provisional is None:
        return Totals(campaign.campaign_id, Tally(), False, None)
    return Totals(campaign.campaign_id, provisional.settled + provisional.tail, False, provisional.as_of)
