"""The table's stream, read back: which records change what the totals count.

A stream record carries an item before and after one write, in DynamoDB's own JSON.
Only report items matter here; each record of one becomes at most one
:class:`~chalicelib.domain.changes.CountChange`: an unflagged report stored (+1), a
flagged one reinstated (+1), a counted one voided or deleted (-1). Everything else
(replays write nothing; an erasure of names and emails, a campaign, the totals
themselves) changes no count and yields nothing. The images hold personal data
(names, emails): they are read here and never logged.
"""
from datetime import datetime, timezone

from chalicelib.domain import clock
from chalicelib.domain.changes import CountChange
from chalicelib.storage.reports import report_from_item
from chalicelib.storage.table import from_wire

_REPORT_PREFIX = "REPORTS#"
SHARD_FIELD = "shardId"   # where Lambda names the stream shard of a batch (tumbling windows only)


class NotAStreamBatch(ValueError):
    """The event is not a batch of one stream shard's records, as the fold needs it."""


def batch_shard(event: dict) -> str:
    """The stream shard whose records ``event`` carries. Lambda names it only when the event
    source mapping has a tumbling window (see infra/stack.py); without it, or for anything
    but a DynamoDB stream batch, this raises NotAStreamBatch."""
    shard = event.get(SHARD_FIELD)
    if not isinstance(shard, str) or not shard or not isinstance(event.get("Records"), list):
        raise NotAStreamBatch("the event names no stream shard: the event source mapping needs its "
                              "tumbling window (TumblingWindowInSeconds), see docs/deploy.md")
    return shard


def count_change(record: dict) -> CountChange | None:
    """What one stream record changes in a campaign's count, if anything."""
    details = record.get("dynamodb") or {}
    keys = details.get("Keys") or {}
    if not keys.get("pk", {}).get("S", "").startswith(_REPORT_PREFIX):
        return None
    old = _report(details.get("OldImage"))
    new = _report(details.get("NewImage"))
    sequence = int(details["SequenceNumber"])
    if _counts(new) and not _counts(old):
        at = new.received_at if old is None else (new.reinstatement.at if new.reinstatement else _arrived(details))
        return CountChange(new.campaign_id, sequence, new, 1, at)
    if _counts(old) and not _counts(new):
        at = new.void.at if new is not None and new.void else _arrived(details)
        return CountChange(old.campaign_id, sequence, old, -1, at)
    return None


def _report(image):
    if not image:
        return None
    return report_from_item(from_wire(image))


def _counts(report) -> bool:
    return report is not None and report.excluded is None


def _arrived(details) -> datetime:
    """When the stream took the record (a change the item itself does not stamp)."""
    stamp = details.get("ApproximateCreationDateTime")
    if isinstance(stamp, datetime):
        return stamp.astimezone(timezone.utc)
    if isinstance(stamp, (int, float)):
        return datetime.fromtimestamp(stamp, timezone.utc)
    return clock.now()
