"""Totals items: the provisional state the scheduled job folds into (settled
counts under a watermark, and the unsettled tail), and each published version
of the final totals, create-only."""
from dataclasses import dataclass
from datetime import datetime

from boto3.dynamodb.conditions import Attr, Key

from chalicelib.domain import clock
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.totals import TALLY_SHAPE, Tally, Totals
from chalicelib.storage.campaigns import exclusion_counts_are
from chalicelib.storage.keys import FINAL_PREFIX, campaign_partition, final_key, provisional_key
from chalicelib.storage.table import StaleWrite, Table


@dataclass(frozen=True)
class ProvisionalState:
    settled: Tally           # every report received before ``watermark``
    watermark: str           # a timestamp from :mod:`clock`
    tail: Tally              # reports received from ``watermark`` up to ``as_of``
    as_of: datetime
    void_count: int = 0      # the campaign's void_count when the counting began
    reinstated_count: int = 0   # and its reinstated_count
    shape: int = TALLY_SHAPE    # what its tallies count (items written before people: 1)

    def reflects(self, campaign: Campaign) -> bool:
        """True if this state counted with every void and reinstatement of ``campaign`` so far,
        in today's shape (an older one is counted again from the start)."""
        return (self.void_count, self.reinstated_count, self.shape) == (
            campaign.void_count, campaign.reinstated_count, TALLY_SHAPE)


class TotalsStorage:
    _table: Table

    def get_provisional(self, campaign_id: str) -> ProvisionalState | None:
        item = self._table.get(provisional_key(campaign_id))
        if not item:
            return None
        return ProvisionalState(Tally.from_dict(item["settled"]), item["watermark"],
                                Tally.from_dict(item["tail"]), clock.parse_timestamp(item["as_of"]),
                                int(item.get("void_count", 0)), int(item.get("reinstated_count", 0)),
                                int(item.get("shape", 1)))

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
        item = {**provisional_key(campaign_id), "watermark": state.watermark,
                "settled": state.settled.as_dict(), "tail": state.tail.as_dict(),
                "as_of": clock.format_timestamp(state.as_of), "void_count": state.void_count,
                "reinstated_count": state.reinstated_count, "shape": state.shape}
        if previous is None:
            condition = Attr("pk").not_exists()
        else:
            condition = (Attr("watermark").eq(previous.watermark)
                         & Attr("as_of").eq(clock.format_timestamp(previous.as_of))
                         & exclusion_counts_are(previous.void_count, previous.reinstated_count))
        try:
            self._table.put(item, condition)
            return True
        except StaleWrite:
            return False

    def publish_final(self, campaign_id: str, totals: Totals) -> Totals:
        """Publish ``totals`` as version ``totals.version``, once.

        If that version exists already (a concurrent or earlier run), the stored
        one is returned: published versions are never overwritten.
        """
        item = {**final_key(campaign_id, totals.version),
                "tally": totals.tally.as_dict(), "version": totals.version,
                "as_of": clock.format_timestamp(totals.as_of), "void_count": totals.void_count,
                "reinstated_count": totals.reinstated_count}
        try:
            self._table.put(item, Attr("pk").not_exists())
            return totals
        except StaleWrite:
            return self.latest_final(campaign_id)

    def latest_final(self, campaign_id: str) -> Totals | None:
        items = self._table.query_page(KeyConditionExpression=_finals(campaign_id), ScanIndexForward=False,
                                       Limit=1, ConsistentRead=True)["Items"]
        return _totals_from_item(campaign_id, items[0]) if items else None

    def final_versions(self, campaign_id: str) -> list[Totals]:
        """Every published version of the final totals, oldest first."""
        return [_totals_from_item(campaign_id, item) for item in self._table.query(
            KeyConditionExpression=_finals(campaign_id), ConsistentRead=True)]


def _finals(campaign_id):
    return Key("pk").eq(campaign_partition(campaign_id)) & Key("sk").begins_with(FINAL_PREFIX)


def _totals_from_item(campaign_id, item) -> Totals:
    return Totals(campaign_id, Tally.from_dict(item["tally"]), True, clock.parse_timestamp(item["as_of"]),
                  int(item["version"]), int(item.get("void_count", 0)), int(item.get("reinstated_count", 0)))
