"""Totals items: the provisional totals the stream is folded into, and each published
version of the final totals, create-only.

The provisional item keeps one number attribute per count (``n`` reports, ``p`` people,
``a#<action>``, ``t#<target>``, ``c#<country>``, ``d#<day>``, ``ta#<target>.<action>``; of the
late reports ``ln`` reports, ``la`` actions, ``lp`` people), so
that a fold adds to them with one ``UpdateItem`` and no read; and, per stream shard, a *mark* ``m#<shard id>`` =
``<last sequence number folded, 40 digits>@<when>``, written in the same conditional
update, which makes a batch delivered again change nothing (see
:mod:`chalicelib.counting.folding`). During a rebuild the changes from its cut on are
counted apart, under the same names prefixed ``x``.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from boto3.dynamodb.conditions import Attr, Key

from chalicelib.domain import clock
from chalicelib.domain.totals import SINGLE_COUNTS, Tally, Totals
from chalicelib.storage.keys import FINAL_PREFIX, campaign_partition, final_key, provisional_key
from chalicelib.storage.table import StaleWrite, Table

# A mark may go once no record it covers can be delivered again: DynamoDB keeps stream
# records 24 hours, and Lambda never delivers one it no longer has.
MARK_LIFETIME = timedelta(hours=25)
_KINDS = {"reports": "n", "people": "p", "actions": "a#", "by_target": "t#", "by_country": "c#", "by_day": "d#",
          "by_target_action": "ta#", "late_reports": "ln", "late_actions": "la", "late_people": "lp"}
_AFTER = "x"
_MARK = "m#"
_DIGITS = 40   # the longest sequence number DynamoDB Streams makes


@dataclass(frozen=True)
class Mark:
    """The last record of one stream shard folded into a campaign's totals, and when."""
    sequence: int
    at: datetime

    def stored(self) -> str:
        # Zero-padded, so that stored marks compare as the sequence numbers do.
        return f"{self.sequence:0{_DIGITS}d}@{clock.format_timestamp(self.at)}"

    @classmethod
    def parse(cls, text: str) -> "Mark":
        sequence, _, at = text.partition("@")
        return cls(int(sequence), clock.parse_timestamp(at))


@dataclass(frozen=True)
class ProvisionalState:
    tally: Tally                     # every change folded (before a rebuild's cut)
    as_of: datetime | None           # the last fold
    marks: dict = field(default_factory=dict)   # stream shard id -> Mark
    revision: int = 0                # raised by every write
    since: datetime | None = None    # the last rebuild's cut: changes before it are in its recount
    cut: datetime | None = None      # a rebuild due: changes from here on are counted in ``after``
    after: Tally = field(default_factory=Tally)
    legacy: bool = False             # still as the scheduled fold wrote it before the stream (settled + tail)

    @property
    def shown(self) -> Tally:
        """What the totals show while open: everything folded, both sides of a cut."""
        return self.tally + self.after


@dataclass(frozen=True)
class Fold:
    """Changes of one stream shard to add to a campaign's provisional totals."""
    shard_id: str
    last_sequence: int
    counted: Tally                   # into the totals
    after: Tally = field(default_factory=Tally)   # from a pending rebuild's cut on


