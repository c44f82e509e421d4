"""The key layout of the one table: every item's ``pk`` and ``sk``, in one place.

=============================  =======================  ==================================
pk                             sk                       what
=============================  =======================  ==================================
``CAMPAIGN#<id>``              ``CAMPAIGN``             the campaign (also in the state GSI)
``CAMPAIGN#<id>``              ``CAMPAIGN#CASE``        the rest of its case sheet (contract v2)
``CAMPAIGN#<id>``              ``CAMPAIGN#OUTCOME``     how the case ended (in the state GSI while unannounced)
``CAMPAIGN#<id>``              ``TOTALS#PROVISIONAL``   running totals + watermark
``CAMPAIGN#<id>``              ``TOTALS#FINAL#<v>``     published final totals, version v
``REPORTS#<id>#<shard>``       ``<submission_id>``      one report
``TALLIES#<id>``               ``<tally_id>``           an offline tally's entry in its campaign's list
``STAFF_TOKENS``               ``<sha256 of token>``    a staff token's hash and metadata
``STAFF_SESSIONS``             ``<sha256 of session>``  a dashboard sign-in (expires with TTL)
``AUDIT#<id>``                 ``<timestamp>#<uuid>``   one staff action (void, reinstate; deadline moved, outcome)
``RATE#<id>#<client key>``     ``<window start>``       reports one client sent in a minute
``ERASURES``                   ``<at>#<request id>``    an erasure's audit record
``ERASURE_REQUESTS``           ``<request id>``         a supporter's erasure request, worked on by the scheduler
=============================  =======================  ==================================

See docs/data-model.md for the indexes and the access patterns behind them.
"""
from datetime import datetime

from chalicelib.domain import clock
from chalicelib.domain.report import shard_for

CAMPAIGN_SK = "CAMPAIGN"
CASE_SK = "CAMPAIGN#CASE"   # begins with CAMPAIGN_SK: one query reads the campaign and its case
OUTCOME_SK = "CAMPAIGN#OUTCOME"   # likewise, and its outcome
PROVISIONAL_SK = "TOTALS#PROVISIONAL"
FINAL_PREFIX = "TOTALS#FINAL#"
STAFF_TOKENS = "STAFF_TOKENS"
STAFF_SESSIONS = "STAFF_SESSIONS"
ERASURES = "ERASURES"
ERASURE_REQUESTS = "ERASURE_REQUESTS"


def campaign_partition(campaign_id: str) -> str:
    return f"CAMPAIGN#{campaign_id}"


def campaign_key(campaign_id: str) -> dict:
    return {"pk": campaign_partition(campaign_id), "sk": CAMPAIGN_SK}


def case_key(campaign_id: str) -> dict:
    return {"pk": campaign_partition(campaign_id), "sk": CASE_SK}


def outcome_key(campaign_id: str) -> dict:
    return {"pk": campaign_partition(campaign_id), "sk": OUTCOME_SK}


def campaign_of_outcome(item: dict) -> str:
    return item["pk"].removeprefix("CAMPAIGN#")


def provisional_key(campaign_id: str) -> dict:
    return {"pk": campaign_partition(campaign_id), "sk": PROVISIONAL_SK}


def final_key(campaign_id: str, version: int) -> dict:
    return {"pk": campaign_partition(campaign_id), "sk": f"{FINAL_PREFIX}{version:06d}"}


def report_partition(campaign_id: str, shard: int) -> str:
    return f"REPORTS#{campaign_id}#{shard}"


def report_key(campaign, submission_id: str) -> dict:
    """Where ``campaign``'s report under ``submission_id`` lives (a campaign's reports are sharded)."""
    return {"pk": report_partition(campaign.campaign_id, shard_for(submission_id, campaign.report_shards)),
            "sk": submission_id}


def campaign_of_report_partition(pk: str) -> str:
    return pk.split("#")[1]


def tally_key(campaign_id: str, tally_id: str) -> dict:
    """Where ``campaign_id``'s list holds the offline tally ``tally_id`` (its report is under report_key)."""
    return {"pk": tally_partition(campaign_id), "sk": tally_id}


def tally_partition(campaign_id: str) -> str:
    return f"TALLIES#{campaign_id}"


def staff_token_key(token_hash: str) -> dict:
    return {"pk": STAFF_TOKENS, "sk": token_hash}


def staff_session_key(session_hash: str) -> dict:
    return {"pk": STAFF_SESSIONS, "sk": session_hash}


def audit_partition(campaign_id: str) -> str:
    return f"AUDIT#{campaign_id}"


def rate_key(campaign_id: str, client_key: str, window_start: datetime) -> dict:
    return {"pk": f"RATE#{campaign_id}#{client_key}", "sk": clock.format_timestamp(window_start)}


def erasure_key(erased_at: datetime, request_id: str) -> dict:
    return {"pk": ERASURES, "sk": f"{clock.format_timestamp(erased_at)}#{request_id}"}


def erasure_request_key(request_id: str) -> dict:
    return {"pk": ERASURE_REQUESTS, "sk": request_id}
