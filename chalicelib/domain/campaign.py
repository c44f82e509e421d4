"""A campaign (one Urgent Action): its facts, and how staff input becomes one.

Contract v2 adds the whole case sheet to v1's reference, title, deadline and targets: the
document index and issue date, a summary, the people at risk, how to reach each official
(see ``officials``), the diplomatic copies, the sample letter per language, the time zone a
date-only deadline ends in, and the earlier campaign a Further Information update follows.
Every v1 body is still a valid v2 body. The caps are documented in docs/staff.md.
"""
import json
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import urlsplit

from chalicelib.domain import clock
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.officials import Target, parse_officials
from chalicelib.domain.outcome import Outcome
from chalicelib.domain.validation import FieldErrors, object_list, reject_unknown, string_list, text
from chalicelib.domain.zones import zone

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
           "letter_language", "allowed_origins",
           # v2
           "index", "issued_on", "summary", "people", "copies_to", "letter", "timezone", "follow_up_of",
           # the life of a case
           "late_report_days")
MAX_SUMMARY = 10_000      # characters
MAX_LATE_REPORT_DAYS = 90  # how long after its deadline a campaign may take late reports
MAX_LETTER = 10_000       # characters per language
MAX_LETTERS = 5           # languages
MAX_PEOPLE = 20
# The case as stored (summary, people, contacts, copies, letters) is at most this many bytes
# of UTF-8 JSON, so that its DynamoDB item stays far below the 400 KB limit whatever the
# characters (the per-field caps alone allow more in four-byte characters).
MAX_CASE_BYTES = 128 * 1024
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_END_OF_DAY = time(23, 59, 59)
__all__ = ["Target"]   # defined in officials, imported from here by older code


@dataclass(frozen=True)
class Person:
    """Someone at risk, as the case sheet names them."""
    name: str
    pronouns: str = ""

    def as_dict(self) -> dict:
        return {"name": self.name, "pronouns": self.pronouns}


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
    offline_count: int = 0               # offline tallies entered so far (chalicelib.domain.tallies); likewise
    publication_due: bool = False        # closed, but a version to publish or announce is pending
    # v2: the rest of the case sheet (empty for campaigns stored before it)
    index: str = ""
    issued_on: date | None = None
    summary: str = ""
    people: tuple = ()                   # of Person
    copies_to: tuple = ()                # of Target, never reported on
    letter: dict = field(default_factory=dict, hash=False)   # language -> sample letter
    timezone: str = ""                   # IANA name; "" before v2
    follow_up_of: str | None = None      # the campaign id of the case's earlier UA
    # Days after the deadline a report of actions taken before it is still taken, as late;
    # None: the LATE_REPORT_DAYS setting; 0: none.
    late_report_days: int | None = None
    late_settled: bool = False           # closed, and its late reports' last version published
    # The first campaign of the case a follow-up belongs to (None for a campaign that
    # follows none): set when it is created, so a case is found by one query (storage.cases).
    case_id: str | None = None
    outcome: Outcome | None = None       # how the case ended, read with the whole campaign
    # False when storage read the campaign without its case (the cheap read the report
    # path makes): the v2 fields are then empty, and it must not be written back.
    complete: bool = True

    @property
    def closes_at(self) -> datetime:
        """The first instant reports are refused: the deadline's own second is included."""
        return self.deadline + timedelta(seconds=1)

    def accepts_reports_at(self, moment: datetime) -> bool:
        """Reports are taken up to and including the deadline second, never after."""
        return self.state == OPEN and moment < self.closes_at

    def late_days(self, default_days: int) -> int:
        """How many days late reports are taken (``default_days``: the LATE_REPORT_DAYS setting)."""
        return default_days if self.late_report_days is None else self.late_report_days

    def late_reports_end(self, default_days: int) -> datetime:
        """The first instant late reports are refused too (``closes_at`` when none are taken)."""
        return self.closes_at + timedelta(days=self.late_days(default_days))

    def late_reports_until(self, default_days: int) -> datetime:
        """The last second late reports are taken, as a deadline is written (its second included)."""
        return self.late_reports_end(default_days) - timedelta(seconds=1)

    def takes_late_reports_at(self, moment: datetime, default_days: int) -> bool:
        """Past the deadline, within the days a report of actions taken before it may come late.
        Closing does not end them: the final totals are amended by later versions."""
        return self.closes_at <= moment < self.late_reports_end(default_days)

    def status_at(self, moment: datetime) -> str:
        return OPEN if self.accepts_reports_at(moment) else CLOSED

    @property
    def target_ids(self):
        return tuple(target.id for target in self.targets)

    def target(self, target_id):
        return next(target for target in self.targets if target.id == target_id)

    def public_view(self, moment: datetime) -> dict:
        """What anyone may see: the case as the sheet tells it, no staff-only settings."""
        return {
            "campaign_id": self.campaign_id,
            "reference": self.reference,
            "title": self.title,
            "deadline": clock.format_public(self.deadline),
            "status": self.status_at(moment),
            "targets": [target.as_dict() for target in self.targets],
            "actions": list(self.actions),
            "languages": list(self.languages),
            "letter_language": self.letter_language,
            "index": self.index,
            "issued_on": self.issued_on.isoformat() if self.issued_on else None,
            "summary": self.summary,
            "people": [person.as_dict() for person in self.people],
            "copies_to": [copy.as_dict() for copy in self.copies_to],
            "letter": dict(self.letter),
            "timezone": self.timezone or None,
            "follow_up_of": self.follow_up_of,
            "outcome": self.outcome.public_view() if self.outcome else None,
        }

    @property
    def case_root(self) -> str:
        """The id of the first campaign of this campaign's case (its own for one that follows none)."""
        return self.case_id or self.campaign_id

    def case(self) -> dict:
        """The v2 parts, as stored beside the campaign (contacts by target id)."""
        return {"index": self.index, "issued_on": self.issued_on.isoformat() if self.issued_on else "",
                "summary": self.summary, "people": [person.as_dict() for person in self.people],
                "contacts": {target.id: target.contact() for target in self.targets},
                "copies_to": [copy.as_dict() for copy in self.copies_to], "letter": dict(self.letter),
                "timezone": self.timezone, "follow_up_of": self.follow_up_of or ""}

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
            "late_report_days": self.late_report_days,
            "outcome": self.outcome.staff_view() if self.outcome else None,
            "offline_count": self.offline_count,
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


