"""A campaign's outcome: one item beside it (``CAMPAIGN#OUTCOME``), never part of a count.

Recording one is one transaction: the outcome item, its revision one more than the one
read (so two staff changing it at once cannot both win unseen), and an audit entry (who,
when, the status and day: no personal data). The item then waits in the state GSI under
``outcome_due`` (its ``deadline`` key is when it was recorded) until the scheduled job has
announced that revision on the totals topic and removed it from there, conditionally on
the revision, so a change made meanwhile is announced too: at least once, never lost
(chalicelib.counting.outcomes).
"""
from datetime import date
from typing import Callable

from boto3.dynamodb.conditions import Attr, Key

from chalicelib.domain import clock
from chalicelib.domain.outcome import Outcome
from chalicelib.storage.trail import OUTCOME, audit_item
from chalicelib.storage.keys import campaign_of_outcome, outcome_key
from chalicelib.storage.schema import CAMPAIGNS_BY_STATE
from chalicelib.storage.table import StaleWrite, Table

OUTCOME_DUE = "outcome_due"   # campaign_state of an outcome item not yet announced (a GSI partition)


class OutcomeStorage:
    _table: Table
    forget_campaign: Callable[[str], None]

    def get_outcome(self, campaign_id: str) -> Outcome | None:
        """The campaign's outcome as recorded last, or None."""
        item = self._table.get(outcome_key(campaign_id))
        return outcome_from_item(item) if item else None

    def record_outcome(self, campaign_id: str, outcome: Outcome, previous: Outcome | None) -> Outcome:
        """Store ``outcome`` (its ``recorded_by`` and ``recorded_at`` set) in place of ``previous``
        (as read just before; None: there was none), with its audit entry; returns it as
        stored (its revision, due to be announced). StaleWrite if another change came first.
        The caller has read the campaign (campaigns are never deleted)."""
        revision = (previous.revision if previous else 0) + 1
        at = clock.format_timestamp(outcome.recorded_at)
        item = {**outcome_key(campaign_id), "status": outcome.status, "note": outcome.note,
                "on": outcome.on.isoformat(), "recorded_by": outcome.recorded_by, "recorded_at": at,
                "revision": revision, "campaign_state": OUTCOME_DUE, "deadline": at}
        seen = Attr("pk").not_exists() if previous is None else Attr("revision").eq(previous.revision)
        entry = audit_item(campaign_id, OUTCOME, outcome.recorded_by,
                           f"outcome {outcome.status} on {outcome.on.isoformat()} (revision {revision})",
                           outcome.recorded_at, status=outcome.status, on=outcome.on.isoformat(),
                           revision=str(revision))
        self.forget_campaign(campaign_id)
        reasons = self._table.transact([
            {"Put": {"Item": item, "ConditionExpression": seen}},
            {"Put": {"Item": entry, "ConditionExpression": "attribute_not_exists(pk)"}}])
        if reasons:
            raise StaleWrite(campaign_id)
        return outcome_from_item(item)

    def outcomes_due(self) -> list[tuple[str, Outcome]]:
        """``(campaign_id, outcome)`` for every outcome recorded or changed but not yet announced."""
        return [(campaign_of_outcome(item), outcome_from_item(item)) for item in self._table.query(
            IndexName=CAMPAIGNS_BY_STATE, KeyConditionExpression=Key("campaign_state").eq(OUTCOME_DUE))]

    def mark_outcome_announced(self, campaign_id: str, revision: int) -> bool:
        """Record that ``revision`` was announced; False if the outcome changed since (it stays due)."""
        self.forget_campaign(campaign_id)
        return self._table.update(outcome_key(campaign_id), "REMOVE campaign_state, deadline",
                                  Attr("revision").eq(revision), {})


def outcome_from_item(item: dict) -> Outcome:
    return Outcome(item["status"], item.get("note", ""), date.fromisoformat(item["on"]),
                   recorded_by=item.get("recorded_by", ""), recorded_at=clock.parse_timestamp(item["recorded_at"]),
                   revision=int(item["revision"]), announced=item.get("campaign_state") != OUTCOME_DUE)