class TotalsStorage:
    _table: Table
    _recent: dict

    def get_provisional(self, campaign_id: str) -> ProvisionalState | None:
        item = self._table.get(provisional_key(campaign_id))
        return _provisional_from_item(item) if item else None

    def recent_provisional(self, campaign_id: str, now: datetime, max_age_seconds: float) -> ProvisionalState | None:
        """The provisional totals as this process read them at most ``max_age_seconds``
        before ``now``, or read now (and remembered as read at ``now``); none yet is
        remembered too."""
        kept = self._recent["provisional"].get(campaign_id, now, max_age_seconds)
        if kept is None:
            kept = (self.get_provisional(campaign_id),)
            self._recent["provisional"].put(campaign_id, kept, now)
        return kept[0]

    def fold_unread(self, campaign_id: str, fold: Fold, first_sequence: int, earliest: datetime,
                    latest: datetime, now: datetime) -> ProvisionalState | None:
        """Add ``fold`` without reading first, if nothing of this shard from ``first_sequence``
        on was folded yet and no rebuild treats changes stamped ``earliest`` to ``latest``
        otherwise; the state after it, or None (nothing written) if that does not hold."""
        names, values = {"#m": _MARK + fold.shard_id}, {":first": f"{first_sequence:0{_DIGITS}d}",
                                                       ":earliest": clock.format_timestamp(earliest),
                                                       ":latest": clock.format_timestamp(latest)}
        condition = ("(attribute_not_exists(#m) OR #m < :first)"
                     " AND (attribute_not_exists(#since) OR #since <= :earliest)"
                     " AND (attribute_not_exists(#cut) OR #cut > :latest)")
        names.update({"#cut": "cut", "#since": "since"})
        return self._fold(campaign_id, fold, now, condition, names, values)

    def fold_read(self, campaign_id: str, fold: Fold, read: ProvisionalState | None,
                  now: datetime) -> ProvisionalState | None:
        """Add ``fold`` if this shard's mark, the rebuild cut and its start are still as in
        ``read`` (None: no item then); the state after it, or None if another write won."""
        names, values = {"#m": _MARK + fold.shard_id, "#cut": "cut", "#since": "since"}, {}
        mark = read.marks.get(fold.shard_id) if read else None
        conditions = ["#m = :mark" if mark else "attribute_not_exists(#m)"]
        if mark:
            values[":mark"] = mark.stored()
        for name, moment in (("since", read.since if read else None), ("cut", read.cut if read else None)):
            if moment is None:
                conditions.append(f"attribute_not_exists(#{name})")
            else:
                values[f":{name}"] = clock.format_timestamp(moment)
                conditions.append(f"#{name} = :{name}")
        stale = [shard for shard, old in (read.marks.items() if read else ()) if shard != fold.shard_id
                 and now - old.at > MARK_LIFETIME]
        return self._fold(campaign_id, fold, now, " AND ".join(conditions), names, values, forget=stale)

    def _fold(self, campaign_id, fold: Fold, now, condition, names, values, forget=()):
        adds = []
        for prefix, tally in (("", fold.counted), (_AFTER, fold.after)):
            for kind, key, count in tally.counters():
                placeholder = f"{len(adds)}"
                names[f"#{placeholder}"] = prefix + _KINDS[kind] + (key or "")
                values[f":{placeholder}"] = count
                adds.append(f"#{placeholder} :{placeholder}")
        values.update({":mark_new": Mark(fold.last_sequence, now).stored(), ":now": clock.format_timestamp(now),
                       ":one": 1})
        names.update({"#as_of": "as_of", "#rev": "rev"})
        expression = "SET #m = :mark_new, #as_of = :now ADD " + ", ".join(adds + ["#rev :one"])
        if forget:
            for index, shard in enumerate(forget):
                names[f"#old{index}"] = _MARK + shard
            expression += " REMOVE " + ", ".join(f"#old{index}" for index in range(len(forget)))
        item = self._table.update_returning(provisional_key(campaign_id), expression, condition, values, names)
        return _provisional_from_item(item) if item is not None else None

    def forget_marks(self, campaign_id: str, marks: dict) -> bool:
        """Remove the marks ``{shard id: Mark}`` if each is still as given (they outlived
        every record they cover); False if one changed meanwhile."""
        if not marks:
            return True
        names = {f"#m{i}": _MARK + shard for i, shard in enumerate(marks)}
        values = {f":m{i}": mark.stored() for i, mark in enumerate(marks.values())}
        condition = " AND ".join(f"#m{i} = :m{i}" for i in range(len(marks)))
        return self._table.update(provisional_key(campaign_id), "REMOVE " + ", ".join(names), condition, values,
                                  names)

    def request_rebuild(self, campaign_id: str, cut: datetime) -> bool:
        """Start a rebuild of the provisional totals at ``cut`` (in the future): from then on
        folded changes stamped ``cut`` or later are counted apart. False if one is pending."""
        return self._table.update(provisional_key(campaign_id), "SET #cut = :cut ADD #rev :one",
                                  "attribute_not_exists(#cut)", {":cut": clock.format_timestamp(cut), ":one": 1},
                                  {"#cut": "cut", "#rev": "rev"})

    def complete_rebuild(self, campaign_id: str, recount: Tally, read: ProvisionalState, now: datetime) -> bool:
        """Replace the totals folded before ``read.cut`` with ``recount`` (the count at the cut,
        from the table) and add back what was folded from the cut on, if nothing was written
        since ``read``; the stream's marks stay. False if another write came first."""
        item = {**provisional_key(campaign_id), "as_of": clock.format_timestamp(now), "rev": read.revision + 1,
                "since": clock.format_timestamp(read.cut)}
        item.update(_counter_attributes(recount + read.after, ""))
        item.update({_MARK + shard: mark.stored() for shard, mark in read.marks.items()})
        try:
            self._table.put(item, Attr("rev").eq(read.revision) & Attr("cut").eq(clock.format_timestamp(read.cut)))
            return True
        except StaleWrite:
            return False

    def publish_final(self, campaign_id: str, totals: Totals) -> Totals:
        """Publish ``totals`` as version ``totals.version``, once.

        If that version exists already (a concurrent or earlier run), the stored
        one is returned: published versions are never overwritten.
        """
        item = {**final_key(campaign_id, totals.version),
                "tally": totals.tally.as_dict(), "version": totals.version,
                "as_of": clock.format_timestamp(totals.as_of), "void_count": totals.void_count,
                "reinstated_count": totals.reinstated_count, "offline_count": totals.offline_count}
        try:
            self._table.put(item, Attr("pk").not_exists())
            return totals
        except StaleWrite:
            return self.latest_final(campaign_id)

    def latest_final(self, campaign_id: str) -> Totals | None:
        items = self._table.query_page(KeyConditionExpression=_finals(campaign_id), ScanIndexForward=False,
                                       Limit=1, ConsistentRead=True)["Items"]
        return _totals_from_item(campaign_id, items[0]) if items else None

    def final_versions(self, campaign_id: str) -> list[Totals]:
        """Every published version of the final totals, oldest first."""
        return [_totals_from_item(campaign_id, item) for item in self._table.query(
            KeyConditionExpression=_finals(campaign_id), ConsistentRead=True)]


