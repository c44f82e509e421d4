"""Staff decisions on one report (a void, a reinstatement) and the audit trail they leave.

Each decision is one transaction: the report's update, an audit entry (who,
why, when: no supporter's personal data) and the campaign's counter raised,
which tells the scheduled job to count again (and, voiding an offline tally, its entry
in the campaign's list of tallies marked). Staff changes to the campaign
itself (a deadline moved, an outcome recorded) leave entries in the same trail,
with no ``report_id``, written in the transaction that makes the change
(:func:`chalicelib.storage.trail.audit_item`).
"""
from dataclasses import dataclass, field
from typing import Callable
from datetime import datetime

from boto3.dynamodb.conditions import Key

from chalicelib.domain import clock
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.report import Reinstatement, Report, StaffDecision, Void
from chalicelib.storage.campaigns import PUBLICATION_DUE, stored_state
from chalicelib.storage.keys import audit_partition, campaign_key, report_key
from chalicelib.storage.reports import FLAGGED, VOID, ReportNotFound, report_from_item
from chalicelib.storage.tallies import tally_void_update
from chalicelib.storage.table import StaleWrite, StorageUnavailable, Table, from_wire
from chalicelib.storage.trail import ENTRY_FIELDS, audit_item

REINSTATE = "reinstate"                # the audit action of a flagged report put into the count


class AlreadyExcluded(Exception):
    """The report is already left out of the totals (voided, or excluded otherwise)."""

    def __init__(self, report: Report):
        super().__init__(report.report_id)
        self.report = report


class NotFlagged(AlreadyExcluded):
    """The report is not flagged (any more): counted, reinstated already, or voided.
    ``report`` is as stored, so the caller can say which."""


@dataclass(frozen=True)
class AuditEntry:
    """One staff action on a campaign's reports; no supporter's personal data."""
    campaign_id: str
    action: str
    report_id: str
    by: str
    reason: str
    at: datetime
    details: dict = field(default_factory=dict, hash=False)   # campaign changes: what changed


class AuditStorage:
    _table: Table
    forget_campaign: Callable[[str], None]

    def void_report(self, campaign: Campaign, report: Report, void: Void, publication_due: bool) -> None:
        """Void ``report``: mark it, write the audit entry and count the void, all or nothing.

        ``campaign`` is the one read before: if its state changed since (it
        closed), StaleWrite, and the caller decides again. ``publication_due``
        puts a closed campaign in line for a new version of its totals.
        Raises ReportNotFound or AlreadyExcluded when the report cannot be voided.
        """
        self._decide_on_report(
            campaign, report, VOID, void, "void_count", publication_due, AlreadyExcluded,
            report_update="SET excluded = :void, void_reason = :reason, voided_by = :by, voided_at = :at",
            report_condition="attribute_exists(pk) AND attribute_not_exists(excluded)",
            report_values={":void": VOID})

    def reinstate_report(self, campaign: Campaign, report: Report, reinstatement: Reinstatement,
                         publication_due: bool) -> None:
        """Put a flagged ``report`` into the count: unmark it, write the audit entry and
        count the reinstatement, all or nothing. Its ``flag_reason`` stays, for the record.

        As :meth:`void_report`, with StaleWrite if the campaign's state changed
        since ``campaign`` was read. Raises ReportNotFound, or NotFlagged when the
        report is not flagged now (counted, reinstated already, or voided).
        """
        self._decide_on_report(
            campaign, report, REINSTATE, reinstatement, "reinstated_count", publication_due, NotFlagged,
            report_update="REMOVE excluded SET reinstate_reason = :reason, reinstated_by = :by, reinstated_at = :at",
            report_condition="attribute_exists(pk) AND excluded = :flagged",
            report_values={":flagged": FLAGGED})

    def _decide_on_report(self, campaign, report, action, decision: StaffDecision, counter, publication_due,
                          refused, *, report_update, report_condition, report_values):
        """One staff decision on a report, as one transaction. ``report_update`` may use
        ``:by``, ``:reason`` and ``:at`` (the decision's). ``refused`` is raised with the
        stored report when the report's condition fails."""
        at = clock.format_timestamp(decision.at)
        report_values = {**report_values, ":by": decision.by, ":reason": decision.reason, ":at": at}
        audit = audit_item(campaign.campaign_id, action, decision.by, decision.reason, decision.at,
                           report.report_id)
        campaign_update = f"ADD {counter} :one" + (" SET campaign_state = :due" if publication_due else "")
        campaign_values = {":one": 1, ":seen": stored_state(campaign)}
        if publication_due:
            campaign_values[":due"] = PUBLICATION_DUE
        # A voided offline tally leaves its campaign's list of tallies too, in the same write.
        also = [tally_void_update(campaign.campaign_id, report, report_values)] if (
            report.offline is not None and action == VOID) else []
        items = [
            {"Update": {"Key": report_key(campaign, report.submission_id),
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD", "UpdateExpression": report_update,
                        "ConditionExpression": report_condition, "ExpressionAttributeValues": report_values}},
            {"Put": {"Item": audit, "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Update": {"Key": campaign_key(campaign.campaign_id), "UpdateExpression": campaign_update,
                        "ConditionExpression": "campaign_state = :seen",
                        "ExpressionAttributeValues": campaign_values}},
            *also,
        ]
        self.forget_campaign(campaign.campaign_id)
        reasons = self._table.transact(items)
        if not reasons:
            return
        report_reason, campaign_reason = reasons[0], reasons[2]
        if report_reason.get("Code") == "ConditionalCheckFailed":
            old = report_reason.get("Item")
            if not old:
                raise ReportNotFound(report.report_id)
            raise refused(report_from_item(from_wire(old)))
        if campaign_reason.get("Code") == "ConditionalCheckFailed":
            raise StaleWrite(campaign.campaign_id)
        raise StorageUnavailable(f"{action} of {report.report_id} cancelled: {reasons}")

    def audit_entries(self, campaign_id: str) -> list[AuditEntry]:
        """The campaign's audit trail, oldest first."""
        return [AuditEntry(campaign_id, item["action"], item["report_id"], item["by"], item["reason"],
                           clock.parse_timestamp(item["at"]),
                           {name: value for name, value in item.items() if name not in ENTRY_FIELDS})
                for item in self._table.query(KeyConditionExpression=Key("pk").eq(audit_partition(campaign_id)),
                                              ConsistentRead=True)]
