"""A campaign (one Urgent Action): its facts, and how staff input becomes one."""
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from chalicelib.domain import clock
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.validation import SLUG, FieldErrors, reject_unknown, string_list, text

CAMPAIGN_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
# The kinds of action a supporter can report. The form has a label for each;
# add a type here and in the templates together.
ACTION_TYPES = ("letter", "email", "fax", "call", "tweet")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
OPEN, CLOSED = "open", "closed"
MAX_YEARS_AHEAD = 5
# How long a container may act on a campaign it read (chalicelib.counting.intake); and so
# how far ahead a deadline moved earlier must land: longer than that, with room for
# clocks that disagree by a few seconds, so that no container accepts a report after it.
CAMPAIGN_MEMORY_SECONDS = 5
DEADLINE_NOTICE = timedelta(seconds=CAMPAIGN_MEMORY_SECONDS + 10)
_FIELDS = ("reference", "title", "deadline", "targets", "actions", "languages",
           "letter_language", "allowed_origins")


@dataclass(frozen=True)
class Target:
    id: str
    name: str
    role: str = ""


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    reference: str
    title: str
    deadline: datetime
    targets: tuple
    actions: tuple
    languages: tuple
    letter_language: str
    allowed_origins: tuple = ()
    state: str = OPEN
    report_shards: int = 4
    created_at: datetime | None = None
    updated_at: datetime | None = None
    closed_at: datetime | None = None
    published_version: int | None = None
    void_count: int = 0                  # reports voided so far; totals record the count they reflect
    reinstated_count: int = 0            # flagged reports put into the count so far; likewise
    notified_version: int | None = None  # the last published version announced on the totals topic
    publication_due: bool = False        # closed, but a version to publish or announce is pending

    @property
    def closes_at(self) -> datetime:
        """The first instant reports are refused: the deadline's own second is included."""
        return self.deadline + timedelta(seconds=1)

    def accepts_reports_at(self, moment: datetime) -> bool:
        """Reports are taken up to and including the deadline second, never after."""
        return self.state == OPEN and moment < self.closes_at

    def status_at(self, moment: datetime) -> str:
        return OPEN if self.accepts_reports_at(moment) else CLOSED

    @property
    def target_ids(self):
        return tuple(target.id for target in self.targets)

    def target(self, target_id):
        return next(target for target in self.targets if target.id == target_id)

    def public_view(self, moment: datetime) -> dict:
        """What anyone may see: no staff-only settings."""
        return {
            "campaign_id": self.campaign_id,
            "reference": self.reference,
            "title": self.title,
            "deadline": clock.format_public(self.deadline),
            "status": self.status_at(moment),
            "targets": [{"id": t.id, "name": t.name, "role": t.role} for t in self.targets],
            "actions": list(self.actions),
            "languages": list(self.languages),
            "letter_language": self.letter_language,
        }

    def staff_view(self, moment: datetime) -> dict:
        view = self.public_view(moment)
        view.update({
            "allowed_origins": list(self.allowed_origins),
            "state": self.state,
            "created_at": _public_or_none(self.created_at),
            "updated_at": _public_or_none(self.updated_at),
            "closed_at": _public_or_none(self.closed_at),
            "published_version": self.published_version,
            "void_count": self.void_count,
            "reinstated_count": self.reinstated_count,
        })
        return view


class DeadlineTooSoon(ValidationFailed):
    """A deadline moved earlier than it was must still be ``DEADLINE_NOTICE`` away."""

    def __init__(self, earliest: datetime):
        super().__init__({"deadline": f"can be moved earlier only to {DEADLINE_NOTICE.seconds} seconds or more "
                                      f"from now (running servers remember a campaign for "
                                      f"{CAMPAIGN_MEMORY_SECONDS} s): {clock.format_public(earliest)} at the "
                                      "earliest"})


def earliest_earlier_deadline(now: datetime) -> datetime:
    """The soonest a deadline may be moved to, earlier than it was, at ``now`` (a whole second)."""
    moment = now + DEADLINE_NOTICE
    return moment.replace(microsecond=0) + (timedelta(seconds=1) if moment.microsecond else timedelta())


def check_deadline_move(current: datetime, new: datetime, now: datetime) -> None:
    """Raise DeadlineTooSoon if ``new`` is earlier than ``current`` and too close to ``now``."""
    if new < current and new < earliest_earlier_deadline(now):
        raise DeadlineTooSoon(earliest_earlier_deadline(now))


def _public_or_none(moment):
    return clock.format_public(moment) if moment else None


def validate_campaign_id(campaign_id: str) -> FieldErrors:
    errors = FieldErrors()
    if not CAMPAIGN_ID.fullmatch(campaign_id or ""):
        errors.add("campaign_id", "must be 3 to 64 lowercase letters, digits or hyphens, "
                                  "starting with a letter or digit")
    return errors


