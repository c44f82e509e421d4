"""Report items: one per submission id, in the campaign's shard partitions, also
in the arrival-ordered LSI (without personal data) that the scheduled job counts from.

A report with ``excluded`` set is kept but never counted: "void" when staff
voided it, "flagged" when it failed an abuse check (``flag_reason`` says which)
and awaits staff review.

A v2 report also carries ``per_target`` (``{target: {action: count}}``) and a group's
report ``participants`` (left out when 1, as for every report stored before). The arrival
LSI projects both; that of a table made before them cannot (an LSI's projection never
changes), so the scheduled job asks for what it counts by name, and DynamoDB reads what
such an index lacks from the table (at one more read per report).
"""
from datetime import datetime

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from chalicelib.domain import clock
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.report import Reinstatement, Report, ReportInput, Void, contact_email_key, shard_for
from chalicelib.storage.keys import campaign_of_report_partition, report_key, report_partition
from chalicelib.storage.schema import REPORTS_BY_RECEIVED
from chalicelib.storage.table import Table, from_wire, is_condition_failure, translate_errors

# What counting reads of a report; no personal data (see reports_received_between).
_COUNTED = ("pk", "sk", "received_at", "report_id", "actions", "targets", "country", "excluded", "per_target",
            "participants")
VOID = "void"                          # the ``excluded`` marker of a voided report
FLAGGED = "flagged"                    # the ``excluded`` marker of a report awaiting review


class ReportNotFound(Exception):
    """No report of the campaign has that id."""


class ReportStorage:
    _table: Table

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
            return report_from_item(item), True
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            old = error.response.get("Item")
        if old:
            old = from_wire(old)
        else:  # some emulators do not return the old item
            old = self._table.get({"pk": item["pk"], "sk": item["sk"]})
        return report_from_item(old), False

    def get_report(self, campaign: Campaign, submission_id: str) -> Report | None:
        """The report stored under ``submission_id``, read consistently."""
        item = self._table.get(report_key(campaign, submission_id))
        return report_from_item(item) if item else None

    def reports_received_between(self, campaign: Campaign, start: str, end: str):
        """Counted reports whose arrival stamp is in ``[start, end)``, read consistently.

        Stamps are ``<timestamp>#<submission id>``, so a report stamped exactly
        ``start`` sorts after ``start`` and one stamped ``end`` after ``end``:
        adjacent windows never share or skip a report.
        """
        for shard in range(campaign.report_shards):
            yield from (report_from_item(item) for item in self._table.query(
                IndexName=REPORTS_BY_RECEIVED, ConsistentRead=True,
                KeyConditionExpression=(Key("pk").eq(report_partition(campaign.campaign_id, shard))
                                        & Key("received_at").between(start, end)),
                FilterExpression=Attr("excluded").not_exists(),
                ProjectionExpression=", ".join(f"#{name}" for name in _COUNTED),
                ExpressionAttributeNames={f"#{name}": name for name in _COUNTED}))

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
        "received_at": f"{clock.format_timestamp(received_at)}#{report.submission_id}",
        "actions": dict(report.actions), "targets": list(report.targets), "country": report.country,
        "consent": report.consent,
    }
    if report.per_target is not None:
        item["per_target"] = {target: dict(counts) for target, counts in report.per_target.items()}
    if report.participants != 1:
        item["participants"] = report.participants
    if report.name:
        item["name"] = report.name
    if report.contact_email:
        item["contact_email"] = report.contact_email
        item["contact_email_hash"] = contact_email_key(report.contact_email)
    if flag_reason:
        item["excluded"], item["flag_reason"] = FLAGGED, flag_reason
    return item


def report_from_item(item: dict) -> Report:
    """A report from a table or index item (index items carry no personal data)."""
    stamp, _, submission_id = item["received_at"].partition("#")
    return Report(
        submission_id=submission_id, actions={k: int(v) for k, v in item["actions"].items()},
        targets=tuple(item["targets"]), country=item["country"], name=item.get("name"),
        contact_email=item.get("contact_email"), consent=bool(item.get("consent", False)),
        per_target={target: {action: int(n) for action, n in counts.items()}
                    for target, counts in item["per_target"].items()} if "per_target" in item else None,
        participants=int(item.get("participants", 1)),
        campaign_id=campaign_of_report_partition(item["pk"]), report_id=item["report_id"],
        received_at=clock.parse_timestamp(stamp), excluded=item.get("excluded"),
        void=Void(item["voided_by"], item["void_reason"], clock.parse_timestamp(item["voided_at"]))
        if "voided_at" in item else None,
        flag_reason=item.get("flag_reason"),
        reinstatement=Reinstatement(item["reinstated_by"], item["reinstate_reason"],
                                    clock.parse_timestamp(item["reinstated_at"]))
        if "reinstated_at" in item else None,
    )
