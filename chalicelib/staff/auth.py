"""Staff tokens: random, shown once, stored only as a SHA-256 hash."""
import hashlib
import hmac
import re
import secrets

from chalice import AuthResponse

from chalicelib.domain.errors import Unauthorized
from chalicelib.storage import StaffToken, TallyStore

# What a token (or a session id, likewise random) can look like: ours are 43 URL-safe
# characters; anything else a client sends (7 KB, control or non-ASCII characters) is
# refused before it is hashed or looked up.
_TOKEN = re.compile(r"[\x21-\x7e]{20,512}")


def well_formed(token) -> bool:
    """Whether ``token`` could be a staff token or a session id: 20 to 512 visible ASCII characters."""
    return isinstance(token, str) and _TOKEN.fullmatch(token) is not None


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(store: TallyStore, label: str, now, expires_at=None, token: str | None = None) -> str:
    """Store a token's hash and return the token itself, which is never stored."""
    token = token or new_token()
    if not well_formed(token):
        raise ValueError("a staff token needs 20 to 512 visible ASCII characters")
    store.put_staff_token(StaffToken(hash_token(token), label, now, expires_at))
    return token


def authenticate(store: TallyStore, authorization: str | None, now) -> StaffToken:
    """The staff token behind an ``Authorization: Bearer`` header, or Unauthorized."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not well_formed(token):
        raise Unauthorized()
    presented = hash_token(token)
    record = store.get_staff_token(presented)
    if record is None or not hmac.compare_digest(record.token_hash, presented):
        raise Unauthorized()
    if record.revoked_at or (record.expires_at and record.expires_at <= now):
        raise Unauthorized()
    return record


class StaffTokenRefused(Exception):
    """Raised by the API Gateway authorizers for any refused credential.

    API Gateway answers 401 (its UNAUTHORIZED gateway response) only when an
    authorizer fails with exactly the message "Unauthorized"; anything else
    becomes a 500. The gateway response carries the API's JSON error shape.
    """

    def __init__(self):
        super().__init__("Unauthorized")


def gateway_decision(check, *args) -> AuthResponse:
    """Run ``check`` (which returns a StaffToken or raises Unauthorized) for an authorizer:
    allow the staff routes, or raise StaffTokenRefused."""
    try:
        token = check(*args)
    except Unauthorized:
        raise StaffTokenRefused() from None
    # Only a prefix of the hash: enough to tell tokens apart in logs, useless to an attacker.
    return AuthResponse(routes=["/staff/*"], principal_id=token.token_hash[:12],
                        context={"label": token.label})
