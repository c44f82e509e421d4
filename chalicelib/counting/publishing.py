"""Final totals after the close: re-published as a new version when a report is voided
or reinstated or an offline tally entered, and announced once each version is out.

Published versions are never overwritten: a void or a reinstatement after the
close publishes version n+1 (a recount from the table, recording the
``void_count`` and ``reinstated_count`` it reflects, and ``offline_count``: an offline tally
entered after the close, :mod:`chalicelib.counting.offline`) and leaves version n readable.
Every step is idempotent, so a run that dies is finished by the next scheduled run (the campaign waits in the
``publication_due`` state) or by ``action-tally campaign republish``.
"""
import logging

from chalicelib.domain.campaign import Campaign
from chalicelib.domain.totals import Tally, Totals
from chalicelib.runtime.notify import TotalsNotifier
from chalicelib.storage import TallyStore

log = logging.getLogger(__name__)
_ATTEMPTS = 3   # rounds when voids keep arriving while we publish; then the next run goes on


def recount(store: TallyStore, campaign: Campaign, version: int, now) -> Totals:
    """Final totals counted afresh from the table.

    ``campaign`` must have been read before the count: every void and
    reinstatement included in its counts is then also reflected in the count.
    Version 1 counts no late report; every later one counts them all
    (:mod:`chalicelib.counting.late`).
    """
    reports = store.all_reports(campaign)
    tally = Tally.of(reports if version > 1 else (report for report in reports if not report.late))
    return Totals(campaign.campaign_id, tally, True, now, version=version, void_count=campaign.void_count,
                  reinstated_count=campaign.reinstated_count, offline_count=campaign.offline_count)


def finish_publication(store: TallyStore, campaign_id: str, notifier: TotalsNotifier | None, now) -> Totals:
    """Publish a new version if reports were voided or reinstated since the last one, then announce it.

    Returns the newest published totals. Raises NotificationFailed if SNS is
    down (the campaign stays due and the next run retries).
    """
    notifier = notifier or TotalsNotifier()
    latest = None
    for _ in range(_ATTEMPTS):
        campaign = store.get_campaign(campaign_id)   # consistent: its counts before the recount
        latest = store.latest_final(campaign_id)
        if not latest.reflects(campaign):
            store.publish_final(campaign_id, recount(store, campaign, latest.version + 1, now))
            continue   # read again: announce only a version that reflects every void
        store.record_published(campaign_id, latest.version)
        if (campaign.notified_version or 0) < latest.version and notifier.announce(campaign, latest):
            store.record_notified(campaign_id, latest.version)
        if store.mark_published(campaign_id, latest.void_count, latest.reinstated_count, latest.offline_count):
            return latest
    log.warning("campaign %s: still voids, reinstatements or offline tallies to publish; the next run goes on",
                campaign_id)
    return latest
