"""Folding the table's stream into each campaign's provisional totals.

Every write to a report reaches the table's DynamoDB stream once, with the item
before and after it; Lambda hands the stream to :func:`fold_batch` in batches, each
of one stream shard's records in order, *at least* once. A record that changes the
count (a report stored unflagged, a flagged one reinstated, a counted one voided:
:mod:`chalicelib.storage.stream`) is added to its campaign's provisional totals, and
the fold stays exact however batches are delivered:

* **Delivered again.** Per campaign and per stream shard, the totals item keeps a
  *mark*: the last sequence number folded from that shard. The counts and the mark
  change in one conditional ``UpdateItem``, so a record is folded exactly when its
  shard's mark moves past it. Records of a shard are delivered in order the first
  time, so every record at or below a mark has been folded; a batch delivered again
  (a retry, a retry split in two, a handler that died after folding some campaigns
  of the batch and not others) skips what its campaigns' marks cover and folds the
  rest. The first try needs no read: its condition is "the mark is below this
  batch's first record"; only when that fails is the item read.
* **Shards at once, in any order.** Lambda names a batch's shard (``shardId``, which
  its events carry when the event source mapping has a tumbling window, as ours has:
  infra/stack.py). Each shard has its own mark, and the counts are
  added (``ADD``), never overwritten: batches of different shards commute, and two
  writes for one campaign from two shards never wait on each other. One report's
  records stay in order (DynamoDB keeps an item's changes in one shard at a time,
  and Lambda keeps that order when a shard splits), so a void never arrives before
  the report it takes out.
* **A fold that fails** writes nothing for the campaign it was at; Lambda delivers
  the batch again. Marks outlive the stream's 24 hours by one, then go, so the item
  does not grow with every shard the stream ever had.

The provisional totals are a running count for people to watch. The **final**
totals never come from them: the scheduled job closes a campaign once its deadline
and ``SETTLE_SECONDS`` have passed (every accepted report is stamped before the
deadline and lands within the API's timeout, shorter than the settle time) by
recounting the table itself (:mod:`chalicelib.counting.tallying`). A batch the
stream loses for good (Lambda gives up on it after its retries, and says so on the
failed-batch queue) leaves the provisional totals short until
:func:`request_rebuild`; never the final ones.

**Rebuilding** (a lost batch; provisional totals kept before the stream existed):
the totals are counted again from the table as they stood at a *cut* a moment
ahead, and the stream is folded around it. Each change carries the instant its
writer stamped it (arrival, reinstatement, void). From the moment the cut is set,
changes stamped at or after it are counted apart; once ``SETTLE_SECONDS`` past it
every change stamped before it has landed, so the recount of the table *as of the
cut* (:func:`chalicelib.domain.changes.counted_at`) is exactly the changes before
it; the totals become that recount plus what was counted apart, and changes stamped
before the cut are skipped from then on. Every change is counted once: before the
cut by the recount, after it by the fold.
"""
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chalicelib.domain.changes import CountChange, counted_at
from chalicelib.domain.totals import Tally
from chalicelib.storage import (
    MARK_LIFETIME,
    Fold,
    ProvisionalState,
    StaleWrite,
    TallyStore,
    batch_shard,
    count_change,
)

log = logging.getLogger(__name__)
_ATTEMPTS = 6            # reads and conditional writes, when other writers keep coming first
_COUNTS_PER_WRITE = 100  # distinct counts in one UpdateItem (its expression may be 4 KB; moto's parser recurses)


@dataclass
class FoldSummary:
    """What one batch changed: per campaign, how many changes were folded and how many
    had been folded before (a batch delivered again)."""
    shard_id: str
    records: int
    folded: dict = field(default_factory=dict)
    skipped: dict = field(default_factory=dict)

    def response(self) -> dict:
        """What the handler answers Lambda: a tumbling window's invocation must answer a
        ``state`` (kept by Lambda until the window closes); the state is in DynamoDB."""
        return {"state": {}}


def fold_batch(store: TallyStore, event: dict, now: datetime) -> FoldSummary:
    """Fold one Lambda batch of the table's stream into the campaigns' provisional totals.

    Raises NotAStreamBatch for an event without its stream shard, and StaleWrite or
    StorageUnavailable when a campaign could not be folded (Lambda delivers it again).
    """
    shard = batch_shard(event)
    summary = FoldSummary(shard, len(event["Records"]))
    by_campaign: dict[str, list[CountChange]] = {}
    for record in event["Records"]:
        change = count_change(record)
        if change is not None:
            by_campaign.setdefault(change.campaign_id, []).append(change)
    for campaign_id, changes in by_campaign.items():
        folded = fold_campaign(store, campaign_id, shard, changes, now)
        summary.folded[campaign_id] = folded
        summary.skipped[campaign_id] = len(changes) - folded
    return summary


