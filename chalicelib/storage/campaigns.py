"""Campaign items: a campaign's facts, its state (open, closed, or closed with a
publication due) and the counters that tell the scheduled job to count again.

A closed campaign whose newest totals are not yet published or announced waits in
the state GSI under ``publication_due`` (its :class:`Campaign` still reads as closed),
so that the scheduled job can find and finish it without scanning closed campaigns.

A campaign is two items under its partition: ``CAMPAIGN`` holds what counting and the
form need (v1's fields and the state); ``CAMPAIGN#CASE`` the rest of the case sheet
(summary, people, contacts, copies, letters: several KB). Every report reads the first
item, strongly consistent, at one read unit per 4 KB started: kept apart, the case costs
the report path nothing. Both are written in one transaction; a campaign stored before
v2 has no case item, and reads as one with an empty case. :meth:`get_whole_campaign`
reads both at once, and the campaign's outcome (``CAMPAIGN#OUTCOME``, see
chalicelib.storage.outcomes) with them.

A campaign that follows another carries ``case_id``, the id of its case's first
campaign, which puts it in the sparse ``campaigns_by_case`` index (chalicelib.storage.cases).
Moving an open campaign's deadline leaves an audit entry in the same transaction.
"""
from dataclasses import replace
from datetime import date, datetime, timedelta

from boto3.dynamodb.conditions import Attr, Key

from chalicelib.domain import clock
from chalicelib.domain.campaign import CLOSED, OPEN, Campaign, Person, Target, check_deadline_move
from chalicelib.storage.trail import DEADLINE_MOVED, audit_item
from chalicelib.storage.keys import CAMPAIGN_SK, campaign_key, campaign_partition, case_key, outcome_key
from chalicelib.storage.outcomes import outcome_from_item
from chalicelib.storage.schema import CAMPAIGNS_BY_STATE
from chalicelib.storage.table import StaleWrite, Table

PUBLICATION_DUE = "publication_due"   # campaign_state of a closed campaign with work pending


