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
``STAFF_SESSIONS``             ``<sha256 of session>``  a dashboard sign-in (expires with TTL)
``AUDIT#<id>``                 ``<timestamp>#<uuid>``   one staff action on a report (void, reinstate)
``RATE#<id>#<client key>``     ``<window start>``       reports one client sent in a minute
``ERASURES``                   ``<at>#<request id>``    an erasure's audit record
=============================  =======================  ==================================

A closed campaign whose newest totals are not yet published or announced waits in
the state GSI under ``publication_due`` (its :class:`Campaign` still reads as closed),
so that the scheduled job can find and finish it without scanning closed campaigns.
"""
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from boto3.dynamodb.conditions import Attr, Key
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain import clock
from chalicelib.domain.campaign import CLOSED, OPEN, Campaign, Target
from chalicelib.domain.report import Reinstatement, Report, ReportInput, StaffDecision, Void, contact_email_key, \
    shard_for
from chalicelib.storage.schema import CAMPAIGNS_BY_STATE, REPORTS_BY_EMAIL, REPORTS_BY_RECEIVED, TTL_ATTRIBUTE
from chalicelib.domain.totals import Tally, Totals

_PROVISIONAL = "TOTALS#PROVISIONAL"
_FINAL_PREFIX = "TOTALS#FINAL#"
_PUBLICATION_DUE = "publication_due"   # campaign_state of a closed campaign with work pending
VOID = "void"                          # the ``excluded`` marker of a voided report
REINSTATE = "reinstate"                # the audit action of a flagged report put into the count
# A report with ``excluded`` set is kept but never counted; "flagged" ones
# failed an abuse check (``flag_reason`` says which) and await staff review.
FLAGGED = "flagged"
_BUSY_CODES = {
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "InternalServerError", "ServiceUnavailable", "TransactionConflictException",
    "TransactionCanceledException",
}


class StorageUnavailable(Exception):
    """DynamoDB is throttling, failing or unreachable; the caller may retry later."""


class StaleWrite(Exception):
    """A conditional write lost to another writer; re-read and decide again."""


class ReportNotFound(Exception):
    """No report of the campaign has that id."""


class AlreadyExcluded(Exception):
    """The report is already left out of the totals (voided, or excluded otherwise)."""

    def __init__(self, report: Report):
        super().__init__(report.report_id)
        self.report = report


class NotFlagged(AlreadyExcluded):
    """The report is not flagged (any more): counted, reinstated already, or voided.
    ``report`` is as stored, so the caller can say which."""


@dataclass(frozen=True)
class ProvisionalState:
    settled: Tally           # every report received before ``watermark``
    watermark: str           # a timestamp from :mod:`clock`
    tail: Tally              # reports received from ``watermark`` up to ``as_of``
    as_of: datetime
    void_count: int = 0      # the campaign's void_count when the counting began
    reinstated_count: int = 0   # and its reinstated_count

    def reflects(self, campaign: Campaign) -> bool:
        """True if this state counted with every void and reinstatement of ``campaign`` so far."""
        return (self.void_count, self.reinstated_count) == (campaign.void_count, campaign.reinstated_count)


@dataclass(frozen=True)
class StaffToken:
    token_hash: str
    label: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class StaffSession:
    """A dashboard sign-in: a browser cookie standing for a staff token until ``expires_at``."""
    session_hash: str
    token_hash: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    """One staff action on a campaign's reports; no supporter's personal data."""
    campaign_id: str
    action: str
    report_id: str
    by: str
    reason: str
    at: datetime


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

    @property
    def client(self):
        """The low-level DynamoDB client (for tools that create the table, and fault-injecting tests)."""
        return self._table.meta.client

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
                     & Attr("updated_at").eq(clock.format_timestamp(previous.updated_at))
                     & _exclusion_counts_are(previous.void_count, previous.reinstated_count))
        self._put(_campaign_to_item(campaign), condition)

    def campaigns(self, state: str) -> list[Campaign]:
        """Campaigns in ``state`` (open or closed), earliest deadline first."""
        states = [state] if state == OPEN else [state, _PUBLICATION_DUE]
        campaigns = [_campaign_from_item(item) for name in states for item in self._query_all(
            IndexName=CAMPAIGNS_BY_STATE, KeyConditionExpression=Key("campaign_state").eq(name))]
        return sorted(campaigns, key=lambda campaign: campaign.deadline)

    def campaigns_due(self) -> list[Campaign]:
        """Closed campaigns whose newest totals still wait to be published or announced."""
        return [_campaign_from_item(item) for item in self._query_all(
            IndexName=CAMPAIGNS_BY_STATE, KeyConditionExpression=Key("campaign_state").eq(_PUBLICATION_DUE))]

    def mark_closed(self, campaign_id: str, version: int, closed_at: datetime) -> bool:
        """Record that ``version`` is published and the campaign closed; False if it already was.

        The campaign stays due for publication until :meth:`mark_published`
        (the totals are announced, and any void or reinstatement since the recount re-published).
        """
        return self._update_campaign(
            campaign_id, "SET campaign_state = :due, closed_at = :at, published_version = :v",
            Attr("campaign_state").eq(OPEN),
            {":due": _PUBLICATION_DUE, ":at": clock.format_timestamp(closed_at), ":v": version})

    def record_published(self, campaign_id: str, version: int) -> bool:
        """Point the campaign at published ``version``; never moves back to an older one."""
        return self._update_campaign(
            campaign_id, "SET published_version = :v",
            Attr("published_version").not_exists() | Attr("published_version").lt(version), {":v": version})

    def record_notified(self, campaign_id: str, version: int) -> bool:
        """Remember that ``version`` was announced; never moves back to an older one."""
        return self._update_campaign(
            campaign_id, "SET notified_version = :v",
            Attr("notified_version").not_exists() | Attr("notified_version").lt(version), {":v": version})

    def mark_published(self, campaign_id: str, void_count: int, reinstated_count: int = 0) -> bool:
        """Nothing is due any more, if no report was voided or reinstated since totals
        reflecting ``void_count`` and ``reinstated_count``."""
        return self._update_campaign(
            campaign_id, "SET campaign_state = :closed",
            Attr("campaign_state").eq(_PUBLICATION_DUE) & _exclusion_counts_are(void_count, reinstated_count),
            {":closed": CLOSED})

    def move_deadline(self, campaign: Campaign, deadline: datetime, now: datetime) -> bool:
        """Bring an open campaign's deadline forward to ``deadline``; False if it closed or changed."""
        return self._update_campaign(
            campaign.campaign_id, "SET deadline = :deadline, updated_at = :now",
            Attr("campaign_state").eq(OPEN) & Attr("deadline").gt(clock.format_timestamp(deadline))
            & Attr("updated_at").eq(clock.format_timestamp(campaign.updated_at)),
            {":deadline": clock.format_timestamp(deadline), ":now": clock.format_timestamp(now)})

    # -- reports -----------------------------------------------------------

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
        with _TranslateErrors():
            item = self._table.get_item(Key=_report_key(campaign, submission_id), ConsistentRead=True).get("Item")
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

    def stored_reports(self, campaign: Campaign):
        """Every report of the campaign, counted or not, with its exclusion, from the table."""
        for shard in range(campaign.report_shards):
            yield from (_report_from_item(item) for item in self._query_all(
                ConsistentRead=True,
                KeyConditionExpression=Key("pk").eq(_report_partition(campaign.campaign_id, shard))))

    def find_report(self, campaign: Campaign, report_id: str) -> Report | None:
        """The report with ``report_id`` (the id a supporter's receipt shows).

        Reports are keyed by submission id, so this reads every shard partition
        with a filter: fine for a rare staff action, not for a hot path.
        """
        for shard in range(campaign.report_shards):
            for item in self._query_all(
                    ConsistentRead=True, FilterExpression=Attr("report_id").eq(report_id),
                    KeyConditionExpression=Key("pk").eq(_report_partition(campaign.campaign_id, shard))):
                return _report_from_item(item)
        return None

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
        """One staff decision on a report, as one transaction: the report's update, the audit
        entry (no personal data) and the campaign's ``counter`` raised, which tells the
        scheduled job to count again. ``report_update`` may use ``:by``, ``:reason`` and ``:at``
        (the decision's). ``refused`` is raised with the stored report when the report's
        condition fails."""
        at = clock.format_timestamp(decision.at)
        report_values = {**report_values, ":by": decision.by, ":reason": decision.reason, ":at": at}
        audit = {"pk": f"AUDIT#{campaign.campaign_id}", "sk": f"{at}#{uuid.uuid4().hex}", "action": action,
                 "report_id": report.report_id, "by": decision.by, "reason": decision.reason, "at": at}
        campaign_update = f"ADD {counter} :one" + (" SET campaign_state = :due" if publication_due else "")
        campaign_values = {":one": 1, ":seen": _stored_state(campaign)}
        if publication_due:
            campaign_values[":due"] = _PUBLICATION_DUE
        items = [
            {"Update": {"Key": _report_key(campaign, report.submission_id),
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD", "UpdateExpression": report_update,
                        "ConditionExpression": report_condition, "ExpressionAttributeValues": report_values}},
            {"Put": {"Item": audit, "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Update": {"Key": _campaign_key(campaign.campaign_id), "UpdateExpression": campaign_update,
                        "ConditionExpression": "campaign_state = :seen",
                        "ExpressionAttributeValues": campaign_values}},
        ]
        reasons = self._transact(items)
        if not reasons:
            return
        report_reason, _, campaign_reason = reasons
        if report_reason.get("Code") == "ConditionalCheckFailed":
            old = report_reason.get("Item")
            if not old:
                raise ReportNotFound(report.report_id)
            # Error responses come back in DynamoDB's own JSON, unlike results.
            raise refused(_report_from_item({k: TypeDeserializer().deserialize(v) for k, v in old.items()}))
        if campaign_reason.get("Code") == "ConditionalCheckFailed":
            raise StaleWrite(campaign.campaign_id)
        raise StorageUnavailable(f"{action} of {report.report_id} cancelled: {reasons}")

    def audit_entries(self, campaign_id: str) -> list[AuditEntry]:
        """The campaign's audit trail, oldest first."""
        return [AuditEntry(campaign_id, item["action"], item["report_id"], item["by"], item["reason"],
                           clock.parse_timestamp(item["at"]))
                for item in self._query_all(KeyConditionExpression=Key("pk").eq(f"AUDIT#{campaign_id}"),
                                            ConsistentRead=True)]

    def flagged_reports(self, campaign: Campaign) -> list[Report]:
        """Reports stored flagged (and so left out of totals), oldest first, for staff review."""
        flagged = []
        for shard in range(campaign.report_shards):
            flagged += (_report_from_item(item) for item in self._query_all(
                ConsistentRead=True,
                KeyConditionExpression=Key("pk").eq(_report_partition(campaign.campaign_id, shard)),
                FilterExpression=Attr("excluded").eq(FLAGGED)))
        return sorted(flagged, key=lambda report: (report.received_at, report.submission_id))

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
                                Tally.from_dict(item["tail"]), clock.parse_timestamp(item["as_of"]),
                                int(item.get("void_count", 0)), int(item.get("reinstated_count", 0)))

    def save_provisional(self, campaign_id: str, state: ProvisionalState,
                         previous: ProvisionalState | None) -> bool:
        """Replace ``previous`` with ``state``; False if another run wrote since ``previous`` was read,
        or if ``state`` is older than ``previous`` (a delayed run: ``as_of`` never goes back).

        The condition is the whole identity of the state read, not "newer than":
        a run at the same instant as the last one (a void or a reinstatement in
        between) must still be able to rebuild the totals.
        """
        if previous is not None and state.as_of < previous.as_of:
            return False
        item = {"pk": f"CAMPAIGN#{campaign_id}", "sk": _PROVISIONAL, "watermark": state.watermark,
                "settled": state.settled.as_dict(), "tail": state.tail.as_dict(),
                "as_of": clock.format_timestamp(state.as_of), "void_count": state.void_count,
                "reinstated_count": state.reinstated_count}
        if previous is None:
            condition = Attr("pk").not_exists()
        else:
            condition = (Attr("watermark").eq(previous.watermark)
                         & Attr("as_of").eq(clock.format_timestamp(previous.as_of))
                         & _exclusion_counts_are(previous.void_count, previous.reinstated_count))
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
                "as_of": clock.format_timestamp(totals.as_of), "void_count": totals.void_count,
                "reinstated_count": totals.reinstated_count}
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
        return _totals_from_item(campaign_id, items[0]) if items else None

    def final_versions(self, campaign_id: str) -> list[Totals]:
        """Every published version of the final totals, oldest first."""
        return [_totals_from_item(campaign_id, item) for item in self._query_all(
            KeyConditionExpression=Key("pk").eq(f"CAMPAIGN#{campaign_id}") & Key("sk").begins_with(_FINAL_PREFIX),
            ConsistentRead=True)]

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
        return _token_from_item(item) if item else None

    def staff_tokens(self) -> list[StaffToken]:
        """Every staff token ever issued (their hashes and labels), revoked ones included."""
        return [_token_from_item(item) for item in self._query_all(
            KeyConditionExpression=Key("pk").eq("STAFF_TOKENS"), ConsistentRead=True)]

    def put_staff_session(self, session: StaffSession) -> None:
        """Store a new dashboard session; DynamoDB's TTL removes it some time after it expires."""
        self._put({"pk": "STAFF_SESSIONS", "sk": session.session_hash, "token_hash": session.token_hash,
                   "created_at": clock.format_timestamp(session.created_at),
                   "expires_at_iso": clock.format_timestamp(session.expires_at),
                   TTL_ATTRIBUTE: int(session.expires_at.timestamp())}, Attr("pk").not_exists())

    def get_staff_session(self, session_hash: str) -> StaffSession | None:
        with _TranslateErrors():
            item = self._table.get_item(Key={"pk": "STAFF_SESSIONS", "sk": session_hash},
                                        ConsistentRead=True).get("Item")
        if not item:
            return None
        return StaffSession(item["sk"], item["token_hash"], clock.parse_timestamp(item["created_at"]),
                            clock.parse_timestamp(item["expires_at_iso"]))

    def end_staff_session(self, session_hash: str, now: datetime) -> None:
        """Sign out: the session expires now (an update, so no delete permission is needed)."""
        self._update({"pk": "STAFF_SESSIONS", "sk": session_hash}, "SET expires_at_iso = :now",
                     Attr("pk").exists(), {":now": clock.format_timestamp(now)})

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
        (see :func:`chalicelib.domain.report.contact_email_key`); returns how many.

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
        reports still may hold personal data (totals still to publish do not delay it)."""
        return [_campaign_from_item(item) for state in (CLOSED, _PUBLICATION_DUE) for item in self._query_all(
            IndexName=CAMPAIGNS_BY_STATE,
            KeyConditionExpression=(Key("campaign_state").eq(state)
                                    & Key("deadline").lt(clock.format_timestamp(closed_before))),
            FilterExpression=Attr("personal_data_erased_at").not_exists())]

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

    def _update_campaign(self, campaign_id, expression, condition, values) -> bool:
        return self._update(_campaign_key(campaign_id), expression, condition, values)

    def _update(self, key, expression, condition, values) -> bool:
        """One conditional update; False if the condition did not hold."""
        try:
            with _TranslateErrors():
                self._table.update_item(Key=key, UpdateExpression=expression, ConditionExpression=condition,
                                        ExpressionAttributeValues=values)
            return True
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise

    def _transact(self, items) -> list | None:
        """Write ``items`` in one transaction; None if done, else the cancellation reasons."""
        # The resource's client (un)serialises attribute values itself, as Table methods do.
        for item in items:
            (request,) = item.values()
            request["TableName"] = self._table.name
        try:
            with _TranslateErrors():
                self._table.meta.client.transact_write_items(TransactItems=items)
            return None
        except StorageUnavailable as unavailable:
            error = unavailable.__cause__
            reasons = getattr(error, "response", {}).get("CancellationReasons")
            # A lost condition is an answer; a conflict or throttle means "retry later".
            if reasons and any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                return reasons
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


def _count_is(name: str, count: int):
    """Items written before a counter existed lack it: it is 0."""
    condition = Attr(name).eq(count)
    return condition | Attr(name).not_exists() if count == 0 else condition


def _exclusion_counts_are(void_count: int, reinstated_count: int):
    return _count_is("void_count", void_count) & _count_is("reinstated_count", reinstated_count)


def _report_key(campaign: Campaign, submission_id: str) -> dict:
    return {"pk": _report_partition(campaign.campaign_id, shard_for(submission_id, campaign.report_shards)),
            "sk": submission_id}


def _stored_state(campaign: Campaign) -> str:
    return _PUBLICATION_DUE if campaign.publication_due else campaign.state


def _token_from_item(item) -> StaffToken:
    return StaffToken(item["sk"], item["label"], clock.parse_timestamp(item["created_at"]),
                      _optional_timestamp(item.get("expires_at_iso")),
                      _optional_timestamp(item.get("revoked_at")))


def _totals_from_item(campaign_id, item) -> Totals:
    return Totals(campaign_id, Tally.from_dict(item["tally"]), True, clock.parse_timestamp(item["as_of"]),
                  int(item["version"]), int(item.get("void_count", 0)), int(item.get("reinstated_count", 0)))


def _campaign_to_item(campaign: Campaign) -> dict:
    item = {
        **_campaign_key(campaign.campaign_id),
        "campaign_id": campaign.campaign_id, "reference": campaign.reference, "title": campaign.title,
        "deadline": clock.format_timestamp(campaign.deadline),
        "targets": [{"id": t.id, "name": t.name, "role": t.role} for t in campaign.targets],
        "actions": list(campaign.actions), "languages": list(campaign.languages),
        "letter_language": campaign.letter_language, "allowed_origins": list(campaign.allowed_origins),
        "campaign_state": _stored_state(campaign), "report_shards": campaign.report_shards,
        "void_count": campaign.void_count, "reinstated_count": campaign.reinstated_count,
        "created_at": clock.format_timestamp(campaign.created_at),
        "updated_at": clock.format_timestamp(campaign.updated_at),
    }
    if campaign.closed_at:
        item["closed_at"] = clock.format_timestamp(campaign.closed_at)
    if campaign.published_version is not None:
        item["published_version"] = campaign.published_version
    if campaign.notified_version is not None:
        item["notified_version"] = campaign.notified_version
    return item


def _campaign_from_item(item: dict) -> Campaign:
    return Campaign(
        campaign_id=item["campaign_id"], reference=item["reference"], title=item["title"],
        deadline=clock.parse_timestamp(item["deadline"]),
        targets=tuple(Target(t["id"], t["name"], t.get("role", "")) for t in item["targets"]),
        actions=tuple(item["actions"]), languages=tuple(item["languages"]),
        letter_language=item["letter_language"], allowed_origins=tuple(item.get("allowed_origins", [])),
        state=CLOSED if item["campaign_state"] == _PUBLICATION_DUE else item["campaign_state"],
        publication_due=item["campaign_state"] == _PUBLICATION_DUE,
        report_shards=int(item["report_shards"]),
        created_at=clock.parse_timestamp(item["created_at"]),
        updated_at=clock.parse_timestamp(item["updated_at"]),
        closed_at=_optional_timestamp(item.get("closed_at")),
        published_version=int(item["published_version"]) if "published_version" in item else None,
        void_count=int(item.get("void_count", 0)),
        reinstated_count=int(item.get("reinstated_count", 0)),
        notified_version=int(item["notified_version"]) if "notified_version" in item else None,
    )


def _report_to_item(campaign, report: ReportInput, report_id, received_at, flag_reason=None) -> dict:
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
    if flag_reason:
        item["excluded"], item["flag_reason"] = FLAGGED, flag_reason
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
        excluded=item.get("excluded"),
        void=Void(item["voided_by"], item["void_reason"], clock.parse_timestamp(item["voided_at"]))
        if "voided_at" in item else None,
        flag_reason=item.get("flag_reason"),
        reinstatement=Reinstatement(item["reinstated_by"], item["reinstate_reason"],
                                    clock.parse_timestamp(item["reinstated_at"]))
        if "reinstated_at" in item else None,
    )
