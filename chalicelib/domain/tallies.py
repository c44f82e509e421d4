"""An offline tally: actions taken away from the form (a school's 600 letters, a group's
letter-writing evening reported on paper) that staff enter for a campaign.

A tally is counted as a report is: its counts are a v2 report's (``per_target``,
``participants``, ``country``), checked by the report's own rules
(:func:`chalicelib.domain.report.parse_report`) but for the people one tally may speak
for (up to :data:`MAX_TALLY_PARTICIPANTS`, not a supporter's group cap); its ``tally_id``
is its submission id, so the same tally sent again is counted once. It also says where
the actions come from (``source``) and the day they were taken (``acted_on``).

A CSV file holds one tally a row (:func:`csv_header`): ``tally_id,source,acted_on,country,
participants`` and a column ``<target>.<action>`` per count. A row without a ``tally_id``
gets one made from the file's content and the row's number, so the same file sent again
names the same tallies (and is counted once).
"""
import csv
import hashlib
import io
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chalicelib.domain.campaign import Campaign
from chalicelib.domain.errors import ValidationFailed, shown
from chalicelib.domain.report import ReportInput, parse_report, parse_submission_id
from chalicelib.domain.validation import FieldErrors, reject_unknown, text

MAX_TALLY_PARTICIPANTS = 10_000   # a school, a festival stand: more than any supporter's group
MAX_SOURCE = 200
MAX_CSV_ROWS = 1000
OLDEST_DAYS = 366                 # acted on at most a year before the campaign was entered
_EARLIEST_ZONE = timedelta(hours=14)   # "today" somewhere on Earth (UTC+14) is not the future
_FIELDS = ("tally_id", "source", "per_target", "participants", "country", "acted_on")
CSV_FIXED = ("tally_id", "source", "acted_on", "country", "participants")
_REQUIRED_COLUMNS = ("source", "acted_on")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WHOLE = re.compile(r"^\d{1,9}$")
# Ids of rows sent without one: uuid5 in a namespace of our own.
_ROW_IDS = uuid.UUID("6f1c7a52-54d3-4a8e-9a43-0c3b1e7a2d14")


@dataclass(frozen=True)
class TallyInput:
    """A validated tally, before it is stored: its counts as a report, and what staff said."""
    report: ReportInput
    source: str
    acted_on: date

    @property
    def tally_id(self) -> str:
        return self.report.submission_id


def latest_acted_on(now: datetime) -> date:
    """The latest ``acted_on`` that is not in the future: today where the day began first."""
    return (now + _EARLIEST_ZONE).date()


def parse_tally(data, campaign: Campaign, max_count: int, now: datetime, *, tally_id: str | None = None
                ) -> TallyInput:
    """Validate a tally against ``campaign``; raise ValidationFailed naming each bad field.

    ``tally_id`` is the id to give a tally that names none (a new random one if None)."""
    errors = FieldErrors()
    if not isinstance(data, dict):
        errors.add("body", "must be a JSON object")
        errors.raise_if_any()
    reject_unknown(errors, data, _FIELDS)
    chosen = _tally_id(errors, data.get("tally_id"), tally_id)
    source = text(errors, data, "source", max_length=MAX_SOURCE)
    acted_on = _acted_on(errors, data.get("acted_on"), campaign, now)
    counts = {"submission_id": chosen or str(uuid.uuid4()), "per_target": data.get("per_target"),
              "participants": data.get("participants", 1), "country": data.get("country")}
    report = None
    try:
        report = parse_report(counts, campaign, max_count, max_participants=MAX_TALLY_PARTICIPANTS,
                              strict_fields=False)
    except ValidationFailed as failed:
        for name, message in failed.fields.items():
            errors.add(name, message)
    errors.raise_if_any()
    return TallyInput(report, source, acted_on)


def csv_header(campaign: Campaign) -> list[str]:
    """The columns of a tally CSV for ``campaign``, in the order a template shows them."""
    return list(CSV_FIXED) + [f"{target}.{action}" for target in campaign.target_ids for action in campaign.actions]


