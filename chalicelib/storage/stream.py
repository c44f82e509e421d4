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
# What a count needs of a report image (never its name or email).
_COUNTED = ("pk", "sk", "report_id", "received", "received_at", "actions", "targets", "country", "flag_reason",
            "per_target", "participants", "late")
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
    """What one stream record changes in a campaign's count, if anything.

    Most records change nothing (a flagged report, an erasure): the images are read
    in full only for one that does, and then only the report's counted fields.
    """
    details = record.get("dynamodb") or {}
    keys = details.get("Keys") or {}
    if not keys.get("pk", {}).get("S", "").startswith(_REPORT_PREFIX):
        return None
    old, new = details.get("OldImage"), details.get("NewImage")
    sequence = int(details["SequenceNumber"])
    if _counts(new) and not _counts(old):
        at = (_stamp(new, "received") if old is None else
              _stamp(new, "reinstated_at") if "reinstated_at" in new else _arrived(details))
        report = _counted(new)
        return CountChange(report.campaign_id, sequence, report, 1, at)
    if _counts(old) and not _counts(new):
        at = _stamp(new, "voided_at") if new and "voided_at" in new else _arrived(details)
        report = _counted(old)
        return CountChange(report.campaign_id, sequence, report, -1, at)
    return None


def _counts(image) -> bool:
    """An image of a report that counts: stored, and not excluded (voided or flagged)."""
    return bool(image) and "excluded" not in image


def _counted(image):
    """The report in ``image``, as far as counting needs it (no personal data is read)."""
    wanted = {name: image[name] for name in _COUNTED if name in image}
    return report_from_item(from_wire(wanted))


def _stamp(image, name) -> datetime:
    if name == "received" and name not in image:   # stored before the stream fold
        return clock.parse_timestamp(image["received_at"]["S"].partition("#")[0])
    return clock.parse_timestamp(image[name]["S"])


def _arrived(details) -> datetime:
    """When the stream took the record (a change the item itself does not stamp)."""
    stamp = details.get("ApproximateCreationDateTime")
    if isinstance(stamp, datetime):
        return stamp.astimezone(timezone.utc)
    if isinstance(stamp, (int, float)):
        return datetime.fromtimestamp(stamp, timezone.utc)
    return clock.now()
