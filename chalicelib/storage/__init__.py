"""Storage: everything Action Tally keeps in its one DynamoDB table, and the only
code that knows DynamoDB's keys, items and errors. One module per concept
(campaigns, reports, totals, audit, staff credentials, erasures, the table's
stream read back) over one table helper (``table``) and one key layout
(``keys``); ``schema`` is the table's definition; ``recent`` what a process read
a moment ago. :class:`TallyStore` combines them; the rest of the code
imports from here. May import the domain and boto3, nothing else of ours.
"""
from chalicelib.storage.audit import REINSTATE, AlreadyExcluded, AuditEntry, NotFlagged
from chalicelib.storage.erasures import DONE, PENDING, ErasureRecord, ErasureRequest, Position
from chalicelib.storage.reports import FLAGGED, VOID, ReportNotFound
from chalicelib.storage.staff import StaffSession, StaffToken
from chalicelib.storage.store import TallyStore
from chalicelib.storage.tallies import TALLIES_PER_TRANSACTION, TallyEntry, TallyIdTaken
from chalicelib.storage.table import KeyOutOfBounds, StaleWrite, StorageUnavailable
from chalicelib.storage.stream import NotAStreamBatch, batch_shard, count_change
from chalicelib.storage.totals import MARK_LIFETIME, Fold, Mark, ProvisionalState

__all__ = ["REINSTATE", "AlreadyExcluded", "AuditEntry", "NotFlagged", "ErasureRecord", "FLAGGED", "VOID",
           "ReportNotFound", "StaffSession", "StaffToken", "TallyStore", "StaleWrite", "StorageUnavailable",
           "KeyOutOfBounds", "ProvisionalState", "DONE", "PENDING", "ErasureRequest", "Position", "Fold", "Mark",
           "MARK_LIFETIME", "NotAStreamBatch", "batch_shard", "count_change", "TALLIES_PER_TRANSACTION", "TallyEntry",
           "TallyIdTaken"]
