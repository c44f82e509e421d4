"""Offline tallies: each is stored as a report item (so the stream fold, the close's recount
and voids count it as any report) with an ``offline`` map, plus a small entry in its
campaign's list (``TALLIES#<id>``), so that listing a campaign's tallies is one query of
that partition and never a read of every report.

Entering tallies is one transaction: for each tally its report (create-only), its list
entry and an audit entry, and the campaign's ``offline_count`` raised by the number of
tallies, conditional on the campaign's state being as read. A closed campaign is put in
line for a new version of its final totals in the same write
(:mod:`chalicelib.counting.offline`). A void of a tally marks its list entry too, in the
void's own transaction (:mod:`chalicelib.storage.audit`).
"""
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Callable

from boto3.dynamodb.conditions import Key

from chalicelib.domain import clock
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.report import Offline, Report
from chalicelib.domain.tallies import TallyInput
from chalicelib.storage.campaigns import PUBLICATION_DUE, stored_state
from chalicelib.storage.keys import audit_partition, campaign_key, tally_key, tally_partition
from chalicelib.storage.reports import VOID, _report_to_item, offline_to_map, report_from_item
from chalicelib.storage.table import StaleWrite, StorageUnavailable, Table, from_wire

TALLY = "tally"                 # the audit action of an offline tally entered
TALLIES_PER_TRANSACTION = 33    # three items each, and the campaign's: DynamoDB takes 100 a transaction


class TallyIdTaken(Exception):
    """The tally id is a supporter's report's submission id: nothing was written."""


@dataclass(frozen=True)
class TallyEntry:
    """An offline tally as its campaign's list holds it: no supporter's personal data."""
    tally_id: str
    report_id: str
    source: str
    entered_by: str
    entered_at: datetime
    acted_on: date
    country: str
    participants: int
    per_target: dict          # {target: {action: count}}
    counted: bool
    voided_by: str | None = None
    voided_at: datetime | None = None
    void_reason: str | None = None

    @property
    def actions(self) -> dict:
        """``{action: count}`` over every official."""
        totals = {}
        for counts in self.per_target.values():
            for action, count in counts.items():
                totals[action] = totals.get(action, 0) + count
        return totals