def parse_tally_csv(content: str, campaign: Campaign, max_count: int, now: datetime) -> list[TallyInput]:
    """Every row of a tally CSV, validated; ValidationFailed naming ``row <n>.<field>`` for every
    bad cell of every row (rows numbered as a spreadsheet shows them: the header is row 1)."""
    content = content.removeprefix("\ufeff")
    errors = FieldErrors()
    try:
        records = list(csv.reader(io.StringIO(content, newline="")))
    except csv.Error as error:
        raise ValidationFailed({"body": f"is not CSV: {error}"}) from None
    records = [(number, cells) for number, cells in enumerate(records, start=1) if any(c.strip() for c in cells)]
    if not records:
        raise ValidationFailed({"body": f"must be a CSV file with a header row: {','.join(csv_header(campaign))}"})
    (_, header), rows = records[0], records[1:]
    columns = _columns(errors, [cell.strip() for cell in header], campaign)
    if not rows:
        errors.add("body", "has no tally under its header: one row a tally")
    if len(rows) > MAX_CSV_ROWS:
        errors.add("body", f"has {len(rows)} tallies; send at most {MAX_CSV_ROWS} rows a file")
    errors.raise_if_any()
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
    tallies, seen = [], {}
    for number, cells in rows:
        name = f"row {number}"
        if len(cells) > len(columns):
            errors.add(name, f"has {len(cells)} cells; the header has {len(columns)}")
            continue
        made_id = str(uuid.uuid5(_ROW_IDS, f"{campaign.campaign_id}\n{digest}\n{number}"))
        try:
            tally = parse_tally(_row_data(columns, cells), campaign, max_count, now, tally_id=made_id)
        except ValidationFailed as failed:
            for field, message in failed.fields.items():
                errors.add(f"{name}.{field}", message)
            continue
        if tally.tally_id in seen:
            errors.add(f"{name}.tally_id", f"is row {seen[tally.tally_id]}'s too: each tally once")
            continue
        seen[tally.tally_id] = number
        tallies.append(tally)
    errors.raise_if_any()
    return tallies


def _columns(errors, header, campaign) -> list:
    """Each column as a field name or a ``(target, action)`` count; errors name ``header``."""
    columns = []
    pairs = {f"{target}.{action}": (target, action) for target in campaign.target_ids for action in campaign.actions}
    for cell in header:
        if cell in CSV_FIXED:
            columns.append(cell)
        elif cell in pairs:
            columns.append(pairs[cell])
        else:
            errors.add(f"header.{shown(cell)}", "is not a column of this campaign's tallies; use "
                                                f"{', '.join(csv_header(campaign))}")
            columns.append(None)
    if len(set(header)) != len(header):
        errors.add("header", "names a column twice")
    missing = [name for name in _REQUIRED_COLUMNS if name not in header]
    if missing:
        errors.add("header", f"needs the column(s) {', '.join(missing)}")
    if not any(isinstance(column, tuple) for column in columns):
        errors.add("header", "needs at least one count column <target>.<action>, e.g. "
                             f"{next(iter(pairs), 'governor.letter')}")
    return columns


def _row_data(columns, cells) -> dict:
    """One row as the JSON body of a tally: empty cells left out, counts as numbers where they are."""
    data, per_target = {}, {}
    for column, cell in zip(columns, cells):
        cell = cell.strip()
        if isinstance(column, tuple):
            target, action = column
            per_target.setdefault(target, {})[action] = cell_number(cell or "0")
        elif column == "participants" and cell:
            data["participants"] = cell_number(cell)
        elif column and cell:
            data[column] = cell
    data["per_target"] = per_target
    return data


def cell_number(cell: str):
    """A form's or a file's cell as a whole number, or as it is (which the rules then refuse, naming it)."""
    return int(cell) if _WHOLE.match(cell) else cell


def _tally_id(errors, value, default):
    if value is None or value == "":
        return default
    parsed = parse_submission_id(value)
    if parsed is None:
        errors.add("tally_id", "must be a UUID such as 0b7e2a1c-8f3d-4c55-9a7e-2f1d6c3b9e10 (or left out)")
    return parsed


def _acted_on(errors, value, campaign, now):
    if value is None or value == "":
        errors.add("acted_on", "is required: the day the actions were taken, as YYYY-MM-DD")
        return None
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and _ISO_DATE.match(value) else None
    except ValueError:
        day = None
    if day is None:
        errors.add("acted_on", "must be a date as YYYY-MM-DD, e.g. 2026-01-15")
        return None
    earliest = (campaign.created_at.date() if campaign.created_at else now.date()) - timedelta(days=OLDEST_DAYS)
    if day > latest_acted_on(now):
        errors.add("acted_on", "must not be in the future")
    elif day < earliest:
        errors.add("acted_on", f"must be {earliest.isoformat()} or later: at most a year before the campaign")
    else:
        return day
    return None
