"""Personal data in reports (names and emails, only ever stored with consent):
erasing it by supporter or by campaign, the supporters' erasure requests while they
are worked on, and the erasures' own audit records, which hold no personal data, not
even the hash of the address.

No index leads from an address to its reports (one would cost a write for every
report left with an email): a supporter's reports are found by reading the report
partitions of every campaign that can still hold personal data, a page at a time,
keeping only the reports that carry an email. A request remembers how far it got, so
the work is resumable across scheduled runs.
"""
from dataclasses import dataclass, field
from datetime import datetime

from boto3.dynamodb.conditions import Attr, Key

from chalicelib.domain import clock
from chalicelib.domain.campaign import CLOSED, OPEN, Campaign
from chalicelib.domain.report import contact_email_key
from chalicelib.storage.campaigns import PUBLICATION_DUE, campaign_from_item
from chalicelib.storage.keys import (
    ERASURE_REQUESTS,
    ERASURES,
    campaign_key,
    erasure_key,
    erasure_request_key,
    report_partition,
)
from chalicelib.storage.schema import CAMPAIGNS_BY_STATE
from chalicelib.storage.table import StaleWrite, Table

PENDING, DONE = "pending", "done"
_WITH_PERSONAL_DATA = Attr("name").exists() | Attr("contact_email").exists()


@dataclass(frozen=True)
class ErasureRecord:
    """The audit record of an erasure: what kind, how many reports, who, when."""
    request_id: str
    kind: str               # "supporter" (by email, on request) or "retention" (after close)
    reports_erased: int
    requested_by: str       # a staff token's label, or "scheduler"
    erased_at: datetime
    campaign_id: str | None = None


@dataclass(frozen=True)
class Position:
    """Where a search of the campaigns' reports has got to: the campaign (they are taken
    in id order), its shard partition, and the page's DynamoDB key within it."""
    campaign_id: str | None = None
    shard: int = 0
    page_key: dict | None = None


@dataclass(frozen=True)
class ErasureRequest:
    """A supporter's request to be erased, pending or done."""
    request_id: str
    requested_by: str
    requested_at: datetime
    status: str = PENDING
    reports_erased: int = 0
    finished_at: datetime | None = None
    email_key: str | None = None    # only while pending: see contact_email_key (personal data)
    position: Position = field(default_factory=Position)
    step: int = 0                   # raised by every save of progress