def parse_campaign(campaign_id: str, data, now: datetime, report_shards: int = 4) -> Campaign:
    """Validate a staff request body into a :class:`Campaign`, or raise ValidationFailed."""
    errors = validate_campaign_id(campaign_id)
    if not isinstance(data, dict):
        errors.add("body", "must be a JSON object")
        errors.raise_if_any()
    reject_unknown(errors, data, _FIELDS)
    reference = text(errors, data, "reference", max_length=40)
    title = text(errors, data, "title", max_length=200)
    deadline = _deadline(errors, data.get("deadline"), now)
    targets = _targets(errors, data.get("targets"))
    actions = string_list(errors, data, "actions", max_items=len(ACTION_TYPES))
    if actions is not None and not set(actions) <= set(ACTION_TYPES):
        unknown = ", ".join(sorted(set(actions) - set(ACTION_TYPES)))
        errors.add("actions", f"unknown action type(s): {unknown}; use {', '.join(ACTION_TYPES)}")
    languages = string_list(errors, data, "languages", max_items=20)
    if languages is not None and not all(LANGUAGE.fullmatch(code) for code in languages):
        errors.add("languages", "must be language codes such as 'en', 'es' or 'pt-BR'")
    letter_language = data.get("letter_language")
    if letter_language is None and languages:
        letter_language = languages[0]
    elif not (isinstance(letter_language, str) and LANGUAGE.fullmatch(letter_language)):
        errors.add("letter_language", "must be a language code such as 'es'")
    origins = _origins(errors, data.get("allowed_origins", []))
    errors.raise_if_any()
    return Campaign(
        campaign_id=campaign_id, reference=reference, title=title, deadline=deadline,
        targets=targets, actions=tuple(actions), languages=tuple(languages),
        letter_language=letter_language, allowed_origins=origins,
        report_shards=report_shards, created_at=now, updated_at=now,
    )


def _deadline(errors, value, now):
    if not isinstance(value, str) or not value.strip():
        errors.add("deadline", "is required, as ISO 8601 with an offset, e.g. 2022-07-15T23:59:59-04:00")
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        errors.add("deadline", "must be ISO 8601, e.g. 2022-07-15T23:59:59-04:00")
        return None
    if moment.tzinfo is None:
        errors.add("deadline", "must include a UTC offset, e.g. -04:00 or Z")
        return None
    try:
        moment = moment.astimezone(timezone.utc).replace(microsecond=0)
    except OverflowError:
        moment = None
    if moment is None or moment > now + timedelta(days=366 * MAX_YEARS_AHEAD):
        errors.add("deadline", f"must be within {MAX_YEARS_AHEAD} years from now")
        return None
    if moment <= now:
        errors.add("deadline", "must be in the future")
        return None
    return moment


def _targets(errors, value):
    if not isinstance(value, list) or not 1 <= len(value) <= 20:
        errors.add("targets", "must be a list of 1 to 20 officials")
        return None
    targets = []
    for index, item in enumerate(value):
        name = f"targets[{index}]"
        if not isinstance(item, dict):
            errors.add(name, "must be an object with id, name and role")
            continue
        item_errors = FieldErrors()
        reject_unknown(item_errors, item, ("id", "name", "role"))
        target_id = item.get("id")
        if not (isinstance(target_id, str) and SLUG.fullmatch(target_id)):
            item_errors.add("id", "must be 1 to 40 lowercase letters, digits or hyphens")
        target_name = text(item_errors, item, "name", max_length=200)
        role = text(item_errors, item, "role", max_length=200, required=False) or ""
        for sub, message in item_errors.errors.items():
            errors.add(f"{name}.{sub}", message)
        if not item_errors.errors:
            targets.append(Target(target_id, target_name, role))
    ids = [target.id for target in targets]
    if len(set(ids)) != len(ids):
        errors.add("targets", "target ids must be unique")
    return tuple(targets)


def _origins(errors, value):
    if not isinstance(value, list) or len(value) > 20:
        errors.add("allowed_origins", "must be a list of at most 20 origins")
        return ()
    origins = []
    for index, origin in enumerate(value):
        normalised = normalise_origin(origin)
        if normalised is None:
            errors.add(f"allowed_origins[{index}]",
                       "must be an origin such as https://www.example.org (no path); "
                       "plain http only for localhost")
        else:
            origins.append(normalised)
    return tuple(dict.fromkeys(origins))


def normalise_origin(origin):
    """``https://Example.org/`` -> ``https://example.org``; None if not an origin."""
    if not isinstance(origin, str):
        return None
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    local = host in ("localhost", "127.0.0.1", "[::1]", "::1")
    if parts.scheme not in ("https", "http") or not host or (parts.scheme == "http" and not local):
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    netloc = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port else "")


def apply_update(existing: Campaign, incoming: Campaign, now: datetime) -> Campaign:
    """Staff edit of an open campaign: facts change, identity and history stay."""
    return replace(incoming, created_at=existing.created_at, updated_at=now,
                   report_shards=existing.report_shards, state=existing.state,
                   void_count=existing.void_count, reinstated_count=existing.reinstated_count)
