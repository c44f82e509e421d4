"""Time in one place, so that tests can move it and every timestamp shares one format."""
from datetime import datetime, timezone

# Fixed width, microsecond precision, UTC: these strings sort in time order,
# which the report index and the tally watermark rely on.
_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def now() -> datetime:
    """The current time, timezone-aware in UTC. Tests monkeypatch this."""
    return datetime.now(timezone.utc)


def format_timestamp(moment: datetime) -> str:
    """A sortable UTC timestamp string, e.g. ``2022-07-16T03:59:59.000000Z``."""
    return moment.astimezone(timezone.utc).strftime(_TIMESTAMP_FORMAT)


def parse_timestamp(text: str) -> datetime:
    """Reverse of :func:`format_timestamp`."""
    return datetime.strptime(text, _TIMESTAMP_FORMAT).replace(tzinfo=timezone.utc)


def format_public(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, to the second, for API responses."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