class CampaignStorage:
    _table: Table
    _recent: dict

    def get_campaign(self, campaign_id: str) -> Campaign | None:
        """The campaign without its case (``complete`` is False): what counting and the form need."""
        item = self._table.get(campaign_key(campaign_id))
        return campaign_from_item(item) if item else None

    def recent_campaign(self, campaign_id: str, now: datetime, max_age_seconds: float, *,
                        whole: bool = False) -> Campaign | None:
        """The campaign as this process read it at most ``max_age_seconds`` before ``now``,
        or read now, consistently (and remembered as read at ``now``). ``max_age_seconds``
        0 always reads. A campaign that does not exist is never remembered. ``whole``: with
        its case (:meth:`get_whole_campaign`), remembered apart."""
        memory = self._recent["whole_campaigns" if whole else "campaigns"]
        campaign = memory.get(campaign_id, now, max_age_seconds) if max_age_seconds else None
        if campaign is None:
            campaign = self.get_whole_campaign(campaign_id) if whole else self.get_campaign(campaign_id)
            if campaign is not None:
                memory.put(campaign_id, campaign, now)
        return campaign

    def forget_campaign(self, campaign_id: str) -> None:
        """This process changed the campaign: it reads it again next time (other containers
        remember it as it was for at most the time their caller allows)."""
        for memory in ("campaigns", "whole_campaigns"):
            self._recent[memory].forget(campaign_id)

    def get_whole_campaign(self, campaign_id: str) -> Campaign | None:
        """The campaign with its whole case sheet: both items in one consistent query."""
        items = {item["sk"]: item for item in self._table.query(
            KeyConditionExpression=Key("pk").eq(campaign_partition(campaign_id)) & Key("sk").begins_with(CAMPAIGN_SK),
            ConsistentRead=True)}
        item = items.get(CAMPAIGN_SK)
        if item is None:
            return None
        campaign = campaign_from_item(item, items.get(case_key(campaign_id)["sk"], {}))
        outcome = items.get(outcome_key(campaign_id)["sk"])
        return replace(campaign, outcome=outcome_from_item(outcome)) if outcome else campaign

    def create_campaign(self, campaign: Campaign) -> None:
        """Store a new campaign; StaleWrite if one with that id appeared meanwhile."""
        self.forget_campaign(campaign.campaign_id)
        self._write_campaign(campaign, Attr("pk").not_exists())

    def replace_campaign(self, campaign: Campaign, previous: Campaign, now: datetime, by: str = "staff") -> None:
        """Overwrite ``previous`` with ``campaign`` if it is unchanged and still open at ``now``;
        a deadline that changes leaves an audit entry (from, to, ``by``, ``now``) in the same transaction.

        Raises DeadlineTooSoon for a deadline moved earlier to less than DEADLINE_NOTICE
        from ``now`` (containers remember campaigns: see chalicelib.counting.intake)."""
        check_deadline_move(previous.deadline, campaign.deadline, now)
        self.forget_campaign(campaign.campaign_id)
        condition = (Attr("campaign_state").eq(OPEN)
                     & Attr("deadline").gt(clock.format_timestamp(now - timedelta(seconds=1)))
                     & Attr("updated_at").eq(clock.format_timestamp(previous.updated_at))
                     & exclusion_counts_are(previous.void_count, previous.reinstated_count,
                                            previous.offline_count))
        audit = [_deadline_audit(campaign.campaign_id, previous.deadline, campaign.deadline, by, now)] \
            if campaign.deadline != previous.deadline else []
        self._write_campaign(campaign, condition, audit)

    def _write_campaign(self, campaign: Campaign, condition, audit: list = ()) -> None:
        """Both items (and the ``audit`` entries), or none; StaleWrite if ``condition``
        (on the first) does not hold.

        The case item is always written, empty if need be, so that an edit that drops
        the case leaves none behind (and the API's role needs no DeleteItem)."""
        if not campaign.complete:
            raise ValueError(f"{campaign.campaign_id} was read without its case; writing it would lose the case")
        reasons = self._table.transact([
            {"Put": {"Item": _campaign_to_item(campaign), "ConditionExpression": condition}},
            {"Put": {"Item": _case_to_item(campaign)}},
            *({"Put": {"Item": entry, "ConditionExpression": "attribute_not_exists(pk)"}} for entry in audit)])
        if reasons:
            raise StaleWrite(campaign.campaign_id)

    def campaigns(self, state: str) -> list[Campaign]:
        """Campaigns in ``state`` (open or closed), earliest deadline first."""
        states = [state] if state == OPEN else [state, PUBLICATION_DUE]
        campaigns = [campaign_from_item(item) for name in states for item in self._table.query(
            IndexName=CAMPAIGNS_BY_STATE, KeyConditionExpression=Key("campaign_state").eq(name))]
        return sorted(campaigns, key=lambda campaign: campaign.deadline)

    def campaigns_taking_late_reports(self, now: datetime, longest: timedelta) -> list[Campaign]:
        """Closed campaigns (due for publication or not) whose deadline is at most ``longest``
        before ``now`` and whose late reports are not yet settled: a query of the state index
        per state, over recent deadlines only."""
        since = clock.format_timestamp(now - longest)
        return [campaign_from_item(item) for state in (CLOSED, PUBLICATION_DUE) for item in self._table.query(
            IndexName=CAMPAIGNS_BY_STATE,
            KeyConditionExpression=Key("campaign_state").eq(state) & Key("deadline").gte(since),
            FilterExpression=Attr("late_settled").not_exists())]

    def mark_late_settled(self, campaign_id: str) -> bool:
        """Its late reports are all in a published version: the scheduled job stops looking."""
        self.forget_campaign(campaign_id)
        return self._table.update(campaign_key(campaign_id), "SET late_settled = :yes",
                                  Attr("pk").exists(), {":yes": True})

    def mark_publication_due(self, campaign_id: str) -> bool:
        """A closed campaign has a version to announce: the publication picks it up
        (:meth:`campaigns_due`); False if it is due already or not closed."""
        self.forget_campaign(campaign_id)
        return self._table.update(campaign_key(campaign_id), "SET campaign_state = :due",
                                  Attr("campaign_state").eq(CLOSED), {":due": PUBLICATION_DUE})

    def campaigns_due(self) -> list[Campaign]:
        """Closed campaigns whose newest totals still wait to be published or announced."""
        return [campaign_from_item(item) for item in self._table.query(
            IndexName=CAMPAIGNS_BY_STATE, KeyConditionExpression=Key("campaign_state").eq(PUBLICATION_DUE))]

    def mark_closed(self, campaign_id: str, version: int, closed_at: datetime) -> bool:
        """Record that ``version`` is published and the campaign closed; False if it already was.

        The campaign stays due for publication until :meth:`mark_published`
        (the totals are announced, and any void or reinstatement since the recount re-published).
        """
        self.forget_campaign(campaign_id)
        return self._table.update(
            campaign_key(campaign_id), "SET campaign_state = :due, closed_at = :at, published_version = :v",
            Attr("campaign_state").eq(OPEN),
            {":due": PUBLICATION_DUE, ":at": clock.format_timestamp(closed_at), ":v": version})

    def record_published(self, campaign_id: str, version: int) -> bool:
        """Point the campaign at published ``version``; never moves back to an older one."""
        self.forget_campaign(campaign_id)
        return self._table.update(
            campaign_key(campaign_id), "SET published_version = :v",
            Attr("published_version").not_exists() | Attr("published_version").lt(version), {":v": version})

    def record_notified(self, campaign_id: str, version: int) -> bool:
        """Remember that ``version`` was announced; never moves back to an older one."""
        self.forget_campaign(campaign_id)
        return self._table.update(
            campaign_key(campaign_id), "SET notified_version = :v",
            Attr("notified_version").not_exists() | Attr("notified_version").lt(version), {":v": version})

    def mark_published(self, campaign_id: str, void_count: int, reinstated_count: int = 0,
                       offline_count: int = 0) -> bool:
        """Nothing is due any more, if no report was voided or reinstated and no offline tally
        entered since totals reflecting ``void_count``, ``reinstated_count`` and ``offline_count``."""
        self.forget_campaign(campaign_id)
        return self._table.update(
            campaign_key(campaign_id), "SET campaign_state = :closed",
            Attr("campaign_state").eq(PUBLICATION_DUE)
            & exclusion_counts_are(void_count, reinstated_count, offline_count),
            {":closed": CLOSED})

    def move_deadline(self, campaign: Campaign, deadline: datetime, now: datetime, by: str = "staff") -> bool:
        """Bring an open campaign's deadline forward to ``deadline``, with an audit entry (from,
        to, ``by``, ``now``) in the same transaction; False if it closed or changed.
        Raises DeadlineTooSoon if ``deadline`` is less than DEADLINE_NOTICE from ``now``."""
        check_deadline_move(campaign.deadline, deadline, now)
        self.forget_campaign(campaign.campaign_id)
        reasons = self._table.transact([
            {"Update": {"Key": campaign_key(campaign.campaign_id),
                        "UpdateExpression": "SET deadline = :deadline, updated_at = :now",
                        "ConditionExpression": "campaign_state = :open AND deadline > :deadline AND updated_at = :seen",
                        "ExpressionAttributeValues": {
                            ":deadline": clock.format_timestamp(deadline), ":now": clock.format_timestamp(now),
                            ":open": OPEN, ":seen": clock.format_timestamp(campaign.updated_at)}}},
            {"Put": {"Item": _deadline_audit(campaign.campaign_id, campaign.deadline, deadline, by, now),
                     "ConditionExpression": "attribute_not_exists(pk)"}}])
        return not reasons


