"""Rate-limit counters: how many reports one client (a keyed hash of its address)
sent to one campaign in a one-minute window. They expire by TTL."""
from datetime import datetime

from boto3.dynamodb.conditions import Attr

from chalicelib.storage.keys import rate_key
from chalicelib.storage.schema import TTL_ATTRIBUTE
from chalicelib.storage.table import Table


class RateLimitStorage:
    _table: Table

    def reports_in_window(self, campaign_id: str, client_key: str, window_start: datetime,
                          now: datetime) -> int:
        """Reports counted for one client in the window that starts at ``window_start``.

        Expired counters read as 0: DynamoDB's TTL deletes late (and moto never).
        """
        item = self._table.get(rate_key(campaign_id, client_key, window_start), consistent=False)
        if not item or int(item[TTL_ATTRIBUTE]) <= now.timestamp():
            return 0
        return int(item["reports_counted"])

    def count_report_in_window(self, campaign_id: str, client_key: str, window_start: datetime,
                               below: int, expires_at: datetime) -> bool:
        """Count one more report in the window if fewer than ``below`` are counted.

        One conditional UpdateItem, so concurrent requests cannot overshoot;
        False (and nothing written) when the window is full.
        """
        return self._table.update(
            rate_key(campaign_id, client_key, window_start),
            f"ADD reports_counted :one SET {TTL_ATTRIBUTE} = :expires",
            Attr("reports_counted").not_exists() | Attr("reports_counted").lt(below),
            {":one": 1, ":expires": int(expires_at.timestamp())})
