"""An audit entry as stored: one staff action on a campaign (``AUDIT#<id>``), with who,
why and when, and no supporter's personal data. Entries are written in the transaction
that makes the change they record (storage.audit, campaigns, outcomes) and read back by
:meth:`chalicelib.storage.audit.AuditStorage.audit_entries`."""
import uuid
from datetime import datetime

from chalicelib.domain import clock
from chalicelib.storage.keys import audit_partition

DEADLINE_MOVED = "deadline_moved"      # an open campaign's deadline changed (details: old and new deadline)
OUTCOME = "outcome"                    # an outcome recorded or changed (details: status, on, revision)
ENTRY_FIELDS = {"pk", "sk", "action", "report_id", "by", "reason", "at"}   # the rest are details


def audit_item(campaign_id: str, action: str, by: str, reason: str, at: datetime, report_id: str = "",
               **details: str) -> dict:
    """A new audit entry as stored (create-only: put it with ``attribute_not_exists(pk)``)."""
    stamp = clock.format_timestamp(at)
    return {"pk": audit_partition(campaign_id), "sk": f"{stamp}#{uuid.uuid4().hex}", "action": action,
            "report_id": report_id, "by": by, "reason": reason, "at": stamp, **details}
