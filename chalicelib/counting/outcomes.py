"""Announcing outcomes on the totals topic: at least once, never lost, never a count.

Staff record an outcome through the API (chalicelib.staff.outcomes), whose role cannot
publish to SNS; the outcome item waits in the state index under ``outcome_due``
(chalicelib.storage.outcomes). Each scheduled run announces every outcome due, then marks
it announced on condition that its revision is still the one announced: a change made
meanwhile stays due and is announced by the next run. SNS down: the outcome stays stored
and due, and the next run tries again. A run that dies between SNS taking the message and
the mark announces it again: subscribers may see a revision twice and recognise it by
``campaign_id`` + ``revision``. Nothing here reads or writes a report or a total.
"""
import logging

from chalicelib.runtime.notify import NotificationFailed, TotalsNotifier
from chalicelib.storage import StorageUnavailable, TallyStore

log = logging.getLogger(__name__)


def announce_outcomes(store: TallyStore, notifier: TotalsNotifier | None) -> tuple[list, list]:
    """Announce every outcome due; ``(announced, failed)`` campaign ids. With no topic
    configured an outcome is marked announced (there is nobody to tell), as totals are."""
    notifier = notifier or TotalsNotifier()
    announced, failed = [], []
    for campaign_id, outcome in store.outcomes_due():
        try:
            campaign = store.get_campaign(campaign_id)
            if campaign is None:   # campaigns are never deleted: nothing to say it of
                continue
            notifier.announce_outcome(campaign, outcome)
            store.mark_outcome_announced(campaign_id, outcome.revision)
            announced.append(campaign_id)
        except (StorageUnavailable, NotificationFailed):
            log.warning("announcing the outcome of %s failed; the next run retries", campaign_id, exc_info=True,
                        extra={"campaign_id": campaign_id})
            failed.append(campaign_id)
    return announced, failed
