"""A supporter's report: what they did, for which campaign, and how input becomes one.

JSON bodies and HTML form posts are first turned into the same plain dict,
then checked here against the campaign's own action types and targets.
"""
import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.campaign import Campaign
from chalicelib.domain.countries import COUNTRY_CODES
from chalicelib.domain.validation import FieldErrors, reject_unknown, text

UNKNOWN_COUNTRY = "ZZ"  # ISO 3166 user-assigned code; used when none is given
NEEDS_CONSENT = "can only be kept if you tick the consent box; tick it or leave this blank"
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
# ``form_token`` and ``website`` (the honeypot) are read by chalicelib.counting.abuse, not here.
_JSON_FIELDS = ("submission_id", "actions", "targets", "country", "name", "contact_email", "consent",
                "form_token", "website")


@dataclass(frozen=True)
class ReportInput:
    """A validated report, before it is stored."""
    submission_id: str
    actions: dict          # action type -> count, only counts above zero
    targets: tuple         # target ids, sorted
    country: str           # ISO 3166-1 alpha-2, or UNKNOWN_COUNTRY
    name: str | None = None
    contact_email: str | None = None
    consent: bool = False

    @property
    def actions_total(self):
        return sum(self.actions.values())


@dataclass(frozen=True)
class StaffDecision:
    """A staff decision on one report: who made it, the reason they gave, and when."""
    by: str
    reason: str
    at: datetime


class Void(StaffDecision):
    """Why a report no longer counts."""


class Reinstatement(StaffDecision):
    """Why a flagged report counts after all."""


@dataclass(frozen=True)
class Report(ReportInput):
    """A stored report."""
    campaign_id: str = ""
    report_id: str = ""
    received_at: datetime | None = None
    # Why the report is left out of the totals ("void", or another kind of exclusion), if it is.
    excluded: str | None = None
    void: Void | None = None
    flag_reason: str | None = None   # set when stored flagged (see chalicelib.counting.abuse); kept once reinstated
    reinstatement: Reinstatement | None = None


def shard_for(submission_id: str, shards: int) -> int:
    """Spread a campaign's reports over ``shards`` partitions, stably."""
    digest = hashlib.sha256(submission_id.encode()).digest()
    return int.from_bytes(digest[:4], "big") % shards


def contact_email_key(email: str) -> str:
    """The index key of a supporter's email: a SHA-256 of its normalised form.

    Not a secret: anyone who knows the address can compute it, so it is
    personal data too, and is erased with the address. It exists so that an
    erasure finds every report of one person without a scan.
    """
    normalised = email.strip().lower()
    return hashlib.sha256(f"contact_email:{normalised}".encode("utf-8")).hexdigest()


def contact_email(errors: FieldErrors, data: dict, *, required=False) -> str | None:
    """The stripped address in ``data["contact_email"]``, or None (and an error if it is not one)."""
    value = text(errors, data, "contact_email", max_length=254, required=required)
    if value is not None and not _EMAIL.match(value):
        errors.add("contact_email", "must be an email address such as name@example.org")
        return None
    return value


def parse_report(data, campaign: Campaign, max_count: int, *, strict_fields=True) -> ReportInput:
    """Validate a report body against ``campaign``; raise ValidationFailed naming each bad field."""
    errors = FieldErrors()
    if not isinstance(data, dict):
        errors.add("body", "must be a JSON object")
        errors.raise_if_any()
    if strict_fields:
        reject_unknown(errors, data, _JSON_FIELDS)
    submission_id = _submission_id(errors, data.get("submission_id"))
    actions = _actions(errors, data.get("actions"), campaign, max_count)
    targets = _targets(errors, data.get("targets"), campaign)
    country = _country(errors, data.get("country"))
    consent = _consent(errors, data.get("consent", False))
    name = text(errors, data, "name", max_length=100, required=False)
    email = contact_email(errors, data)
    for field, value in (("contact_email", email), ("name", name)):
        if value is not None and consent is False and field not in errors:
            errors.add(field, NEEDS_CONSENT)
    errors.raise_if_any()
    return ReportInput(submission_id, actions, targets, country, name, email, consent)


def parse_submission_id(value) -> str | None:
    """The canonical form of a submission id, or None if it is not a UUID."""
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None


def is_report_ref(value) -> bool:
    """Whether ``value`` could name a report: its report id (32 hex digits) or its
    submission id (a UUID), in any case; anything else names none."""
    return parse_submission_id(value) is not None


def _submission_id(errors, value):
    if not isinstance(value, str) or not value.strip():
        errors.add("submission_id", "is required: a UUID made by the client for this report")
        return None
    submission_id = parse_submission_id(value)
    if submission_id is None:
        errors.add("submission_id", "must be a UUID such as 0b7e2a1c-8f3d-4c55-9a7e-2f1d6c3b9e10")
    return submission_id


def _actions(errors, value, campaign, max_count):
    if not isinstance(value, dict) or not value:
        errors.add("actions", "is required: how many of each action you took, e.g. {\"letter\": 1}")
        return None
    counts = {}
    for action, count in value.items():
        field = f"actions.{action}"
        if action not in campaign.actions:
            errors.add(field, f"is not an action of this campaign; use {', '.join(campaign.actions)}")
        elif isinstance(count, bool) or not isinstance(count, int):
            errors.add(field, "must be a whole number")
        elif not 0 <= count <= max_count:
            errors.add(field, f"must be between 0 and {max_count}")
        elif count:
            counts[action] = count
    if not counts and not any(key.startswith("actions") for key in errors.errors):
        errors.add("actions", "report at least one action with a count above 0")
    return counts


def _targets(errors, value, campaign):
    if not isinstance(value, list) or not value:
        errors.add("targets", "choose at least one official you contacted")
        return None
    unknown = [item for item in value if item not in campaign.target_ids]
    if unknown:
        errors.add("targets", f"unknown target(s); use {', '.join(campaign.target_ids)}")
        return None
    return tuple(sorted(set(value)))


def _country(errors, value):
    if value is None or value == "":
        return UNKNOWN_COUNTRY
    if isinstance(value, str) and value.strip().upper() in COUNTRY_CODES:
        return value.strip().upper()
    errors.add("country", "must be a two-letter ISO 3166-1 country code such as MX")
    return None


def _consent(errors, value):
    if isinstance(value, bool):
        return value
    errors.add("consent", "must be true or false")
    return None
