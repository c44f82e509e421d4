"""Time zones by IANA name, from the standard library's ``zoneinfo``.

``zoneinfo`` reads the system's tz database; the Lambda Python 3.11 runtime (Amazon Linux 2)
has it in /usr/share/zoneinfo, so no ``tzdata`` package is shipped (it would add about
350 KB to the zip; see docs/dependencies.md). UTC needs no database at all.
"""
from datetime import timezone, tzinfo
from functools import lru_cache

_UTC_NAMES = ("UTC", "Etc/UTC")


@lru_cache(maxsize=256)
def zone(name: str) -> tzinfo | None:
    """The zone called ``name`` (e.g. ``America/Caracas``), or None if there is none."""
    if name in _UTC_NAMES:
        return timezone.utc
    if not name or name.startswith("/") or ".." in name or "\\" in name:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError   # on first use, not at every cold start

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
