"""Late reports: taken after a campaign's deadline, for its late days, from supporters who
say they acted before it; published as amended versions of the final totals.

* **Taking them** (:mod:`chalicelib.counting.intake`): past the deadline, within
  ``late_report_days`` (the campaign's, else LATE_REPORT_DAYS), a report with
  ``"acted_before_deadline": true`` is stored ``late`` and answered ``recorded_late``;
  anything else is 410, as is everything after the window. Closing does not end the window.
* **Version 1** (the close) counts no late report: what staff share first is exactly what
  the deadline saw. Every later version (a void, a reinstatement, late reports) recounts
  everything the table holds, late reports included, and says how many it includes in
  ``late_reports``, so nobody takes an amendment for a correction.
* **Amending** (:func:`amend_with_late_reports`, each scheduled run, per closed campaign in
  its window): a new version when late reports came since the last one (the stream's
  provisional count says so: a hint, never the count) and ``LATE_PUBLICATION_SECONDS`` have
  passed since that version; and once the window has ended and ``SETTLE_SECONDS`` passed
  (every late report accepted in it has landed), a last recount from the table itself
  publishes whatever the hint missed. Then the campaign's late reports are *settled* and the
  job stops looking. A late report racing the window's end is thus either refused or in that
  last recount: never accepted and lost.

Every step is idempotent: versions are create-only, a new one is announced through the
usual publication (the campaign waits in ``publication_due``), and a run that dies between
steps is finished by the next.
"""
import logging
from datetime import timedelta

from chalicelib.counting.publishing import recount
from chalicelib.domain.campaign import MAX_LATE_REPORT_DAYS, Campaign
from chalicelib.runtime.config import Settings
from chalicelib.storage import TallyStore

log = logging.getLogger(__name__)


def longest_window(settings: Settings) -> timedelta:
    """How far back a deadline may be whose campaign can still be amended with late reports."""
    return timedelta(days=MAX_LATE_REPORT_DAYS, seconds=settings.settle_seconds + 1)


def amend_with_late_reports(store: TallyStore, settings: Settings, campaign: Campaign, now) -> bool:
    """Publish a version with the late reports of a closed ``campaign`` if one is due (see the
    module's docstring), and settle them once its window has ended; True if it published one."""
    campaign_id = campaign.campaign_id
    latest = store.latest_final(campaign_id)
    if latest is None:   # the close has not published yet: it goes first
        return False
    settled_at = campaign.late_reports_end(settings.late_report_days) + timedelta(seconds=settings.settle_seconds)
    if now >= settled_at:
        published = _publish_if_changed(store, campaign_id, latest, now)
        _announce_pending(store, campaign_id, published or _unannounced(campaign, latest))
        store.mark_late_settled(campaign_id)
        return published
    published = False
    if now - latest.as_of >= timedelta(seconds=settings.late_publication_seconds):
        provisional = store.get_provisional(campaign_id)
        if provisional is not None and provisional.shown.late_reports > latest.tally.late_reports:
            published = _publish_if_changed(store, campaign_id, latest, now)
    _announce_pending(store, campaign_id, published or _unannounced(campaign, latest))
    return published


def settle_without_window(store: TallyStore, settings: Settings, campaign: Campaign) -> None:
    """A campaign that takes no late reports has nothing to amend once closed."""
    if campaign.late_days(settings.late_report_days) == 0:
        store.mark_late_settled(campaign.campaign_id)


def _publish_if_changed(store, campaign_id, latest, now) -> bool:
    campaign = store.get_campaign(campaign_id)   # consistent, before the count: the voids it reflects
    totals = recount(store, campaign, latest.version + 1, now)
    if totals.tally == latest.tally:
        return False
    store.publish_final(campaign_id, totals)     # create-only: a concurrent run's equal version stays
    log.info("campaign %s: version %d with %d late reports", campaign_id, totals.version,
             totals.tally.late_reports, extra={"campaign_id": campaign_id})
    return True


def _unannounced(campaign, latest) -> bool:
    """A version published (a run died after it) that the publication has not taken up."""
    return (campaign.published_version or 0) < latest.version


def _announce_pending(store, campaign_id, pending: bool) -> None:
    """Hand a version not yet announced to the usual publication (publishing.finish_publication)."""
    if pending:
        store.mark_publication_due(campaign_id)