def _deadline_audit(campaign_id: str, old: datetime, new: datetime, by: str, now: datetime) -> dict:
    before, after = clock.format_public(old), clock.format_public(new)
    return audit_item(campaign_id, DEADLINE_MOVED, by, f"deadline moved from {before} to {after}", now,
                      old_deadline=before, new_deadline=after)


def optional_timestamp(text):
    return clock.parse_timestamp(text) if text else None


def _count_is(name: str, count: int):
    """Items written before a counter existed lack it: it is 0."""
    condition = Attr(name).eq(count)
    return condition | Attr(name).not_exists() if count == 0 else condition


def exclusion_counts_are(void_count: int, reinstated_count: int, offline_count: int = 0):
    """A condition: the item's void, reinstatement and offline tally counters are exactly these."""
    return (_count_is("void_count", void_count) & _count_is("reinstated_count", reinstated_count)
            & _count_is("offline_count", offline_count))


def stored_state(campaign: Campaign) -> str:
    """The ``campaign_state`` attribute as stored (a closed campaign may be due for publication)."""
    return PUBLICATION_DUE if campaign.publication_due else campaign.state


def _campaign_to_item(campaign: Campaign) -> dict:
    item = {
        **campaign_key(campaign.campaign_id),
        "campaign_id": campaign.campaign_id, "reference": campaign.reference, "title": campaign.title,
        "deadline": clock.format_timestamp(campaign.deadline),
        "targets": [{"id": t.id, "name": t.name, "role": t.role} for t in campaign.targets],
        "actions": list(campaign.actions), "languages": list(campaign.languages),
        "letter_language": campaign.letter_language, "allowed_origins": list(campaign.allowed_origins),
        "campaign_state": stored_state(campaign), "report_shards": campaign.report_shards,
        "void_count": campaign.void_count, "reinstated_count": campaign.reinstated_count,
        "offline_count": campaign.offline_count,
        "created_at": clock.format_timestamp(campaign.created_at),
        "updated_at": clock.format_timestamp(campaign.updated_at),
    }
    if campaign.closed_at:
        item["closed_at"] = clock.format_timestamp(campaign.closed_at)
    if campaign.published_version is not None:
        item["published_version"] = campaign.published_version
    if campaign.notified_version is not None:
        item["notified_version"] = campaign.notified_version
    if campaign.timezone:
        item["timezone"] = campaign.timezone
    if campaign.late_report_days is not None:
        item["late_report_days"] = campaign.late_report_days
    if campaign.late_settled:
        item["late_settled"] = True
    if campaign.case_id:
        item["case_id"] = campaign.case_id
    return item


