"""The storage layer: everything Action Tally keeps, behind methods named in the
campaign's own words. Only this module knows DynamoDB's keys, items and errors.

Items (one table; see README, "Data model"):

=============================  =======================  ==================================
pk                             sk                       what
=============================  =======================  ==================================
``CAMPAIGN#<id>``              ``CAMPAIGN``             the campaign (also in the state GSI)
``CAMPAIGN#<id>``              ``TOTALS#PROVISIONAL``   running totals + watermark
``CAMPAIGN#<id>``              ``TOTALS#FINAL#<v>``     published final totals, version v
``REPORTS#<id>#<shard>``       ``<submission_id>``      one report (also in the arrival LSI)
``STAFF_TOKENS``               ``<sha256 of token>``    a staff token's hash and metadata
``RATE#<id>#<client key>``     ``<window start>``       reports one client sent in a minute
``ERASURES``                   ``<at>#<request id>``    an erasure's audit record
=============================  =======================  ==================================
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from boto3.dynamodb.conditions import Attr, Key
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import clock
from chalicelib.campaigns import CLOSED, OPEN, Campaign, Target
from chalicelib.reports import Report, ReportInput, contact_email_key, shard_for
from chalicelib.schema import CAMPAIGNS_BY_STATE, REPORTS_BY_EMAIL, REPORTS_BY_RECEIVED, TTL_ATTRIBUTE
from chalicelib.totals import Tally, Totals

_PROVISIONAL = "TOTALS#PROVISIONAL"
_FINAL_PREFIX = "TOTALS#FINAL#"
_BUSY_CODES = {
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "InternalServerError", "ServiceUnavailable", "TransactionConflictException",
    "TransactionCanceledException",
}


class StorageUnavailable(Exception):
    """DynamoDB is throttling, failing or unreachable; the caller may retry later."""


class StaleWrite(Exception):
    """A conditional write lost to another writer; re-read and decide again."""


@dataclass(frozen=True)
class ProvisionalState:
    settled: Tally           # every report received before ``watermark``
    watermark: str           # a timestamp from :mod:`clock`
    tail: Tally              # reports received from ``watermark`` up to ``as_of``
    as_of: datetime


@dataclass(frozen=True)
class StaffToken:
    token_hash: str
    label: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class ErasureRecord:
    """The audit record of an erasure: what kind, how many reports, who, when.
    It holds no personal data, not even the hash of the address."""
    request_id: str
    kind: str               # "supporter" (by email, on request) or "retention" (after close)
    reports_erased: int
    requested_by: str       # a staff token's label, or "scheduler"
    erased_at: datetime
    campaign_id: str | None = None


def _campaign_key(campaign_id):
    return {"pk": f"CAMPAIGN#{campaign_id}", "sk": "CAMPAIGN"}


def _report_partition(campaign_id, shard):
    return f"REPORTS#{campaign_id}#{shard}"


class _TranslateErrors:
    """Turn DynamoDB's overload and network failures into StorageUnavailable."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, ClientError) and error.response["Error"]["Code"] in _BUSY_CODES:
            raise StorageUnavailable(str(error)) from error
        if isinstance(error, BotoCoreError):
            raise StorageUnavailable(str(error)) from error
        return False


def _is_condition_failure(error):
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