class TallyStorage:
    _table: Table
    forget_campaign: Callable[[str], None]

    def record_tallies(self, campaign: Campaign, tallies: list[TallyInput], entered_by: str, now: datetime,
                       publication_due: bool) -> list[tuple[Report, bool]]:
        """Store ``tallies`` (at most TALLIES_PER_TRANSACTION) in one transaction, each once per
        tally id: ``(report, created)`` for each, in order; a tally stored before comes back as
        it was stored, with False. ``campaign`` is the one read before: if its state changed
        since, StaleWrite and nothing is written. ``publication_due`` puts a closed campaign in
        line for a new version of its totals.

        If some of the tallies were stored before, each is then written alone (so the others
        are still stored once): a file sent again after a failure half-way completes."""
        if len(tallies) > TALLIES_PER_TRANSACTION:
            raise ValueError(f"at most {TALLIES_PER_TRANSACTION} tallies a transaction")
        prepared = [self._tally_items(campaign, tally, entered_by, now) for tally in tallies]
        items = [item for _, writes in prepared for item in writes]
        items.append(self._campaign_update(campaign, len(tallies), publication_due))
        self.forget_campaign(campaign.campaign_id)
        reasons = self._table.transact(items)
        if not reasons:
            return [(report_from_item(report), True) for report, _ in prepared]
        stored_before = [self._stored(campaign, tally, reason) for tally, reason in zip(tallies, reasons[:-1:3])
                         if reason.get("Code") == "ConditionalCheckFailed"]
        taken = [report for report in stored_before if report.offline is None]
        if taken:   # before anything more is written: a supporter's report is not a tally
            raise TallyIdTaken(taken[0].submission_id)
        if stored_before and len(tallies) == 1:
            return [(stored_before[0], False)]
        if stored_before:
            return self._record_one_by_one(campaign, tallies, entered_by, now, publication_due)
        if reasons[-1].get("Code") == "ConditionalCheckFailed":
            raise StaleWrite(campaign.campaign_id)
        raise StorageUnavailable(f"offline tallies of {campaign.campaign_id} cancelled: {reasons}")

    def _stored(self, campaign, tally, reason) -> Report:
        """The report a cancelled put found under ``tally``'s id (read if the answer lacks it)."""
        old = reason.get("Item")
        return report_from_item(from_wire(old)) if old else self.get_report(campaign, tally.tally_id)

    def _record_one_by_one(self, campaign, tallies, entered_by, now, publication_due):
        results = []
        for tally in tallies:
            results.append(self.record_tallies(campaign, [tally], entered_by, now, publication_due)[0])
            if results[-1][1] and publication_due:
                campaign = replace(campaign, publication_due=True)   # as that write left it
        return results

    def _tally_items(self, campaign, tally: TallyInput, entered_by, now):
        """The report item and the three writes of one tally."""
        offline = Offline(tally.source, entered_by, now, tally.acted_on)
        report = _report_to_item(campaign, tally.report, uuid.uuid4().hex, now)
        report["offline"] = offline_to_map(offline)
        at = clock.format_timestamp(now)
        entry = {**tally_key(campaign.campaign_id, tally.tally_id), "report_id": report["report_id"],
                 "country": report["country"], "participants": tally.report.participants,
                 "per_target": report["per_target"], **report["offline"]}
        audit = {"pk": audit_partition(campaign.campaign_id), "sk": f"{at}#{uuid.uuid4().hex}", "action": TALLY,
                 "report_id": report["report_id"], "by": entered_by, "reason": f"offline tally: {tally.source}",
                 "at": at}
        return report, [
            {"Put": {"Item": report, "ConditionExpression": "attribute_not_exists(pk)",
                     "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            {"Put": {"Item": entry, "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"Item": audit, "ConditionExpression": "attribute_not_exists(pk)"}},
        ]

    @staticmethod
    def _campaign_update(campaign, count, publication_due):
        values = {":n": count, ":seen": stored_state(campaign)}
        update = "ADD offline_count :n"
        if publication_due:
            update += " SET campaign_state = :due"
            values[":due"] = PUBLICATION_DUE
        return {"Update": {"Key": campaign_key(campaign.campaign_id), "UpdateExpression": update,
                           "ConditionExpression": "campaign_state = :seen", "ExpressionAttributeValues": values}}

    def tally_entries(self, campaign_id: str) -> list[TallyEntry]:
        """The campaign's offline tallies, counted or voided, in the order they were entered:
        one query of the campaign's list (a page a MB), never a read of its reports."""
        entries = [_entry_from_item(item) for item in self._table.query(
            KeyConditionExpression=Key("pk").eq(tally_partition(campaign_id)), ConsistentRead=True)]
        return sorted(entries, key=lambda entry: (entry.entered_at, entry.tally_id))


def tally_void_update(campaign_id: str, report: Report, values: dict) -> dict:
    """The write that marks a voided tally's list entry, for the void's own transaction;
    ``values`` are the void's ``:by``, ``:reason`` and ``:at``."""
    return {"Update": {"Key": tally_key(campaign_id, report.submission_id),
                       "UpdateExpression": "SET excluded = :void, voided_by = :by, void_reason = :reason, "
                                           "voided_at = :at",
                       "ConditionExpression": "attribute_exists(pk)",
                       "ExpressionAttributeValues": {":void": VOID, ":by": values[":by"],
                                                     ":reason": values[":reason"], ":at": values[":at"]}}}


def _entry_from_item(item) -> TallyEntry:
    return TallyEntry(
        tally_id=item["sk"], report_id=item["report_id"], source=item["source"], entered_by=item["entered_by"],
        entered_at=clock.parse_timestamp(item["entered_at"]), acted_on=date.fromisoformat(item["acted_on"]),
        country=item["country"], participants=int(item.get("participants", 1)),
        per_target={target: {action: int(n) for action, n in counts.items()}
                    for target, counts in item["per_target"].items()},
        counted="excluded" not in item, voided_by=item.get("voided_by"),
        voided_at=clock.parse_timestamp(item["voided_at"]) if "voided_at" in item else None,
        void_reason=item.get("void_reason"))