class ErasureStorage:
    _table: Table

    # -- requests by supporters -------------------------------------------------------

    def record_erasure_request(self, request: ErasureRequest) -> None:
        """Keep a new request (create-only)."""
        self._table.put({**erasure_request_key(request.request_id), **_request_to_item(request)},
                        Attr("pk").not_exists())

    def get_erasure_request(self, request_id: str) -> ErasureRequest | None:
        item = self._table.get(erasure_request_key(request_id))
        return _request_from_item(item) if item else None

    def pending_erasure_requests(self) -> list[ErasureRequest]:
        """Requests still being worked on, oldest first."""
        requests = [_request_from_item(item) for item in self._table.query(
            KeyConditionExpression=Key("pk").eq(ERASURE_REQUESTS), FilterExpression=Attr("status").eq(PENDING),
            ConsistentRead=True)]
        return sorted(requests, key=lambda request: (request.requested_at, request.request_id))

    def save_erasure_progress(self, request: ErasureRequest, previous: ErasureRequest) -> None:
        """Store how far ``request`` got (or that it is done, forgetting its email key) if it
        is still as ``previous``; StaleWrite if another run moved it meanwhile."""
        condition = Attr("status").eq(PENDING) & Attr("step").eq(previous.step)
        item = {**erasure_request_key(request.request_id), **_request_to_item(request), "step": previous.step + 1}
        self._table.put(item, condition)

    def campaigns_with_personal_data(self) -> list[Campaign]:
        """Campaigns whose reports may still hold names or emails: open ones, and closed ones
        not yet erased after the retention period; in campaign id order."""
        campaigns = [campaign_from_item(item) for state in (OPEN, CLOSED, PUBLICATION_DUE)
                     for item in self._table.query(IndexName=CAMPAIGNS_BY_STATE,
                                                   KeyConditionExpression=Key("campaign_state").eq(state),
                                                   FilterExpression=Attr("personal_data_erased_at").not_exists())]
        return sorted(campaigns, key=lambda campaign: campaign.campaign_id)

    def erase_supporter_page(self, campaign: Campaign, shard: int, page_key: dict | None, email_key: str,
                             erased_at: datetime) -> tuple[int, dict | None]:
        """Read one page of a shard partition's reports (from ``page_key``), erase those
        whose email has ``email_key``; how many, and the next page's key (None: the end)."""
        query = {"ConsistentRead": True, "FilterExpression": Attr("contact_email").exists(),
                 "ProjectionExpression": "pk, sk, contact_email",
                 "KeyConditionExpression": Key("pk").eq(report_partition(campaign.campaign_id, shard))}
        if page_key:
            query["ExclusiveStartKey"] = page_key
        page = self._table.query_page(**query)
        erased = sum(self._erase_personal_fields(item, erased_at, Attr("contact_email").eq(item["contact_email"]))
                     for item in page["Items"] if contact_email_key(item["contact_email"]) == email_key)
        return erased, page.get("LastEvaluatedKey")

    # -- after the retention period ------------------------------------------------------

    def erase_campaign_personal_data(self, campaign: Campaign, erased_at: datetime) -> int:
        """Remove names and emails from every report of ``campaign``; returns how many."""
        erased = 0
        for shard in range(campaign.report_shards):
            keys = list(self._table.query(
                ConsistentRead=True, ProjectionExpression="pk, sk", FilterExpression=_WITH_PERSONAL_DATA,
                KeyConditionExpression=Key("pk").eq(report_partition(campaign.campaign_id, shard))))
            erased += sum(self._erase_personal_fields(item, erased_at, _WITH_PERSONAL_DATA) for item in keys)
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

    # -- audit records -------------------------------------------------------------------

    def record_erasure(self, record: ErasureRecord, filed_at: datetime | None = None) -> None:
        """Keep the audit record of an erasure, filed under ``filed_at`` (by default when it
        was erased) and its request id; filing it again changes nothing."""
        item = {**erasure_key(filed_at or record.erased_at, record.request_id), "request_id": record.request_id,
                "kind": record.kind, "reports_erased": record.reports_erased,
                "requested_by": record.requested_by, "erased_at": clock.format_timestamp(record.erased_at)}
        if record.campaign_id:
            item["campaign_id"] = record.campaign_id
        try:
            self._table.put(item, Attr("pk").not_exists())
        except StaleWrite:
            pass

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


def _position_to_item(position: Position) -> dict:
    item = {"shard": position.shard}
    if position.campaign_id:
        item["campaign_id"] = position.campaign_id
    if position.page_key:
        item["page_key"] = position.page_key
    return item


def _request_to_item(request: ErasureRequest) -> dict:
    item = {"request_id": request.request_id, "requested_by": request.requested_by,
            "requested_at": clock.format_timestamp(request.requested_at), "status": request.status,
            "reports_erased": request.reports_erased, "position": _position_to_item(request.position),
            "step": request.step}
    if request.finished_at:
        item["finished_at"] = clock.format_timestamp(request.finished_at)
    if request.email_key and request.status == PENDING:
        item["email_key"] = request.email_key
    return item


def _request_from_item(item: dict) -> ErasureRequest:
    position = item.get("position") or {}
    return ErasureRequest(
        item["request_id"], item["requested_by"], clock.parse_timestamp(item["requested_at"]), item["status"],
        int(item.get("reports_erased", 0)),
        clock.parse_timestamp(item["finished_at"]) if item.get("finished_at") else None, item.get("email_key"),
        Position(position.get("campaign_id"), int(position.get("shard", 0)), position.get("page_key")),
        int(item.get("step", 0)))
