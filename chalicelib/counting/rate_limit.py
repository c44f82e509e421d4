"""Abuse limits: how many reports one client may send to one campaign per minute,
counted in this process (one Lambda container), with no read or write to DynamoDB.

The limit across containers is the platform's: the packaged templates put an AWS WAF
rate-based rule in front of the API, keyed on the client's address and the request
path (docs/abuse-limits.md says what each guarantees). Here, a client is a keyed hash
of its IP address under a key this process made at random when it started: the
address is used only inside the request that carries it, and neither it nor the hash
is stored or logged; a hash names nobody once the process is gone.

The window slides, approximated from two fixed one-minute windows (the method
Cloudflare describes): the count of this minute plus the previous minute's count
weighted by the share of it still inside the last 60 seconds. A refused report
counts nothing, so a client that keeps trying still gets its full allowance each
minute.
"""
import hashlib
import hmac
import math
import secrets
import threading
from datetime import datetime, timedelta

from chalicelib.domain.errors import TooManyReports
from chalicelib.runtime.config import Settings

WINDOW = timedelta(seconds=60)
_MAX_CLIENTS = 50_000   # counted at once per process; older windows are dropped first


class ClientCounts:
    """Reports per client and campaign in this minute and the last, in this process."""

    def __init__(self, key: bytes | None = None):
        self._key = key or secrets.token_bytes(32)
        self._counts: dict[tuple, list] = {}   # (campaign id, client) -> [minute, this minute, last minute]
        self._lock = threading.Lock()          # `make run` serves from threads

    def client(self, client_ip: str) -> str:
        """The client's name in this process: a keyed hash of its address."""
        return hmac.new(self._key, client_ip.encode(), hashlib.sha256).hexdigest()[:32]

    def admit(self, campaign_id: str, client_ip: str, limit: int, now: datetime) -> None:
        """Count one report from ``client_ip`` to the campaign, or raise TooManyReports."""
        minute = window_start(now)
        key = (campaign_id, self.client(client_ip))
        with self._lock:
            counts = self._counts.get(key)
            if counts is None or counts[0] < minute - WINDOW:
                counts = [minute, 0, 0]
            elif counts[0] < minute:   # the counted minute is now the last one
                counts = [minute, 0, counts[1]]
            elapsed = (now - minute) / WINDOW
            allowed = math.floor(limit - counts[2] * (1 - elapsed))
            if counts[1] >= allowed:
                raise TooManyReports(retry_after(limit, counts[1], counts[2], elapsed))
            counts[1] += 1
            self._counts[key] = counts
            if len(self._counts) > _MAX_CLIENTS:
                self._forget_before(minute)

    def _forget_before(self, minute):
        for key in [key for key, counts in self._counts.items() if counts[0] < minute]:
            del self._counts[key]
        while len(self._counts) > _MAX_CLIENTS:   # a flood of addresses this very minute
            del self._counts[next(iter(self._counts))]


_PROCESS = ClientCounts()


def admit_report(settings: Settings, campaign_id: str, client_ip: str | None, now: datetime,
                 counts: ClientCounts | None = None) -> None:
    """Count one report from ``client_ip`` to the campaign in this process, or raise
    TooManyReports; nothing to count without an address or with the limit off."""
    limit = settings.rate_limit_per_minute
    if limit and client_ip:
        (counts or _PROCESS).admit(campaign_id, client_ip, limit, now)


def window_start(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


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


def forget_all() -> None:
    """Start counting afresh (tests: one process stands for many requests' worth of containers)."""
    global _PROCESS
    _PROCESS = ClientCounts()
