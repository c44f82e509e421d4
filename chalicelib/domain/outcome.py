"""How a case ended, or where it stands: the outcome staff record on a campaign.

An outcome is information about the case, not about its count: setting or changing
one never touches a report, a total or a published version. It is kept beside the
campaign (storage.outcomes), shown on its public view and its closed form page, and
announced on the totals topic (``kind: outcome``, numbered by ``revision``).
"""
import re
from dataclasses import dataclass
from datetime import date, datetime

from chalicelib.domain import clock
from chalicelib.domain.validation import FieldErrors, reject_unknown, text

# The words staff choose from; the pages have a translated label for each
# (chalicelib.web.outcomes.OUTCOME_LABELS): add one there when adding one here.
OUTCOME_STATUSES = ("released", "charges_dropped", "sentence_commuted", "improved", "no_change", "worsened",
                    "other")
MAX_NOTE = 2_000   # characters: a paragraph or two for the public page, far below an item's size
_FIELDS = ("status", "note", "on")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Outcome:
    """An outcome as recorded: what happened ``on`` which day, and who recorded it when."""
    status: str
    note: str
    on: date
    recorded_by: str = ""
    recorded_at: datetime | None = None
    revision: int = 0          # 1 for the first outcome recorded, then one more for each change
    announced: bool = False    # the totals topic has this revision

    def public_view(self) -> dict:
        """What anyone may see: no staff names."""
        return {"status": self.status, "note": self.note, "on": self.on.isoformat()}

    def staff_view(self) -> dict:
        return {**self.public_view(), "recorded_by": self.recorded_by,
                "recorded_at": clock.format_public(self.recorded_at) if self.recorded_at else None,
                "revision": self.revision, "announced": self.announced}


def parse_outcome(data, today: date) -> Outcome:
    """A staff body ``{"status", "note", "on"}`` as an :class:`Outcome` (not yet recorded),
    or ValidationFailed naming every bad field. ``on`` is a day no later than ``today``
    (an outcome is what has happened); ``note`` may be empty and keeps its paragraphs."""
    errors = FieldErrors()
    if not isinstance(data, dict):
        errors.add("body", "must be a JSON object")
        errors.raise_if_any()
    reject_unknown(errors, data, _FIELDS)
    status = data.get("status")
    if status not in OUTCOME_STATUSES:
        errors.add("status", f"must be one of {', '.join(OUTCOME_STATUSES)}")
    note = text(errors, data, "note", max_length=MAX_NOTE, required=False, multiline=True) or ""
    on = _day(errors, data.get("on"), today)
    errors.raise_if_any()
    return Outcome(status, note, on)


def _day(errors, value, today):
    if not (isinstance(value, str) and _DATE_ONLY.fullmatch(value)):
        errors.add("on", "is required: the day it happened, such as 2026-03-14")
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        errors.add("on", "must be a real date, such as 2026-03-14")
        return None
    if day > today:
        errors.add("on", f"must not be in the future (today is {today.isoformat()} UTC)")
        return None
    return day
