"""Dashboard sign-in: a browser cannot send ``Authorization: Bearer`` on a plain link, so a
staff member pastes their token once into the sign-in form and gets a session cookie.

The cookie holds a random 256-bit session id; only its SHA-256 hash is stored,
with the token it stands for and an expiry, so a stolen table row cannot be
replayed, and revoking the token ends its sessions at once. The cookie is
HttpOnly (no script reads it), Secure, and SameSite=Strict: no other site can
make a browser send it, so pages reached by GET and the sign-in/out POSTs are
safe from cross-site request forgery without a form token. The forms that change
campaigns carry one all the same (:func:`form_token`): a sibling subdomain is the same
*site*, and SameSite does not stop it.
"""
import hashlib
import hmac
import secrets
from datetime import timedelta

from chalicelib.domain.errors import Unauthorized
from chalicelib.staff.auth import authenticate, hash_token, well_formed
from chalicelib.storage import StaffSession, StaffToken, TallyStore

COOKIE = "staff_session"
SESSION_HOURS = 8   # one working day; never beyond the token's own expiry


def sign_in(store: TallyStore, token: str, now) -> tuple[str, StaffSession]:
    """A new session for a valid staff ``token``: the cookie value and the stored session."""
    staff = authenticate(store, f"Bearer {token}", now)
    expires = now + timedelta(hours=SESSION_HOURS)
    if staff.expires_at:
        expires = min(expires, staff.expires_at)
    session_id = secrets.token_urlsafe(32)
    session = StaffSession(hash_token(session_id), staff.token_hash, now, expires)
    store.put_staff_session(session)
    return session_id, session


def session_staff(store: TallyStore, cookie_header: str | None, now) -> StaffToken:
    """The staff token behind the session cookie in ``cookie_header``, or Unauthorized."""
    session_id = _cookie(cookie_header, COOKIE)
    if not well_formed(session_id):
        raise Unauthorized()
    session = store.get_staff_session(hash_token(session_id))
    if session is None or session.expires_at <= now:
        raise Unauthorized()
    token = store.get_staff_token(session.token_hash)
    if token is None or token.revoked_at or (token.expires_at and token.expires_at <= now):
        raise Unauthorized()
    return token


def sign_out(store: TallyStore, cookie_header: str | None, now) -> None:
    session_id = _cookie(cookie_header, COOKIE)
    if well_formed(session_id):
        store.end_staff_session(hash_token(session_id), now)


def set_cookie(session_id: str, session: StaffSession, now) -> str:
    seconds = max(0, int((session.expires_at - now).total_seconds()))
    return f"{COOKIE}={session_id}; Max-Age={seconds}; Path=/; Secure; HttpOnly; SameSite=Strict"


def clear_cookie() -> str:
    return f"{COOKIE}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Strict"


def form_token(cookie_header: str | None) -> str:
    """The hidden field a dashboard form that changes something carries: keyed by the session
    id, which only this browser has (in an HttpOnly cookie), so no other page can know it."""
    session_id = _cookie(cookie_header, COOKIE) or ""
    return hmac.new(session_id.encode(), b"action-tally staff form", hashlib.sha256).hexdigest()


def form_token_matches(cookie_header: str | None, token) -> bool:
    # compare_digest refuses str with non-ASCII characters: compare the bytes
    return isinstance(token, str) and hmac.compare_digest(form_token(cookie_header).encode(),
                                                          token.encode("utf-8", "replace"))


def same_origin(request) -> bool:
    """Whether the browser says the POST comes from our own pages (no header: not a browser)."""
    return (request.headers.get("sec-fetch-site") or "same-origin") in ("same-origin", "none")


def _cookie(header: str | None, name: str) -> str | None:
    for part in (header or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value.strip()
    return None
