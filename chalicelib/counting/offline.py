"""Offline tallies into the count: actions staff enter for a campaign, open or closed.

A tally stays exact by being a report: its item is stored create-only under its
``tally_id`` in the campaign's report partitions, so the same tally sent again writes
nothing (and is answered with what was stored), the table's stream folds it into the
provisional totals like any report, the close's recount counts it, and a void takes it
out through the same transaction as any report's. What is new:

* **After the close.** The transaction that stores tallies raises the campaign's
  ``offline_count`` and, for a closed campaign, puts it back under ``publication_due``,
  conditional on the campaign's state being as read (StaleWrite: read again, try again).
  Each final version records the ``offline_count`` it reflects; a campaign whose count
  moved since is recounted from the table and published as version n+1
  (:mod:`chalicelib.counting.publishing`), by this call (the CLI) or the next scheduled run
  (the API, which cannot announce). A tally entered while the close runs is either in its
  recount or, its count having moved, in the version after: never lost, never twice.
* **A file of tallies.** Every row is validated before anything is written; then tallies
  are stored ``TALLIES_PER_TRANSACTION`` to a transaction. A storage failure half-way leaves
  the first transactions stored (each all or nothing): the file sent again names the same
  tally ids (:mod:`chalicelib.domain.tallies`), stores the rest and counts none twice.
* **No supporter checks.** Staff enter tallies: no rate limit, abuse check or form token.
"""
from dataclasses import dataclass, replace
from typing import Callable

from chalicelib.counting.publishing import finish_publication
from chalicelib.domain import clock
from chalicelib.domain.campaign import CLOSED, Campaign
from chalicelib.domain.errors import CampaignNotFound, Conflict
from chalicelib.domain.report import Report
from chalicelib.domain.tallies import TallyInput
from chalicelib.domain.totals import Totals
from chalicelib.runtime.notify import TotalsNotifier
from chalicelib.storage import TALLIES_PER_TRANSACTION, StaleWrite, TallyIdTaken, TallyStore

_ATTEMPTS = 3   # the campaign may close (or be published) between our read and a transaction


@dataclass(frozen=True)
class Entered:
    """Tallies entered: each stored report and whether this call stored it (False: sent before)."""
    campaign: Campaign                   # as read before the last write
    tallies: list                        # of (Report, created)
    republished: Totals | None           # the final totals now shown, if we published them

    @property
    def created(self) -> int:
        return sum(created for _, created in self.tallies)


def enter_tallies(store: TallyStore, campaign_id: str, parse: Callable[[Campaign], list[TallyInput]], *,
                  entered_by: str, now, notifier: TotalsNotifier | None = None, republish: bool = True) -> Entered:
    """Validate (``parse(campaign)``: every tally, or ValidationFailed) and store tallies for
    ``campaign_id``, each once per tally id. Raises CampaignNotFound, ValidationFailed, or
    Conflict when a tally id is a supporter's report's. With ``republish`` False a closed
    campaign is only left due for publication (the scheduled job publishes)."""
    campaign = store.get_campaign(campaign_id)
    if campaign is None:
        raise CampaignNotFound(campaign_id)
    tallies = parse(campaign)
    results = []
    for start in range(0, len(tallies), TALLIES_PER_TRANSACTION):
        chunk = tallies[start:start + TALLIES_PER_TRANSACTION]
        # Each transaction is stamped as it is sent, as a report is at its write: a rebuild's
        # cut relies on every change landing within a settle time of its stamp, and a file's
        # last transaction may follow its first by seconds (from the CLI, by any retries).
        try:
            campaign, stored = _store_chunk(store, campaign, chunk, entered_by, max(now, clock.now()))
        except TallyIdTaken as taken:
            raise Conflict(f"The tally id {taken} is a supporter's report's: send another, or none (one is "
                           "made). Nothing of its transaction was stored.",
                           fields={"tally_id": "is a supporter's report's"}, code="tally_id_taken") from None
        results += stored
    republished = None
    if campaign.state == CLOSED and republish:
        republished = finish_publication(store, campaign_id, notifier, now)
    return Entered(campaign, results, republished)


def _store_chunk(store, campaign, chunk, entered_by, now) -> tuple[Campaign, list[tuple[Report, bool]]]:
    for attempt in range(_ATTEMPTS):
        try:
            stored = store.record_tallies(campaign, chunk, entered_by, now, campaign.state == CLOSED)
        except StaleWrite:
            if attempt == _ATTEMPTS - 1:
                raise
            campaign = store.get_campaign(campaign.campaign_id)
            continue
        if campaign.state == CLOSED and any(created for _, created in stored):
            campaign = replace(campaign, publication_due=True)   # as the transaction left it
        return campaign, stored
    raise AssertionError("unreachable")