def is_campaign_id(value) -> bool:
    """Whether ``value`` could name a campaign: staff make every id by this rule, so a
    value that breaks it names none (and is never looked up)."""
    return isinstance(value, str) and CAMPAIGN_ID.fullmatch(value) is not None


def validate_campaign_id(campaign_id: str) -> FieldErrors:
    errors = FieldErrors()
    if not is_campaign_id(campaign_id):
        errors.add("campaign_id", "must be 3 to 64 lowercase letters, digits or hyphens, "
                                  "starting with a letter or digit")
    return errors


def parse_campaign(campaign_id: str, data, now: datetime, report_shards: int = 4,
                   default_timezone: str = "UTC") -> Campaign:
    """Validate a staff request body into a :class:`Campaign`, or raise ValidationFailed.

    A date-only ``deadline`` ends at 23:59:59 in ``timezone`` (``default_timezone``,
    the DEFAULT_TIMEZONE setting, when the body names none).
    """
    errors = validate_campaign_id(campaign_id)
    if not isinstance(data, dict):
        errors.add("body", "must be a JSON object")
        errors.raise_if_any()
    reject_unknown(errors, data, _FIELDS)
    reference = text(errors, data, "reference", max_length=40)
    title = text(errors, data, "title", max_length=200)
    zone_name = _timezone(errors, data.get("timezone"), default_timezone)
    deadline = _deadline(errors, data.get("deadline"), now, zone_name)
    targets = parse_officials(errors, data.get("targets"), "targets", reportable=True)
    copies = parse_officials(errors, data.get("copies_to"), "copies_to", reportable=False)
    index = text(errors, data, "index", max_length=40, required=False) or ""
    issued_on = _issued_on(errors, data.get("issued_on"))
    summary = text(errors, data, "summary", max_length=MAX_SUMMARY, required=False, multiline=True) or ""
    people = _people(errors, data.get("people"))
    letter = _letters(errors, data.get("letter"))
    follow_up_of = _follow_up_of(errors, data.get("follow_up_of"), campaign_id)
    late_report_days = _late_report_days(errors, data.get("late_report_days"))
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
    campaign = Campaign(
        campaign_id=campaign_id, reference=reference, title=title, deadline=deadline,
        targets=targets, actions=tuple(actions), languages=tuple(languages),
        letter_language=letter_language, allowed_origins=origins,
        report_shards=report_shards, created_at=now, updated_at=now,
        index=index, issued_on=issued_on, summary=summary, people=people, copies_to=copies,
        letter=letter, timezone=zone_name, follow_up_of=follow_up_of, late_report_days=late_report_days,
    )
    size = len(json.dumps(campaign.case(), ensure_ascii=False).encode("utf-8"))
    if size > MAX_CASE_BYTES:
        errors.add("body", f"the case (summary, people, contacts, copies and letters) comes to {size:,} bytes; "
                           f"at most {MAX_CASE_BYTES:,} are kept: shorten the letters or the summary")
        errors.raise_if_any()
    return campaign


