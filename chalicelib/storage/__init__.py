"""Storage: everything Action Tally keeps in its one DynamoDB table."""
from chalicelib.storage.store import (FLAGGED, REINSTATE, VOID, AlreadyExcluded, AuditEntry, ErasureRecord,  # noqa: F401
                                      NotFlagged, ProvisionalState, ReportNotFound, StaffSession, StaffToken,
                                      StaleWrite, StorageUnavailable, TallyStore)
