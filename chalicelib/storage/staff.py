"""Staff credentials: tokens (only their SHA-256 hashes are stored) and the
dashboard's sign-in sessions, which DynamoDB's TTL removes after they expire."""
from dataclasses import dataclass
from datetime import datetime

from boto3.dynamodb.conditions import Attr, Key

from chalicelib.domain import clock
from chalicelib.storage.campaigns import optional_timestamp
from chalicelib.storage.keys import STAFF_TOKENS, staff_session_key, staff_token_key
from chalicelib.storage.schema import TTL_ATTRIBUTE
from chalicelib.storage.table import Table


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


class StaffStorage:
    _table: Table

    def put_staff_token(self, token: StaffToken) -> None:
        item = {**staff_token_key(token.token_hash), "label": token.label,
                "created_at": clock.format_timestamp(token.created_at)}
        if token.expires_at:
            item["expires_at_iso"] = clock.format_timestamp(token.expires_at)
        if token.revoked_at:
            item["revoked_at"] = clock.format_timestamp(token.revoked_at)
        self._table.put(item, Attr("pk").not_exists())

    def revoke_staff_token(self, token_hash: str, revoked_at: datetime) -> bool:
        """Revoke a token for good; False if there is no such token."""
        return self._table.update(staff_token_key(token_hash), "SET revoked_at = if_not_exists(revoked_at, :at)",
                                  Attr("pk").exists(), {":at": clock.format_timestamp(revoked_at)})

    def get_staff_token(self, token_hash: str) -> StaffToken | None:
        item = self._table.get(staff_token_key(token_hash))   # consistent: a revocation takes effect at once
        return _token_from_item(item) if item else None

    def staff_tokens(self) -> list[StaffToken]:
        """Every staff token ever issued (their hashes and labels), revoked ones included."""
        return [_token_from_item(item) for item in self._table.query(
            KeyConditionExpression=Key("pk").eq(STAFF_TOKENS), ConsistentRead=True)]

    def put_staff_session(self, session: StaffSession) -> None:
        """Store a new dashboard session; DynamoDB's TTL removes it some time after it expires."""
        self._table.put({**staff_session_key(session.session_hash), "token_hash": session.token_hash,
                         "created_at": clock.format_timestamp(session.created_at),
                         "expires_at_iso": clock.format_timestamp(session.expires_at),
                         TTL_ATTRIBUTE: int(session.expires_at.timestamp())}, Attr("pk").not_exists())

    def get_staff_session(self, session_hash: str) -> StaffSession | None:
        item = self._table.get(staff_session_key(session_hash))
        if not item:
            return None
        return StaffSession(item["sk"], item["token_hash"], clock.parse_timestamp(item["created_at"]),
                            clock.parse_timestamp(item["expires_at_iso"]))

    def end_staff_session(self, session_hash: str, now: datetime) -> None:
        """Sign out: the session expires now (an update, so no delete permission is needed)."""
        self._table.update(staff_session_key(session_hash), "SET expires_at_iso = :now",
                           Attr("pk").exists(), {":now": clock.format_timestamp(now)})


def _token_from_item(item) -> StaffToken:
    return StaffToken(item["sk"], item["label"], clock.parse_timestamp(item["created_at"]),
                      optional_timestamp(item.get("expires_at_iso")),
                      optional_timestamp(item.get("revoked_at")))