def _deadline(errors, value, now, zone_name):
    if not isinstance(value, str) or not value.strip():
        errors.add("deadline", "is required: a date (2022-07-15, which ends at 23:59:59 in the campaign's "
                               "timezone) or ISO 8601 with an offset, e.g. 2022-07-15T23:59:59-04:00")
        return None
    value = value.strip()
    if _DATE_ONLY.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            errors.add("deadline", "must be a real date, e.g. 2022-07-15")
            return None
        if zone_name is None:
            errors.add("deadline", "a date-only deadline needs a valid timezone")
            return None
        moment = datetime.combine(day, _END_OF_DAY, zone(zone_name))
        return _bounded(errors, moment, now)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        errors.add("deadline", "must be a date (2022-07-15) or ISO 8601, e.g. 2022-07-15T23:59:59-04:00")
        return None
    if moment.tzinfo is None:
        errors.add("deadline", "must include a UTC offset, e.g. -04:00 or Z (or be a date only, e.g. 2022-07-15)")
        return None
    return _bounded(errors, moment, now)


def _bounded(errors, moment, now):
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


def _timezone(errors, value, default):
    """The IANA zone name to keep (the default when the body names none), or None."""
    if value is None or value == "":
        value = default
    if not isinstance(value, str) or len(value) > 64 or zone(value.strip()) is None:
        errors.add("timezone", "must be an IANA time zone name such as America/Caracas or Europe/Paris")
        return None
    return value.strip()


def _issued_on(errors, value):
    if value is None or value == "":
        return None
    if isinstance(value, str) and _DATE_ONLY.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors.add("issued_on", "must be a date such as 2022-05-27")
    return None


def _people(errors, value):
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_PEOPLE:
        errors.add("people", f"must be a list of at most {MAX_PEOPLE} people")
        return ()
    return tuple(object_list(errors, value, "people", _person, shape="name and pronouns"))


def _person(errors, item):
    reject_unknown(errors, item, ("name", "pronouns"))
    name = text(errors, item, "name", max_length=200)
    pronouns = text(errors, item, "pronouns", max_length=60, required=False) or ""
    return Person(name, pronouns)


def _letters(errors, value):
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_LETTERS:
        errors.add("letter", f'must be an object of at most {MAX_LETTERS} languages: {{"es": "<letter>"}}')
        return {}
    letters, letter_errors = {}, FieldErrors()
    for code in value:
        if not LANGUAGE.fullmatch(code):
            letter_errors.add(code, "must be keyed by a language code such as 'es'")
            continue
        letter = text(letter_errors, value, code, max_length=MAX_LETTER, required=False, multiline=True)
        if letter:
            letters[code] = letter
    for code, message in letter_errors.errors.items():
        errors.add(f"letter.{code}", message)
    return letters


def _follow_up_of(errors, value, campaign_id):
    if value is None or value == "":
        return None
    if not (isinstance(value, str) and CAMPAIGN_ID.fullmatch(value)) or value == campaign_id:
        errors.add("follow_up_of", "must be the id of the case's earlier campaign (not this one)")
        return None
    return value


def _late_report_days(errors, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LATE_REPORT_DAYS:
        errors.add("late_report_days", f"must be a whole number of days from 0 (no late reports) to "
                                       f"{MAX_LATE_REPORT_DAYS}, or left out for the usual setting")
        return None
    return value


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
                   void_count=existing.void_count, reinstated_count=existing.reinstated_count,
                   case_id=existing.case_id, outcome=existing.outcome, offline_count=existing.offline_count)
