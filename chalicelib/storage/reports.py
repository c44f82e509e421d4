"""Report items: one per submission id, in the campaign's shard partitions. Every
change to one reaches the table's stream, which the provisional totals are folded
from (:mod:`chalicelib.counting.folding`); no index holds reports.

A report with ``excluded`` set is kept but never counted: "void" when staff
voided it, "flagged" when it failed an abuse check (``flag_reason`` says which)
and awaits staff review.

An offline tally staff entered is a report with an ``offline`` map (source, who entered it
and when, the day its actions were taken): :mod:`chalicelib.storage.tallies`.

A v2 report also carries ``per_target`` (``{target: {action: count}}``) and a group's
report ``participants`` (left out when 1, as for every report stored before).
"""
from dataclasses import replace
from datetime import date, datetime

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from chalicelib.domain import clock
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.report import Offline, Reinstatement, Report, ReportInput, Void, shard_for
from chalicelib.storage.keys import campaign_of_report_partition, report_key, report_partition
from chalicelib.storage.table import Table, from_wire, is_condition_failure, translate_errors

RECEIPT_MEMORY_SECONDS = 3600          # how long a process answers replays of its reports from memory
VOID = "void"                          # the ``excluded`` marker of a voided report
FLAGGED = "flagged"                    # the ``excluded`` marker of a report awaiting review


class ReportNotFound(Exception):
    """No report of the campaign has that id."""


class ReportStorage:
    _table: Table
    _recent: dict

    def record_report(self, campaign: Campaign, report: ReportInput, report_id: str,
                      received_at: datetime, flag_reason: str | None = None) -> tuple[Report, bool]:
        """Store ``report`` once per submission id.

        Returns the stored report and True, or, for a replay, the report stored
        the first time and False. One conditional write either way. With a
        ``flag_reason`` the report is stored flagged: kept for staff review,
        never counted.
        """
        item = _report_to_item(campaign, report, report_id, received_at, flag_reason)
        try:
            with translate_errors():
                self._table.resource.put_item(Item=item, ConditionExpression=Attr("pk").not_exists(),
                                              ReturnValuesOnConditionCheckFailure="ALL_OLD")
            return self._remember(report_from_item(item)), True
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            old = error.response.get("Item")
        if old:
            old = from_wire(old)
        else:  # some emulators do not return the old item
            old = self._table.get({"pk": item["pk"], "sk": item["sk"]})
        return self._remember(report_from_item(old)), False

    def get_report(self, campaign: Campaign, submission_id: str) -> Report | None:
        """The report stored under ``submission_id``, read consistently."""
        item = self._table.get(report_key(campaign, submission_id))
        return report_from_item(item) if item else None

    def recorded_here(self, campaign: Campaign, submission_id: str, now: datetime) -> Report | None:
        """The report under ``submission_id`` if this process recorded it (or was told it
        exists) in the last hour: what a replay's receipt needs, with no call to DynamoDB.
        Stored reports never change what a receipt shows; names and emails are not kept."""
        return self._recent["receipts"].get((campaign.campaign_id, submission_id), now, RECEIPT_MEMORY_SECONDS)

    def _remember(self, report: Report) -> Report:
        receipt = replace(report, name=None, contact_email=None)
        self._recent["receipts"].put((report.campaign_id, report.submission_id), receipt, report.received_at)
        return report

    def all_reports(self, campaign: Campaign):
        """Every counted report of the campaign, read consistently from the table itself."""
        yield from self._shard_reports(campaign, FilterExpression=Attr("excluded").not_exists())

    def stored_reports(self, campaign: Campaign):
        """Every report of the campaign, counted or not, with its exclusion, from the table."""
        yield from self._shard_reports(campaign)

    def flagged_reports(self, campaign: Campaign) -> list[Report]:
        """Reports stored flagged (and so left out of totals), oldest first, for staff review."""
        flagged = self._shard_reports(campaign, FilterExpression=Attr("excluded").eq(FLAGGED))
        return sorted(flagged, key=lambda report: (report.received_at, report.submission_id))

    def find_report(self, campaign: Campaign, report_id: str) -> Report | None:
        """The report with ``report_id`` (the id a supporter's receipt shows).

        Reports are keyed by submission id, so this reads every shard partition
        with a filter: fine for a rare staff action, not for a hot path.
        """
        return next(self._shard_reports(campaign, FilterExpression=Attr("report_id").eq(report_id)), None)

    def has_reports(self, campaign: Campaign) -> bool:
        return any(self._table.query_page(
            KeyConditionExpression=Key("pk").eq(report_partition(campaign.campaign_id, shard)),
            Limit=1, Select="COUNT")["Count"] for shard in range(campaign.report_shards))

    def _shard_reports(self, campaign: Campaign, **query):
        for shard in range(campaign.report_shards):
            yield from (report_from_item(item) for item in self._table.query(
                ConsistentRead=True,
                KeyConditionExpression=Key("pk").eq(report_partition(campaign.campaign_id, shard)), **query))


