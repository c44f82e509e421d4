"""What this process read or wrote a moment ago, with the instant it was read: campaigns,
provisional totals and the receipts of reports it recorded, so that a busy container
does not read the same item for every request.

Nothing here decides whether a value is fresh enough: the caller says how old it may
be (see :mod:`chalicelib.counting.intake` for the campaign's rules). Values live in
this process only, never shared, and are dropped when older than any caller allows.
"""
import threading
from collections import OrderedDict
from datetime import datetime


class Recent:
    """Values by key, each with the instant it was read; at most ``size`` of them."""

    def __init__(self, size: int = 1024):
        self.size = size
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()   # `make run` serves from threads

    def get(self, key, now: datetime, max_age_seconds: float):
        """The value kept for ``key`` if read at most ``max_age_seconds`` before ``now``
        (and not after it: a clock moved back trusts nothing), else None."""
        with self._lock:
            kept = self._values.get(key)
        if kept is None:
            return None
        value, read_at = kept
        age = (now - read_at).total_seconds()
        return value if 0 <= age <= max_age_seconds else None

    def put(self, key, value, read_at: datetime) -> None:
        """Keep ``value``, read at ``read_at`` (before the read was sent: never younger than it is)."""
        with self._lock:
            self._values[key] = (value, read_at)
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def forget(self, key) -> None:
        with self._lock:
            self._values.pop(key, None)
