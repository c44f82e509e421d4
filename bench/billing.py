"""How DynamoDB bills a request: item sizes and request units, from its documented rules.

Items here are in DynamoDB's wire format (``{"pk": {"S": "..."}, ...}``), as
sent and received over HTTP. Rules (DynamoDB Developer Guide, "Item sizes and
formats", "Read and write operations", "Local/Global secondary indexes"):

* Size of an item: the sum over attributes of the UTF-8 length of the name
  plus the value's size. String: UTF-8 bytes. Number: 1 byte per two
  significant digits, plus 1. Binary: raw bytes. Boolean and null: 1.
  List and map: 3 bytes, plus each element's size and 1 byte per element
  (a map element's size includes its key). Sets: the sum of their elements.
* Writes: 1 unit per started KB of the larger of the item before and after
  the write, also when the condition fails; 2 per KB inside a transaction.
* Reads: 1 unit per started 4 KB strongly consistent, half that eventually
  consistent, 2 in a transaction; a read that finds nothing still costs the
  minimum. Query and Scan add up the sizes of the items they read (before
  any filter) per page of at most 1 MB, then round up once per page.
* An index entry is the table's key, the index's key and the projected
  attributes. Writing an item costs an index write for its entry (a delete
  and a put when the index key changes; none when the entry is unchanged or
  absent before and after). Storage adds 100 bytes per item and per entry.
"""
import base64
import math
import re

KB = 1024
READ_BLOCK = 4 * KB
QUERY_PAGE = 1024 * KB
STORAGE_OVERHEAD = 100
_DIGITS = re.compile(r"[1-9](?:[0-9]*[1-9])?")


def number_size(text: str) -> int:
    """Bytes of a number: one per two significant digits (zeros trimmed at both ends), plus one."""
    digits = text.lstrip("+-").replace(".", "").split("e")[0].split("E")[0]
    significant = _DIGITS.search(digits)
    return (len(significant.group()) + 1) // 2 + 1 if significant else 1


def value_size(value: dict) -> int:
    """Bytes of one wire-format attribute value (without its name)."""
    (kind, data), = value.items()
    if kind == "S":
        return len(data.encode("utf-8"))
    if kind == "N":
        return number_size(data)
    if kind == "B":
        return len(base64.b64decode(data))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(text.encode("utf-8")) for text in data)
    if kind == "NS":
        return sum(number_size(text) for text in data)
    if kind == "BS":
        return sum(len(base64.b64decode(blob)) for blob in data)
    if kind == "L":
        return 3 + sum(value_size(element) + 1 for element in data)
    if kind == "M":
        return 3 + sum(len(name.encode("utf-8")) + value_size(element) + 1
                       for name, element in data.items())
    raise ValueError(f"unknown attribute type {kind!r}")


def item_size(item: dict | None) -> int:
    """Bytes of a wire-format item, as DynamoDB counts them for capacity (0 for no item)."""
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def write_units(*sizes: int, transactional=False) -> int:
    """Write units for a write whose item was and became these sizes (at least 1)."""
    units = max(1, math.ceil(max(sizes, default=0) / KB))
    return units * 2 if transactional else units


def read_units(size: int, consistent: bool, transactional=False) -> float:
    """Read units for reading ``size`` bytes in one go (at least one block)."""
    blocks = max(1, math.ceil(size / READ_BLOCK))
    if transactional:
        return blocks * 2.0
    return float(blocks) if consistent else blocks / 2


def query_read_units(sizes, consistent: bool) -> float:
    """Read units of a Query or Scan that read items of ``sizes``, cut into 1 MB pages."""
    pages, page = [], 0
    for size in sizes:
        if page and page + size > QUERY_PAGE:
            pages.append(page)
            page = 0
        page += size
    pages.append(page)
    return sum(read_units(size, consistent) for size in pages)


class Index:
    """A secondary index as DescribeTable (or ``schema.TABLE_DEFINITION``) states it."""

    def __init__(self, description: dict, table_keys: tuple, local: bool):
        self.name = description["IndexName"]
        self.local = local
        self.keys = tuple(key["AttributeName"] for key in description["KeySchema"])
        projection = description.get("Projection", {"ProjectionType": "ALL"})
        self.projects_all = projection["ProjectionType"] == "ALL"
        self.projected = set(table_keys) | set(self.keys) | set(projection.get("NonKeyAttributes", []))

    def entry(self, item: dict | None) -> dict | None:
        """The index entry ``item`` makes, or None if the item is not in the index."""
        if not item or any(key not in item for key in self.keys):
            return None
        if self.projects_all:
            return dict(item)
        return {name: value for name, value in item.items() if name in self.projected}

    def write_units(self, before: dict | None, after: dict | None, transactional=False) -> int:
        """Index write units for a table write that changed ``before`` into ``after``."""
        old, new = self.entry(before), self.entry(after)
        if old == new:
            return 0
        if old is None or new is None:
            return write_units(item_size(old or new), transactional=transactional)
        if any(old[key] != new[key] for key in self.keys):   # delete the old entry, put the new
            return (write_units(item_size(old), transactional=transactional)
                    + write_units(item_size(new), transactional=transactional))
        return write_units(item_size(old), item_size(new), transactional=transactional)


class TableShape:
    """A table's key and indexes, enough to bill writes to it."""

    def __init__(self, description: dict):
        self.keys = tuple(key["AttributeName"] for key in description["KeySchema"])
        self.indexes = (
            [Index(index, self.keys, local=True) for index in description.get("LocalSecondaryIndexes", [])]
            + [Index(index, self.keys, local=False) for index in description.get("GlobalSecondaryIndexes", [])])

    def key_of(self, item: dict) -> dict:
        return {name: item[name] for name in self.keys}

    def index(self, name: str) -> Index:
        return next(index for index in self.indexes if index.name == name)

    def stored_bytes(self, item: dict) -> int:
        """Billed storage for an item and its index entries (100 bytes of overhead each)."""
        entries = [index.entry(item) for index in self.indexes]
        return sum(item_size(entry) + STORAGE_OVERHEAD for entry in [item, *entries] if entry)
