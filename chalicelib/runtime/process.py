"""The process's settings and storage, made on first use and then reused.

Lambda keeps a warm process between invocations, so the boto3 resource (and
its connection pool) is built once; nothing here runs at import time.
"""
import logging

import boto3
from botocore.config import Config

from chalicelib.runtime.config import Settings, load_settings
from chalicelib.storage import TallyStore

_SETTINGS: Settings | None = None
_STORE: TallyStore | None = None
_NOTIFIER = None   # a TotalsNotifier (runtime.notify), made by the scheduled job's first run
# Bounded retries and timeouts: an API call must finish well inside the
# function timeout, which the tally job's settle time depends on. Three
# attempts in all ("max_attempts" would count retries: four attempts).
BOTO_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 3},
                     connect_timeout=2, read_timeout=3)


def settings() -> Settings:
    global _SETTINGS
    if _SETTINGS is None:
        _SETTINGS = load_settings()
    return _SETTINGS


def store() -> TallyStore:
    global _STORE
    if _STORE is None:
        keep_personal_data_out_of_library_logs()
        current = settings()
        resource = boto3.resource("dynamodb", region_name=current.region, config=BOTO_CONFIG,
                                  endpoint_url=current.dynamodb_endpoint_url)
        _STORE = TallyStore(resource.Table(current.table_name))
    return _STORE


def notifier():
    """Announces final totals on ``TOTALS_TOPIC_ARN``, or skips with a log line when unset."""
    from chalicelib.runtime.notify import TotalsNotifier

    global _NOTIFIER
    if _NOTIFIER is None:
        topic = settings().totals_topic_arn
        # The topic's own region (arn:aws:sns:<region>:<account>:<name>), wherever the function runs.
        client = boto3.client("sns", region_name=topic.split(":")[3], config=BOTO_CONFIG) if topic else None
        _NOTIFIER = TotalsNotifier(client, topic)
    return _NOTIFIER


def reset() -> None:
    """Forget cached settings and storage (tests, and local runs that switch tables)."""
    global _SETTINGS, _STORE, _NOTIFIER
    _SETTINGS = _STORE = _NOTIFIER = None


# Libraries that log request bodies (and so names and addresses) at DEBUG.
_CHATTY_LOGGERS = ("boto3", "botocore", "urllib3")


def keep_personal_data_out_of_library_logs() -> None:
    """Never let boto3 and friends log request bodies, whatever the root level
    is set to now or later: their own level is pinned to WARNING."""
    for name in _CHATTY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:   # NOTSET (0) would follow the root down to DEBUG
            logger.setLevel(logging.WARNING)