def _without_empty(mapping: dict) -> dict:
    return {name: value for name, value in mapping.items() if value}


def _case_to_item(campaign: Campaign) -> dict:
    """The case item: the v2 fields but the time zone (kept on the campaign's own item),
    empty ones left out, contacts by target id."""
    case = campaign.case()
    del case["timezone"]
    contacts = {target_id: _without_empty(contact) for target_id, contact in case["contacts"].items()}
    case["contacts"] = _without_empty(contacts)
    case["copies_to"] = [_without_empty(copy) for copy in case["copies_to"]]
    return {**case_key(campaign.campaign_id), **_without_empty(case)}


def _case_fields(case: dict, targets: tuple) -> dict:
    """The Campaign fields the case item holds (all empty for a campaign without one)."""
    contacts = case.get("contacts", {})
    return {
        "index": case.get("index", ""),
        "issued_on": date.fromisoformat(case["issued_on"]) if case.get("issued_on") else None,
        "summary": case.get("summary", ""),
        "people": tuple(Person(p["name"], p.get("pronouns", "")) for p in case.get("people", [])),
        "targets": tuple(target.with_contact(contacts.get(target.id, {})) for target in targets),
        "copies_to": tuple(Target(c.get("id", ""), c["name"], c.get("role", "")).with_contact(c)
                           for c in case.get("copies_to", [])),
        "letter": dict(case.get("letter", {})),
        "follow_up_of": case.get("follow_up_of") or None,
    }


def campaign_from_item(item: dict, case: dict | None = None) -> Campaign:
    """The campaign from its item and, if read (``case`` is not None), its case item
    (``{}`` when it has none)."""
    targets = tuple(Target(t["id"], t["name"], t.get("role", "")) for t in item["targets"])
    whole = _case_fields(case, targets) if case is not None else {"targets": targets}
    return Campaign(
        campaign_id=item["campaign_id"], reference=item["reference"], title=item["title"],
        deadline=clock.parse_timestamp(item["deadline"]),
        actions=tuple(item["actions"]), languages=tuple(item["languages"]),
        letter_language=item["letter_language"], allowed_origins=tuple(item.get("allowed_origins", [])),
        state=CLOSED if item["campaign_state"] == PUBLICATION_DUE else item["campaign_state"],
        publication_due=item["campaign_state"] == PUBLICATION_DUE,
        report_shards=int(item["report_shards"]),
        created_at=clock.parse_timestamp(item["created_at"]),
        updated_at=clock.parse_timestamp(item["updated_at"]),
        closed_at=optional_timestamp(item.get("closed_at")),
        published_version=int(item["published_version"]) if "published_version" in item else None,
        void_count=int(item.get("void_count", 0)),
        reinstated_count=int(item.get("reinstated_count", 0)),
        offline_count=int(item.get("offline_count", 0)),
        notified_version=int(item["notified_version"]) if "notified_version" in item else None,
        timezone=item.get("timezone", ""), case_id=item.get("case_id") or None,
        late_report_days=int(item["late_report_days"]) if "late_report_days" in item else None,
        late_settled=bool(item.get("late_settled", False)),
        complete=case is not None, **whole,
    )