def _counter_attributes(tally: Tally, prefix: str) -> dict:
    return {prefix + _KINDS[kind] + (key or ""): count for kind, key, count in tally.counters()}


def _tally_from(item: dict, prefix: str) -> Tally:
    tally = Tally(**{kind: int(item.get(prefix + _KINDS[kind], 0)) for kind in SINGLE_COUNTS})
    for kind, code in _KINDS.items():
        if kind in SINGLE_COUNTS:
            continue
        start = prefix + code
        for name, value in item.items():
            if name.startswith(start) and int(value):
                getattr(tally, kind)[name[len(start):]] = int(value)
    return tally


def _provisional_from_item(item: dict) -> ProvisionalState:
    marks = {name[len(_MARK):]: Mark.parse(value) for name, value in item.items() if name.startswith(_MARK)}
    moment = {name: clock.parse_timestamp(item[name]) if name in item else None for name in ("as_of", "since", "cut")}
    return ProvisionalState(_tally_from(item, ""), moment["as_of"], marks, int(item.get("rev", 0)), moment["since"],
                            moment["cut"], _tally_from(item, _AFTER), legacy="watermark" in item)


def _finals(campaign_id):
    return Key("pk").eq(campaign_partition(campaign_id)) & Key("sk").begins_with(FINAL_PREFIX)


def _totals_from_item(campaign_id, item) -> Totals:
    return Totals(campaign_id, Tally.from_dict(item["tally"]), True, clock.parse_timestamp(item["as_of"]),
                  int(item["version"]), int(item.get("void_count", 0)), int(item.get("reinstated_count", 0)),
                  int(item.get("offline_count", 0)))