def fold_campaign(store: TallyStore, campaign_id: str, shard: str, changes: list, now: datetime) -> int:
    """Fold one shard's ``changes`` of one campaign; how many were not folded before."""
    changes = sorted(changes, key=lambda change: change.sequence)
    return sum(_fold_part(store, campaign_id, shard, part, now) for part in _parts(changes))


def _parts(changes):
    """The changes in runs whose counts fit one update expression, in sequence order."""
    part, counts = [], set()
    for change in changes:
        mine = {(kind, key) for kind, key, _ in Tally.of([change.report]).counters()}
        if part and len(counts | mine) > _COUNTS_PER_WRITE:
            yield part
            part, counts = [], set()
        part.append(change)
        counts |= mine
    if part:
        yield part


def _fold_part(store, campaign_id, shard, changes, now) -> int:
    first, last = changes[0], changes[-1]
    ats = [change.at for change in changes]
    state = store.fold_unread(campaign_id, Fold(shard, last.sequence, _tally(changes)), first.sequence,
                              min(ats), max(ats), now)
    if state is not None:
        _forget_old_marks(store, campaign_id, state, shard, now)
        return len(changes)
    for _ in range(_ATTEMPTS):
        read = store.get_provisional(campaign_id)
        mark = read.marks.get(shard) if read else None
        new = [change for change in changes if mark is None or change.sequence > mark.sequence]
        if not new:
            return 0
        if store.fold_read(campaign_id, _routed(shard, new, read), read, now) is not None:
            return len(new)
    raise StaleWrite(f"{campaign_id}: the provisional totals kept changing; the batch is delivered again")


def _routed(shard, changes, read: ProvisionalState | None) -> Fold:
    """``changes`` as a fold into ``read``: those before a completed rebuild's cut are in its
    recount already; those from a pending rebuild's cut on are counted apart."""
    since, cut = (read.since, read.cut) if read else (None, None)
    kept = [change for change in changes if since is None or change.at >= since]
    before = [change for change in kept if cut is None or change.at < cut]
    after = [change for change in kept if cut is not None and change.at >= cut]
    return Fold(shard, changes[-1].sequence, _tally(before), _tally(after))


def _tally(changes) -> Tally:
    tally = Tally()
    for change in changes:
        tally.add(change.report, change.sign)
    return tally


def _forget_old_marks(store, campaign_id, state, shard, now):
    old = {other: mark for other, mark in state.marks.items() if other != shard and now - mark.at > MARK_LIFETIME}
    if old and not store.forget_marks(campaign_id, old):
        log.info("campaign %s: old stream marks changed meanwhile; kept for the next fold", campaign_id,
                 extra={"campaign_id": campaign_id})


# -- rebuilding -------------------------------------------------------------------

def request_rebuild(store: TallyStore, campaign_id: str, now: datetime, settle: timedelta) -> datetime | None:
    """Start counting a campaign's provisional totals again from the table, at a cut
    ``settle`` from ``now``; the cut, or None if a rebuild is pending already. The
    scheduled job completes it (:func:`complete_rebuild`) once the cut has settled."""
    cut = now + settle
    return cut if store.request_rebuild(campaign_id, cut) else None


def complete_rebuild(store: TallyStore, campaign, now: datetime, settle: timedelta,
                     read: ProvisionalState | None = None) -> bool:
    """Finish a pending rebuild whose cut is ``settle`` or more in the past; False if
    there is none, or it is not due yet. ``read``: the provisional totals, just read."""
    read = read or store.get_provisional(campaign.campaign_id)
    if read is None or read.cut is None or now < read.cut + settle:
        return False
    cut = read.cut
    recount = Tally.of(report for report in store.stored_reports(campaign) if counted_at(report, cut))
    for _ in range(_ATTEMPTS):   # folds go on meanwhile: add what they counted apart, as read last
        if store.complete_rebuild(campaign.campaign_id, recount, read, now):
            log.info("campaign %s: provisional totals rebuilt as of %s", campaign.campaign_id, cut,
                     extra={"campaign_id": campaign.campaign_id})
            return True
        read = store.get_provisional(campaign.campaign_id)
        if read.cut != cut:
            return False   # another run completed it
    raise StaleWrite(f"{campaign.campaign_id}: the provisional totals kept changing during the rebuild")
