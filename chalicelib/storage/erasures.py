"""Personal data in reports (names and emails, only ever stored with consent):
erasing it by supporter or by campaign, and the erasures' own audit records,
which hold no personal data, not even the hash of the address."""
from dataclasses import dataclass
from datetime import datetime

from boto3.dynamodb.conditions import Attr, Key

from chalicelib.domain import clock
from chalicelib.domain.campaign import CLOSED, Campaign
from chalicelib.storage.campaigns import PUBLICATION_DUE, campaign_from_item
from chalicelib.storage.keys import ERASURES, campaign_key, erasure_key, report_partition
from chalicelib.storage.schema import CAMPAIGNS_BY_STATE, REPORTS_BY_EMAIL
from chalicelib.storage.table import Table


@dataclass(frozen=True)
class ErasureRecord:
    """The audit record of an erasure: what kind, how many reports, who, when."""
    request_id: str
    kind: str               # "supporter" (by email, on request) or "retention" (after close)
    reports_erased: int
    requested_by: str       # a staff token's label, or "scheduler"
    erased_at: datetime
    campaign_id: str | None = None


class ErasureStorage:
    _table: Table

    def erase_supporter_reports(self, email_key: str, erased_at: datetime) -> int:
        """Remove name and email from every report filed under ``email_key``
        (see :func:`chalicelib.domain.report.contact_email_key`); returns how many.

        The index is eventually consistent: a report stored a moment ago may
        be missed, and erasing again later finds it.
        """
        keys = self._table.query(IndexName=REPORTS_BY_EMAIL,
                                 KeyConditionExpression=Key("contact_email_hash").eq(email_key))
        return sum(self._erase_personal_fields(item, erased_at, Attr("contact_email_hash").eq(email_key))
                   for item in list(keys))

    def erase_campaign_personal_data(self, campaign: Campaign, erased_at: datetime) -> int:
        """Remove names and emails from every report of ``campaign``; returns how many."""
        with_personal_data = Attr("name").exists() | Attr("contact_email").exists()
        erased = 0
        for shard in range(campaign.report_shards):
            keys = list(self._table.query(
                ConsistentRead=True, ProjectionExpression="pk, sk", FilterExpression=with_personal_data,
                KeyConditionExpression=Key("pk").eq(report_partition(campaign.campaign_id, shard))))
            erased += sum(self._erase_personal_fields(item, erased_at, with_personal_data) for item in keys)
        return erased

    def campaigns_due_for_erasure(self, closed_before: datetime) -> list[Campaign]:
        """Closed campaigns whose deadline is before ``closed_before`` and whose
        reports still may hold personal data (totals still to publish do not delay it)."""
        return [campaign_from_item(item) for state in (CLOSED, PUBLICATION_DUE) for item in self._table.query(
            IndexName=CAMPAIGNS_BY_STATE,
            KeyConditionExpression=(Key("campaign_state").eq(state)
                                    & Key("deadline").lt(clock.format_timestamp(closed_before))),
            FilterExpression=Attr("personal_data_erased_at").not_exists())]

    def mark_personal_data_erased(self, campaign_id: str, erased_at: datetime) -> None:
        self._table.update(campaign_key(campaign_id),
                           "SET personal_data_erased_at = if_not_exists(personal_data_erased_at, :at)",
                           Attr("pk").exists(), {":at": clock.format_timestamp(erased_at)})

    def record_erasure(self, record: ErasureRecord) -> None:
        """Keep the audit record of an erasure (create-only)."""
        item = {**erasure_key(record.erased_at, record.request_id), "request_id": record.request_id,
                "kind": record.kind, "reports_erased": record.reports_erased,
                "requested_by": record.requested_by, "erased_at": clock.format_timestamp(record.erased_at)}
        if record.campaign_id:
            item["campaign_id"] = record.campaign_id
        self._table.put(item, Attr("pk").not_exists())

    def erasure_records(self) -> list[ErasureRecord]:
        """Every erasure's audit record, oldest first."""
        return [ErasureRecord(item["request_id"], item["kind"], int(item["reports_erased"]),
                              item["requested_by"], clock.parse_timestamp(item["erased_at"]),
                              item.get("campaign_id"))
                for item in self._table.query(KeyConditionExpression=Key("pk").eq(ERASURES))]

    def _erase_personal_fields(self, key_item, erased_at, condition) -> bool:
        """False if erased meanwhile by another run or request."""
        return self._table.update(
            {"pk": key_item["pk"], "sk": key_item["sk"]},
            "REMOVE #name, contact_email, contact_email_hash SET personal_data_erased_at = :at",
            Attr("pk").exists() & condition, {":at": clock.format_timestamp(erased_at)}, names={"#name": "name"})