class TallyStore:
    """DynamoDB-backed storage. ``table`` is a boto3 ``Table`` resource."""

    def __init__(self, table):
        self._table = table

    # -- campaigns ---------------------------------------------------------

    def get_campaign(self, campaign_id: str) -> Campaign | None:
        with _TranslateErrors():
            item = self._table.get_item(Key=_campaign_key(campaign_id), ConsistentRead=True).get("Item")
        return _campaign_from_item(item) if item else None

    def create_campaign(self, campaign: Campaign) -> None:
        """Store a new campaign; StaleWrite if one with that id appeared meanwhile."""
        self._put(_campaign_to_item(campaign), Attr("pk").not_exists())

    def replace_campaign(self, campaign: Campaign, previous: Campaign, now: datetime) -> None:
        """Overwrite ``previous`` with ``campaign`` if it is unchanged and still open at ``now``."""
        condition = (Attr("campaign_state").eq(OPEN)
                     & Attr("deadline").gt(clock.format_timestamp(now - timedelta(seconds=1)))
                     & Attr("updated_at").eq(clock.format_timestamp(previous.updated_at)))
        self._put(_campaign_to_item(campaign), condition)

    def campaigns(self, state: str) -> list[Campaign]:
        """Campaigns in ``state`` (open or closed), earliest deadline first."""
        items = self._query_all(IndexName=CAMPAIGNS_BY_STATE,
                                KeyConditionExpression=Key("campaign_state").eq(state))
        return [_campaign_from_item(item) for item in items]

    def mark_closed(self, campaign_id: str, version: int, closed_at: datetime) -> bool:
        """Record that ``version`` is published and the campaign closed; False if it already was."""
        try:
            with _TranslateErrors():
                self._table.update_item(
                    Key=_campaign_key(campaign_id),
                    UpdateExpression="SET campaign_state = :closed, closed_at = :at, published_version = :v",
                    ConditionExpression=Attr("campaign_state").eq(OPEN),
                    ExpressionAttributeValues={":closed": CLOSED, ":at": clock.format_timestamp(closed_at),
                                               ":v": version})
            return True
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise

    # -- reports -----------------------------------------------------------

    def record_report(self, campaign: Campaign, report: ReportInput, report_id: str,
                      received_at: datetime) -> tuple[Report, bool]:
        """Store ``report`` once per submission id.

        Returns the stored report and True, or, for a replay, the report stored
        the first time and False. One conditional write either way.
        """
        item = _report_to_item(campaign, report, report_id, received_at)
        try:
            with _TranslateErrors():
                self._table.put_item(Item=item, ConditionExpression=Attr("pk").not_exists(),
                                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
            return _report_from_item(item), True
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            old = error.response.get("Item")
        if old:
            old = {key: TypeDeserializer().deserialize(value) for key, value in old.items()}
        else:  # some emulators do not return the old item
            with _TranslateErrors():
                old = self._table.get_item(Key={"pk": item["pk"], "sk": item["sk"]},
                                           ConsistentRead=True)["Item"]
        return _report_from_item(old), False

    def get_report(self, campaign: Campaign, submission_id: str) -> Report | None:
        """The report stored under ``submission_id``, read consistently."""
        key = {"pk": _report_partition(campaign.campaign_id, shard_for(submission_id, campaign.report_shards)),
               "sk": submission_id}
        with _TranslateErrors():
            item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
        return _report_from_item(item) if item else None

    def reports_received_between(self, campaign: Campaign, start: str, end: str):
        """Counted reports whose arrival stamp is in ``[start, end)``, read consistently.

        Stamps are ``<timestamp>#<submission id>``, so a report stamped exactly
        ``start`` sorts after ``start`` and one stamped ``end`` after ``end``:
        adjacent windows never share or skip a report.
        """
        for shard in range(campaign.report_shards):
            yield from (_report_from_item(item) for item in self._query_all(
                IndexName=REPORTS_BY_RECEIVED, ConsistentRead=True,
                KeyConditionExpression=(Key("pk").eq(_report_partition(campaign.campaign_id, shard))
                                        & Key("received_at").between(start, end)),
                FilterExpression=Attr("excluded").not_exists()))

    def all_reports(self, campaign: Campaign):
        """Every counted report of the campaign, read consistently from the table itself."""
        for shard in range(campaign.report_shards):
            yield from (_report_from_item(item) for item in self._query_all(
                ConsistentRead=True,
                KeyConditionExpression=Key("pk").eq(_report_partition(campaign.campaign_id, shard)),
                FilterExpression=Attr("excluded").not_exists()))

    def has_reports(self, campaign: Campaign) -> bool:
        with _TranslateErrors():
            return any(self._table.query(
                KeyConditionExpression=Key("pk").eq(_report_partition(campaign.campaign_id, shard)),
                Limit=1, Select="COUNT")["Count"] for shard in range(campaign.report_shards))

    # -- totals ------------------------------------------------------------

    def get_provisional(self, campaign_id: str) -> ProvisionalState | None:
        with _TranslateErrors():
            item = self._table.get_item(Key={"pk": f"CAMPAIGN#{campaign_id}", "sk": _PROVISIONAL},
                                        ConsistentRead=True).get("Item")
        if not item:
            return None
        return ProvisionalState(Tally.from_dict(item["settled"]), item["watermark"],
                                Tally.from_dict(item["tail"]), clock.parse_timestamp(item["as_of"]))

    def save_provisional(self, campaign_id: str, state: ProvisionalState,
                         previous: ProvisionalState | None) -> bool:
        """Replace ``previous`` with ``state``; False if another run got there first."""
        as_of = clock.format_timestamp(state.as_of)
        item = {"pk": f"CAMPAIGN#{campaign_id}", "sk": _PROVISIONAL, "watermark": state.watermark,
                "settled": state.settled.as_dict(), "tail": state.tail.as_dict(), "as_of": as_of}
        condition = (Attr("pk").not_exists() if previous is None else
                     Attr("watermark").eq(previous.watermark) & Attr("as_of").lt(as_of))
        try:
            self._put(item, condition)
            return True
        except StaleWrite:
            return False

    def publish_final(self, campaign_id: str, totals: Totals) -> Totals:
        """Publish ``totals`` as version ``totals.version``, once.

        If that version exists already (a concurrent or earlier run), the stored
        one is returned: published versions are never overwritten.
        """
        item = {"pk": f"CAMPAIGN#{campaign_id}", "sk": f"{_FINAL_PREFIX}{totals.version:06d}",
                "tally": totals.tally.as_dict(), "version": totals.version,
                "as_of": clock.format_timestamp(totals.as_of)}
        try:
            self._put(item, Attr("pk").not_exists())
            return totals
        except StaleWrite:
            return self.latest_final(campaign_id)

    def latest_final(self, campaign_id: str) -> Totals | None:
        with _TranslateErrors():
            items = self._table.query(
                KeyConditionExpression=(Key("pk").eq(f"CAMPAIGN#{campaign_id}")
                                        & Key("sk").begins_with(_FINAL_PREFIX)),
                ScanIndexForward=False, Limit=1, ConsistentRead=True)["Items"]
        if not items:
            return None
        item = items[0]
        return Totals(campaign_id, Tally.from_dict(item["tally"]), True,
                      clock.parse_timestamp(item["as_of"]), int(item["version"]))

    # -- staff tokens --------------------------------------------------------

    def put_staff_token(self, token: StaffToken) -> None:
        item = {"pk": "STAFF_TOKENS", "sk": token.token_hash, "label": token.label,
                "created_at": clock.format_timestamp(token.created_at)}
        if token.expires_at:
            item["expires_at_iso"] = clock.format_timestamp(token.expires_at)
        if token.revoked_at:
            item["revoked_at"] = clock.format_timestamp(token.revoked_at)
        self._put(item, Attr("pk").not_exists())

    def revoke_staff_token(self, token_hash: str, revoked_at: datetime) -> bool:
        """Revoke a token for good; False if there is no such token."""
        try:
            with _TranslateErrors():
                self._table.update_item(
                    Key={"pk": "STAFF_TOKENS", "sk": token_hash},
                    UpdateExpression="SET revoked_at = if_not_exists(revoked_at, :at)",
                    ConditionExpression=Attr("pk").exists(),
                    ExpressionAttributeValues={":at": clock.format_timestamp(revoked_at)})
            return True
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise

    def get_staff_token(self, token_hash: str) -> StaffToken | None:
        with _TranslateErrors():
            # Consistent, so that a revocation takes effect at once.
            item = self._table.get_item(Key={"pk": "STAFF_TOKENS", "sk": token_hash},
                                        ConsistentRead=True).get("Item")
        if not item:
            return None
        return StaffToken(item["sk"], item["label"], clock.parse_timestamp(item["created_at"]),
                          _optional_timestamp(item.get("expires_at_iso")),
                          _optional_timestamp(item.get("revoked_at")))

    # -- rate limits ---------------------------------------------------------

    def reports_in_window(self, campaign_id: str, client_key: str, window_start: datetime,
                          now: datetime) -> int:
        """Reports counted for one client in the window that starts at ``window_start``.

        Expired counters read as 0: DynamoDB's TTL deletes late (and moto never).
        """
        with _TranslateErrors():
            item = self._table.get_item(Key=_rate_key(campaign_id, client_key, window_start)).get("Item")
        if not item or int(item[TTL_ATTRIBUTE]) <= now.timestamp():
            return 0
        return int(item["reports_counted"])

    def count_report_in_window(self, campaign_id: str, client_key: str, window_start: datetime,
                               below: int, expires_at: datetime) -> bool:
        """Count one more report in the window if fewer than ``below`` are counted.

        One conditional UpdateItem, so concurrent requests cannot overshoot;
        False (and nothing written) when the window is full.
        """
        try:
            with _TranslateErrors():
                self._table.update_item(
                    Key=_rate_key(campaign_id, client_key, window_start),
                    UpdateExpression=f"ADD reports_counted :one SET {TTL_ATTRIBUTE} = :expires",
                    ConditionExpression=(Attr("reports_counted").not_exists()
                                         | Attr("reports_counted").lt(below)),
                    ExpressionAttributeValues={":one": 1, ":expires": int(expires_at.timestamp())})
            return True
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise

    # -- personal data ---------------------------------------------------------

    def erase_supporter_reports(self, email_key: str, erased_at: datetime) -> int:
        """Remove name and email from every report filed under ``email_key``
        (see :func:`chalicelib.reports.contact_email_key`); returns how many.

        The index is eventually consistent: a report stored a moment ago may
        be missed, and erasing again later finds it.
        """
        keys = self._query_all(IndexName=REPORTS_BY_EMAIL,
                               KeyConditionExpression=Key("contact_email_hash").eq(email_key))
        return sum(self._erase_personal_fields(item, erased_at, Attr("contact_email_hash").eq(email_key))
                   for item in list(keys))

    def erase_campaign_personal_data(self, campaign: Campaign, erased_at: datetime) -> int:
        """Remove names and emails from every report of ``campaign``; returns how many."""
        with_personal_data = Attr("name").exists() | Attr("contact_email").exists()
        erased = 0
        for shard in range(campaign.report_shards):
            keys = list(self._query_all(
                ConsistentRead=True, ProjectionExpression="pk, sk", FilterExpression=with_personal_data,
                KeyConditionExpression=Key("pk").eq(_report_partition(campaign.campaign_id, shard))))
            erased += sum(self._erase_personal_fields(item, erased_at, with_personal_data) for item in keys)
        return erased

    def campaigns_due_for_erasure(self, closed_before: datetime) -> list[Campaign]:
        """Closed campaigns whose deadline is before ``closed_before`` and whose
        reports still may hold personal data."""
        items = self._query_all(
            IndexName=CAMPAIGNS_BY_STATE,
            KeyConditionExpression=(Key("campaign_state").eq(CLOSED)
                                    & Key("deadline").lt(clock.format_timestamp(closed_before))),
            FilterExpression=Attr("personal_data_erased_at").not_exists())
        return [_campaign_from_item(item) for item in items]

    def mark_personal_data_erased(self, campaign_id: str, erased_at: datetime) -> None:
        with _TranslateErrors():
            self._table.update_item(
                Key=_campaign_key(campaign_id),
                UpdateExpression="SET personal_data_erased_at = if_not_exists(personal_data_erased_at, :at)",
                ConditionExpression=Attr("pk").exists(),
                ExpressionAttributeValues={":at": clock.format_timestamp(erased_at)})

    def record_erasure(self, record: ErasureRecord) -> None:
        """Keep the audit record of an erasure (create-only)."""
        at = clock.format_timestamp(record.erased_at)
        item = {"pk": "ERASURES", "sk": f"{at}#{record.request_id}", "request_id": record.request_id,
                "kind": record.kind, "reports_erased": record.reports_erased,
                "requested_by": record.requested_by, "erased_at": at}
        if record.campaign_id:
            item["campaign_id"] = record.campaign_id
        self._put(item, Attr("pk").not_exists())

    def erasure_records(self) -> list[ErasureRecord]:
        """Every erasure's audit record, oldest first."""
        return [ErasureRecord(item["request_id"], item["kind"], int(item["reports_erased"]),
                              item["requested_by"], clock.parse_timestamp(item["erased_at"]),
                              item.get("campaign_id"))
                for item in self._query_all(KeyConditionExpression=Key("pk").eq("ERASURES"))]

    # -- helpers -------------------------------------------------------------

    def _erase_personal_fields(self, key_item, erased_at, condition) -> bool:
        try:
            with _TranslateErrors():
                self._table.update_item(
                    Key={"pk": key_item["pk"], "sk": key_item["sk"]},
                    UpdateExpression=("REMOVE #name, contact_email, contact_email_hash "
                                      "SET personal_data_erased_at = :at"),
                    ConditionExpression=Attr("pk").exists() & condition,
                    ExpressionAttributeNames={"#name": "name"},
                    ExpressionAttributeValues={":at": clock.format_timestamp(erased_at)})
            return True
        except ClientError as error:
            if _is_condition_failure(error):
                return False   # erased meanwhile by another run or request
            raise

    def _put(self, item, condition):
        try:
            with _TranslateErrors():
                self._table.put_item(Item=item, ConditionExpression=condition)
        except ClientError as error:
            if _is_condition_failure(error):
                raise StaleWrite(item["pk"]) from error
            raise

    def _query_all(self, **kwargs):
        while True:
            with _TranslateErrors():
                page = self._table.query(**kwargs)
            yield from page["Items"]
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _rate_key(campaign_id, client_key, window_start):
    return {"pk": f"RATE#{campaign_id}#{client_key}", "sk": clock.format_timestamp(window_start)}


def _optional_timestamp(text):
    return clock.parse_timestamp(text) if text else None


def _campaign_to_item(campaign: Campaign) -> dict:
    item = {
        **_campaign_key(campaign.campaign_id),
        "campaign_id": campaign.campaign_id, "reference": campaign.reference, "title": campaign.title,
        "deadline": clock.format_timestamp(campaign.deadline),
        "targets": [{"id": t.id, "name": t.name, "role": t.role} for t in campaign.targets],
        "actions": list(campaign.actions), "languages": list(campaign.languages),
        "letter_language": campaign.letter_language, "allowed_origins": list(campaign.allowed_origins),
        "campaign_state": campaign.state, "report_shards": campaign.report_shards,
        "created_at": clock.format_timestamp(campaign.created_at),
        "updated_at": clock.format_timestamp(campaign.updated_at),
    }
    if campaign.closed_at:
        item["closed_at"] = clock.format_timestamp(campaign.closed_at)
    if campaign.published_version is not None:
        item["published_version"] = campaign.published_version
    return item


def _campaign_from_item(item: dict) -> Campaign:
    return Campaign(
        campaign_id=item["campaign_id"], reference=item["reference"], title=item["title"],
        deadline=clock.parse_timestamp(item["deadline"]),
        targets=tuple(Target(t["id"], t["name"], t.get("role", "")) for t in item["targets"]),
        actions=tuple(item["actions"]), languages=tuple(item["languages"]),
        letter_language=item["letter_language"], allowed_origins=tuple(item.get("allowed_origins", [])),
        state=item["campaign_state"], report_shards=int(item["report_shards"]),
        created_at=clock.parse_timestamp(item["created_at"]),
        updated_at=clock.parse_timestamp(item["updated_at"]),
        closed_at=_optional_timestamp(item.get("closed_at")),
        published_version=int(item["published_version"]) if "published_version" in item else None,
    )


def _report_to_item(campaign, report: ReportInput, report_id, received_at) -> dict:
    item = {
        "pk": _report_partition(campaign.campaign_id, shard_for(report.submission_id, campaign.report_shards)),
        "sk": report.submission_id, "report_id": report_id,
        "received_at": f"{clock.format_timestamp(received_at)}#{report.submission_id}",
        "actions": dict(report.actions), "targets": list(report.targets), "country": report.country,
        "consent": report.consent,
    }
    if report.name:
        item["name"] = report.name
    if report.contact_email:
        item["contact_email"] = report.contact_email
        item["contact_email_hash"] = contact_email_key(report.contact_email)
    return item


def _report_from_item(item: dict) -> Report:
    """A report from a table or index item (index items carry no personal data)."""
    stamp, _, submission_id = item["received_at"].partition("#")
    campaign_id = item["pk"].split("#")[1]
    return Report(
        submission_id=submission_id, actions={k: int(v) for k, v in item["actions"].items()},
        targets=tuple(item["targets"]), country=item["country"], name=item.get("name"),
        contact_email=item.get("contact_email"), consent=bool(item.get("consent", False)),
        campaign_id=campaign_id, report_id=item["report_id"], received_at=clock.parse_timestamp(stamp),
    )
