"""Abuse limits: how many reports one client may send to one campaign per minute.

The client is a keyed hash of its IP address, never the address itself:
HMAC-SHA256 under a key derived from ``RATE_LIMIT_SECRET`` and the UTC date,
so the key changes every day and yesterday's hashes match nothing today. The
address is used only inside the request that carries it; it is not stored and
not logged.

The window slides, approximated from two fixed one-minute windows (the method
Cloudflare describes): the count of this minute plus the previous minute's
count weighted by the share of it still inside the last 60 seconds. Counts are
DynamoDB items that expire (TTL) once they can no longer matter.
"""
import hashlib
import hmac
import logging
import math
import secrets
from datetime import date, datetime, timedelta

from chalicelib.domain.errors import TooManyReports
from chalicelib.runtime.config import Settings
from chalicelib.storage import TallyStore

log = logging.getLogger(__name__)
WINDOW = timedelta(seconds=60)
_PROCESS_SECRET: bytes | None = None


def client_key(secret: bytes, client_ip: str, day: date) -> str:
    """The client's name for one UTC day: a keyed hash of its address."""
    day_key = hmac.new(secret, f"rate-limit:{day.isoformat()}".encode(), hashlib.sha256).digest()
    return hmac.new(day_key, client_ip.encode(), hashlib.sha256).hexdigest()[:32]


def window_start(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def admit_report(store: TallyStore, settings: Settings, campaign_id: str, client_ip: str | None,
                 now: datetime) -> None:
    """Count one report from ``client_ip`` to the campaign, or raise TooManyReports.

    A refused report writes nothing, so a client that keeps trying still gets
    its full allowance each minute. One read (the previous minute) and one
    conditional write (this minute) per admitted report.
    """
    limit = settings.rate_limit_per_minute
    if not limit or not client_ip:
        return
    secret = _secret(settings)
    current = window_start(now)
    previous = current - WINDOW
    earlier = store.reports_in_window(campaign_id, client_key(secret, client_ip, previous.date()),
                                      previous, now)
    elapsed = (now - current) / WINDOW
    allowed = math.floor(limit - earlier * (1 - elapsed))
    key = client_key(secret, client_ip, current.date())
    if allowed > 0 and store.count_report_in_window(campaign_id, key, current, allowed,
                                                    expires_at=current + 2 * WINDOW):
        return
    raise TooManyReports(retry_after(limit, max(allowed, 0), earlier, elapsed))


def retry_after(limit: int, this_minute: int, last_minute: int, elapsed: float) -> int:
    """Whole seconds until one more report fits, if no other arrives meanwhile.

    ``elapsed`` is the share of this minute gone by (0 to 1).
    """
    window = WINDOW.total_seconds()
    room = limit - 1 - this_minute
    if room >= 0:
        # This minute has room; wait for the last minute's weight to fall below it.
        wait = window * (1 - room / last_minute) - window * elapsed if last_minute else 0
    else:
        # Only next minute, once this minute's weight has fallen far enough.
        wait = window * (1 - elapsed) + window * max(0.0, 1 - (limit - 1) / this_minute)
    return max(1, math.ceil(wait))


def _secret(settings: Settings) -> bytes:
    global _PROCESS_SECRET
    if settings.rate_limit_secret:
        return settings.rate_limit_secret.encode()
    if _PROCESS_SECRET is None:
        # Each process then names clients differently: limits hold per process
        # (per Lambda container) only. Set RATE_LIMIT_SECRET in every stage.
        log.warning("RATE_LIMIT_SECRET is not set; using a random key for this process")
        _PROCESS_SECRET = secrets.token_bytes(32)
    return _PROCESS_SECRET
