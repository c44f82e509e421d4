"""Settings read from the environment, once, when first needed.

The Chalice CLI imports ``app.py`` and the test client sets the stage's
environment only while a request runs, so nothing here runs at import time.
"""
import os
from dataclasses import dataclass

from chalicelib.domain.campaign import MAX_LATE_REPORT_DAYS
from chalicelib.domain.zones import zone

# How Lambda reads the table's stream for the fold (app.py; infra/stack.py adds the
# tumbling window, retries and failure queue Chalice's decorator has no words for).
# From the oldest record kept, so that a new mapping misses nothing of the last 24 hours;
# up to 1,000 records or 10 seconds a batch: one write per campaign and batch.
STREAM_BATCH = {"starting_position": "TRIM_HORIZON", "batch_size": 1000, "maximum_batching_window_in_seconds": 10}
# What Chalice's decorator is given when nothing better is known: the packaged templates
# replace it with their own table's stream (infra/stack.py).
_STREAM_PLACEHOLDER = "arn:aws:dynamodb:us-east-1:000000000000:table/action-tally/stream/set-by-the-deployment"


@dataclass(frozen=True)
class Settings:
    table_name: str
    region: str = "us-east-1"
    dynamodb_endpoint_url: str | None = None
    max_count_per_action: int = 50
    max_body_bytes: int = 16 * 1024
    # Longer than the API function's timeout plus clock skew: a report stamped
    # before ``now - settle_seconds`` has certainly landed in the table.
    settle_seconds: int = 30
    tally_interval_seconds: int = 60
    report_shards: int = 4
    totals_topic_arn: str | None = None   # SNS topic announcing final totals; unset: not announced
    # Abuse checks (see chalicelib/counting/abuse.py). No default secret: tokens made
    # with a guessable one would be worthless.
    form_token_secret: str | None = None
    form_token_ttl_seconds: int = 24 * 3600
    min_fill_seconds: int = 3
    # Reports one client (a keyed hash of its IP) may send to one campaign per
    # minute, per container; 0 turns the limit off. See chalicelib/counting/rate_limit.py.
    rate_limit_per_minute: int = 120
    personal_data_retention_days: int = 90
    # Where a campaign's date-only deadline ends (23:59:59 there) when its body names no
    # timezone, and what the case-sheet importer proposes when the request names none.
    default_timezone: str = "UTC"
    # Group reports (see chalicelib.domain.report): the most people one report may speak for,
    # and above how many a report without a consented contact waits for staff review.
    max_participants: int = 500
    group_review_threshold: int = 50
    # No breakdown an official or the public sees shows a cell below this (see
    # chalicelib.domain.disclosure); 1 shows every figure.
    small_cell_min: int = 10
    # Who hands the summary to officials (it signs it); unset, the summary names nobody.
    organisation_name: str = ""
    # Late reports (see chalicelib.counting.late): days after a deadline a report of actions taken
    # before it is still taken (a campaign's late_report_days overrides it; 0: none), and how
    # often at most the final totals are amended with the late reports that came.
    late_report_days: int = 14
    late_publication_seconds: int = 86400


def _int(environ, name, default, minimum=0, maximum=None):
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    value = int(raw)
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value}")
    return value


def _topic_arn(environ):
    arn = environ.get("TOTALS_TOPIC_ARN") or None
    if arn and not (arn.startswith("arn:") and len(arn.split(":")) == 6):
        raise ValueError("TOTALS_TOPIC_ARN must be an SNS topic ARN "
                         f"(arn:aws:sns:<region>:<account>:<name>), got {arn}")
    return arn


def deployed_stream_arn(environ=None) -> str:
    """The stream the fold function reads, as Chalice's decorator in app.py needs it when
    app.py is imported: ``TABLE_STREAM_ARN`` for `chalice deploy` (`make resources` prints
    the command); a placeholder otherwise, which the packaged templates replace."""
    environ = os.environ if environ is None else environ
    return environ.get("TABLE_STREAM_ARN") or _STREAM_PLACEHOLDER


def _zone_name(environ):
    name = (environ.get("DEFAULT_TIMEZONE") or "UTC").strip()
    if zone(name) is None:
        raise ValueError(f"DEFAULT_TIMEZONE must be an IANA time zone name such as America/Caracas, got {name!r}")
    return name


def load_settings(environ=None) -> Settings:
    """Build :class:`Settings` from environment variables (see docs/configuration.md)."""
    environ = os.environ if environ is None else environ
    return Settings(
        table_name=environ.get("TABLE_NAME", "action-tally-dev"),
        region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        dynamodb_endpoint_url=environ.get("DYNAMODB_ENDPOINT_URL") or None,
        max_count_per_action=_int(environ, "MAX_COUNT_PER_ACTION", 50, minimum=1),
        max_body_bytes=_int(environ, "MAX_BODY_BYTES", 16 * 1024, minimum=1024),
        settle_seconds=_int(environ, "SETTLE_SECONDS", 30),
        tally_interval_seconds=_int(environ, "TALLY_INTERVAL_SECONDS", 60, minimum=1),
        report_shards=_int(environ, "REPORT_SHARDS", 4, minimum=1),
        totals_topic_arn=_topic_arn(environ),
        form_token_secret=environ.get("FORM_TOKEN_SECRET") or None,
        form_token_ttl_seconds=_int(environ, "FORM_TOKEN_TTL_SECONDS", 24 * 3600, minimum=60),
        min_fill_seconds=_int(environ, "MIN_FILL_SECONDS", 3),
        rate_limit_per_minute=_int(environ, "RATE_LIMIT_PER_MINUTE", 120),
        personal_data_retention_days=_int(environ, "PERSONAL_DATA_RETENTION_DAYS", 90),
        default_timezone=_zone_name(environ),
        max_participants=_int(environ, "MAX_PARTICIPANTS", 500, minimum=1),
        group_review_threshold=_int(environ, "GROUP_REVIEW_THRESHOLD", 50, minimum=1),
        small_cell_min=_int(environ, "SMALL_CELL_MIN", 10, minimum=1),
        organisation_name=(environ.get("ORGANISATION_NAME") or "").strip()[:200],
        late_report_days=_int(environ, "LATE_REPORT_DAYS", 14, maximum=MAX_LATE_REPORT_DAYS),
        late_publication_seconds=_int(environ, "LATE_PUBLICATION_SECONDS", 86400, minimum=1),
    )