def _report_to_item(campaign, report: ReportInput, report_id, received_at, flag_reason=None) -> dict:
    item = {
        "pk": report_partition(campaign.campaign_id, shard_for(report.submission_id, campaign.report_shards)),
        "sk": report.submission_id, "report_id": report_id,
        "received": clock.format_timestamp(received_at),
        "actions": dict(report.actions), "targets": list(report.targets), "country": report.country,
        "consent": report.consent,
    }
    if report.per_target is not None:
        item["per_target"] = {target: dict(counts) for target, counts in report.per_target.items()}
    if report.participants != 1:
        item["participants"] = report.participants
    if report.late:
        item["late"] = True
    if report.name:
        item["name"] = report.name
    if report.contact_email:
        item["contact_email"] = report.contact_email
    if flag_reason:
        item["excluded"], item["flag_reason"] = FLAGGED, flag_reason
    return item


def offline_to_map(offline: Offline) -> dict:
    """An offline tally's ``offline`` attribute (see chalicelib.storage.tallies)."""
    return {"source": offline.source, "entered_by": offline.entered_by,
            "entered_at": clock.format_timestamp(offline.entered_at), "acted_on": offline.acted_on.isoformat()}


def offline_from_map(value: dict | None) -> Offline | None:
    if not value:
        return None
    return Offline(value["source"], value["entered_by"], clock.parse_timestamp(value["entered_at"]),
                   date.fromisoformat(value["acted_on"]))


def report_from_item(item: dict) -> Report:
    """A report from a table item (or a stream image of one)."""
    if "received" in item:
        stamp = item["received"]
    else:   # stored before the stream fold: ``<timestamp>#<submission id>``, the arrival LSI's key
        stamp = item["received_at"].partition("#")[0]
    return Report(
        submission_id=item["sk"], actions={k: int(v) for k, v in item["actions"].items()},
        targets=tuple(item["targets"]), country=item["country"], name=item.get("name"),
        contact_email=item.get("contact_email"), consent=bool(item.get("consent", False)),
        per_target={target: {action: int(n) for action, n in counts.items()}
                    for target, counts in item["per_target"].items()} if "per_target" in item else None,
        participants=int(item.get("participants", 1)), late=bool(item.get("late", False)),
        campaign_id=campaign_of_report_partition(item["pk"]), report_id=item["report_id"],
        received_at=clock.parse_timestamp(stamp), excluded=item.get("excluded"),
        void=Void(item["voided_by"], item["void_reason"], clock.parse_timestamp(item["voided_at"]))
        if "voided_at" in item else None,
        flag_reason=item.get("flag_reason"),
        reinstatement=Reinstatement(item["reinstated_by"], item["reinstate_reason"],
                                    clock.parse_timestamp(item["reinstated_at"]))
        if "reinstated_at" in item else None,
        offline=offline_from_map(item.get("offline")),
    )
