"""A supporter's report: what they did, for which campaign, and how input becomes one.

JSON bodies and HTML form posts are first turned into the same plain dict,
then checked here against the campaign's own action types and targets.

Two shapes (contract v2 keeps v1's): ``actions`` + ``targets`` says what was sent and,
separately, to whom; ``per_target`` says what was sent to each official. Either may
come with ``participants``, the people one report speaks for (a class, a group, a
letter-writing evening), whose counts may then reach the per-person cap times as many.
"""
import hashlib
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from chalicelib.domain.campaign import Campaign
from chalicelib.domain.countries import COUNTRY_CODES
from chalicelib.domain.errors import shown
from chalicelib.domain.validation import FieldErrors, reject_unknown, text

UNKNOWN_COUNTRY = "ZZ"  # ISO 3166 user-assigned code; used when none is given
NEEDS_CONSENT = "can only be kept if you tick the consent box; tick it or leave this blank"
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
# ``form_token`` and ``website`` (the honeypot) are read by chalicelib.counting.abuse, not here.
_JSON_FIELDS = ("submission_id", "actions", "targets", "per_target", "participants", "country", "name",
                "contact_email", "consent", "form_token", "website", "acted_before_deadline")
_BOTH_SHAPES = "send either per_target or actions and targets, not both"


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
    # v2: what was sent to each official, {target id: {action: count above zero}}; None for a
    # v1 report, whose ``actions`` cannot be told apart by target when it names several.
    per_target: dict | None = field(default=None, hash=False)
    participants: int = 1   # the people this report speaks for
    # The supporter says they acted before the deadline: after it, within the campaign's late
    # days, the report is then taken as ``late`` (see chalicelib.counting.intake).
    acted_before_deadline: bool = False
    late: bool = False

    @property
    def actions_total(self):
        return sum(self.actions.values())

    @property
    def has_contact(self) -> bool:
        """Whether staff may reach whoever sent it (an email address kept with consent)."""
        return bool(self.consent and self.contact_email)


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
class Offline:
    """What staff said of an offline tally (a report they entered for actions taken away
    from the form: see :mod:`chalicelib.domain.tallies`): no supporter's personal data."""
    source: str              # "Madrid group letter-writing evening"
    entered_by: str          # the staff token's label
    entered_at: datetime
    acted_on: date           # the day the actions were taken


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
    offline: Offline | None = None   # set for an offline tally staff entered


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


def parse_report(data, campaign: Campaign, max_count: int, *, max_participants: int = 500,
                 strict_fields=True) -> ReportInput:
    """Validate a report body against ``campaign``; raise ValidationFailed naming each bad field.

    ``max_count`` caps each count per participant: a report for ``participants`` people may
    count up to ``max_count * participants`` of each action (to each official)."""
    errors = FieldErrors()
    if not isinstance(data, dict):
        errors.add("body", "must be a JSON object")
        errors.raise_if_any()
    if strict_fields:
        reject_unknown(errors, data, _JSON_FIELDS)
    submission_id = _submission_id(errors, data.get("submission_id"))
    participants = _participants(errors, data.get("participants", 1), max_participants)
    cap = max_count * (participants or 1)
    per_target = None
    if "per_target" in data:
        for shape in ("actions", "targets"):
            if shape in data:
                errors.add(shape, _BOTH_SHAPES)
        if "actions" in data or "targets" in data:
            errors.add("per_target", _BOTH_SHAPES)
            errors.raise_if_any()
        per_target = _per_target(errors, data["per_target"], campaign, cap)
        actions = sum((Counter(counts) for counts in per_target.values()), Counter()) if per_target else {}
        actions, targets = dict(actions), tuple(sorted(per_target or ()))
    else:
        actions = _actions(errors, data.get("actions"), campaign, cap)
        targets = _targets(errors, data.get("targets"), campaign)
    country = _country(errors, data.get("country"))
    consent = _consent(errors, data.get("consent", False))
    acted_before_deadline = _acted_before_deadline(errors, data.get("acted_before_deadline", False))
    name = text(errors, data, "name", max_length=100, required=False)
    email = contact_email(errors, data)
    for field_name, value in (("contact_email", email), ("name", name)):
        if value is not None and consent is False and field_name not in errors:
            errors.add(field_name, NEEDS_CONSENT)
    errors.raise_if_any()
    return ReportInput(submission_id, actions, targets, country, name, email, consent, per_target, participants,
                       acted_before_deadline)


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


def _actions(errors, value, campaign, cap):
    if not isinstance(value, dict) or not value:
        errors.add("actions", "is required: how many of each action you took, e.g. {\"letter\": 1} "
                              "(or send per_target instead of actions and targets)")
        return None
    counts = _counts(errors, "actions", value, campaign, cap)
    if not counts and not any(key.startswith("actions") for key in errors.errors):
        errors.add("actions", "report at least one action with a count above 0")
    return counts


def _counts(errors, prefix, value, campaign, cap):
    """``{action: count}`` above zero of ``value``; each problem named ``<prefix>.<action>``."""
    counts = {}
    for action, count in value.items():
        name = f"{prefix}.{shown(action)}"
        if action not in campaign.actions:
            errors.add(name, f"is not an action of this campaign; use {', '.join(campaign.actions)}")
        elif isinstance(count, bool) or not isinstance(count, int):
            errors.add(name, "must be a whole number")
        elif not 0 <= count <= cap:
            errors.add(name, f"must be between 0 and {cap}")
        elif count:
            counts[action] = count
    return counts


def _per_target(errors, value, campaign, cap):
    """``{target id: {action: count}}`` with only counts above zero (and targets with one)."""
    if not isinstance(value, dict) or not value:
        errors.add("per_target", 'must be an object of the officials you contacted, each with its counts, '
                                 'e.g. {"governor": {"letter": 1}}')
        return None
    per_target = {}
    for target, counts in value.items():
        name = f"per_target.{shown(target)}"
        if target not in campaign.target_ids:
            errors.add(name, f"is not a target of this campaign; use {', '.join(campaign.target_ids)}")
        elif not isinstance(counts, dict):
            errors.add(name, 'must be an object of counts, e.g. {"letter": 1}')
        else:
            counted = _counts(errors, name, counts, campaign, cap)
            if counted:
                per_target[target] = counted
    if not per_target and not any(key.startswith("per_target") for key in errors.errors):
        errors.add("per_target", "report at least one action with a count above 0")
    return per_target


def _participants(errors, value, max_participants):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= max_participants:
        errors.add("participants", f"must be a whole number from 1 to {max_participants}: "
                                   "the people this report speaks for")
        return None
    return value


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


def _acted_before_deadline(errors, value):
    if isinstance(value, bool):
        return value
    errors.add("acted_before_deadline", "must be true (the actions were taken before the deadline) or false")
    return False


def _consent(errors, value):
    if isinstance(value, bool):
        return value
    errors.add("consent", "must be true or false")
    return None
