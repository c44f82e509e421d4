"""What the code's DynamoDB calls cost, counted by listening to botocore's events.

:class:`RequestUnitMeter` registers on a botocore event emitter (a session's,
so every client made from it afterwards is counted, or one client's). For each
call it reads the request body and the response body exactly as sent and
received, and bills them with :mod:`bench.billing`. To bill a write it needs the
item as it was before (and, for ``UpdateItem``, after): it reads those with its
own ``peek`` client, which is not counted. A meter without ``peek`` counts only
calls and the time spent in them.

Units are kept per *bucket* (what the caller says it is doing, e.g. ``"json
new"``) and per *line* (operation and item kind, e.g. ``PutItem REPORTS/*``), so
anything beyond the floor shows up on a line of its own.
"""
import json
import re
import time
from collections import Counter
from contextlib import contextmanager

from bench import billing

_SEGMENT = re.compile(r"^[A-Z][A-Z_]*$")
_PLACEHOLDER = re.compile(r"[:#][A-Za-z0-9_]+")
_CREATE_ONLY = re.compile(r"^\s*attribute_not_exists\s*\(\s*([#\w]+)\s*\)\s*$")
_STATE = "bench.meter"
_UNSEEN = object()


def item_kind(item: dict, keys=("pk", "sk")) -> str:
    """``REPORTS/*``: the fixed upper-case prefix of each key, ``*`` where it is an id."""
    parts = []
    for name in keys:
        value = item.get(name, {}).get("S", "")
        head = value.split("#", 1)[0]
        parts.append(head if _SEGMENT.match(head) else "*")
    return "/".join(parts)


class RequestUnitMeter:
    """Counts calls, seconds, write and read units, and stored bytes per bucket and line."""

    def __init__(self, peek=None):
        self._peek = peek
        self._shapes = {}
        self.bucket = "other"
        self.units = Counter()       # (bucket, "WRU" | "WRU index" | "RRU", line) -> units
        self.calls = Counter()       # (bucket, operation) -> calls
        self.seconds = Counter()     # bucket -> seconds inside DynamoDB calls (client parsing included)
        self.backend = Counter()     # bucket -> of which waiting for the backend (sent to answered)
        self.overhead = Counter()    # bucket -> seconds the meter itself spent
        self.stored = Counter()      # (bucket, line) -> billed storage bytes added
        self.sizes = {}              # line -> list of written item sizes (bytes)
        self._sent = self._waited = 0.0

    @property
    def counts_units(self) -> bool:
        return self._peek is not None

    def instrument(self, events) -> None:
        """Listen on a botocore emitter (``session.events`` or ``client.meta.events``)."""
        events.register("before-call.dynamodb", self._before_call)
        # First: the clock starts before moto (a before-send handler itself) answers.
        events.register_first("before-send.dynamodb", self._before_send)
        events.register("before-parse.dynamodb", self._before_parse)
        # First, so that the response is seen before boto3's resource layer transforms it.
        events.register_first("after-call.dynamodb", self._after_call)

    @contextmanager
    def measuring(self, bucket: str):
        """Count what happens inside the block under ``bucket``."""
        previous, self.bucket = self.bucket, bucket
        try:
            yield self
        finally:
            self.bucket = previous

    # -- summaries ---------------------------------------------------------

    _COUNTERS = ("units", "calls", "seconds", "backend", "overhead", "stored")

    def export(self) -> dict:
        """What was counted, as plain data (to send from another process)."""
        return {**{name: getattr(self, name) for name in self._COUNTERS}, "sizes": self.sizes}

    @classmethod
    def merged(cls, exports) -> "RequestUnitMeter":
        """A meter (counting nothing further) holding the sum of several :meth:`export` results."""
        meter = cls()
        for counts in exports:
            for name in cls._COUNTERS:
                getattr(meter, name).update(counts[name])
            for line, sizes in counts["sizes"].items():
                meter.sizes.setdefault(line, []).extend(sizes)
        return meter

    def totals(self, bucket: str) -> dict:
        lines = {(unit, line): value for (b, unit, line), value in self.units.items() if b == bucket}
        indexes = Counter()
        for (unit, line), value in lines.items():
            if unit == "WRU index":
                indexes[line.split(" ", 1)[0]] += value
        wru_table = sum(v for (unit, _), v in lines.items() if unit == "WRU")
        return {
            "calls": sum(v for (b, _), v in self.calls.items() if b == bucket),
            "wru_table": wru_table,
            "wru_indexes": dict(indexes),
            "wru_with_indexes": wru_table + sum(indexes.values()),
            "rru": sum(v for (unit, _), v in lines.items() if unit == "RRU"),
            "stored_bytes": sum(v for (b, _), v in self.stored.items() if b == bucket),
            "dynamodb_seconds": self.seconds[bucket],
            "backend_seconds": self.backend[bucket],
        }

    def lines(self, bucket: str) -> list:
        """``(unit, line, units)`` for one bucket, largest first."""
        rows = [(unit, line, value) for (b, unit, line), value in self.units.items() if b == bucket]
        return sorted(rows, key=lambda row: (row[0], -row[2], row[1]))

    def operations(self, bucket: str) -> dict:
        return {op: n for (b, op), n in sorted(self.calls.items()) if b == bucket}

    # -- botocore handlers ---------------------------------------------------

    def _before_call(self, model, params, context, **_):
        started = time.perf_counter()
        state = {"operation": model.name, "bucket": self.bucket}
        if self.counts_units:
            request = json.loads(params.get("body") or b"{}")
            state["request"] = request
            state["before"] = self._items_before(model.name, request)
        context[_STATE] = state
        now = time.perf_counter()
        self.overhead[self.bucket] += now - started
        state["started"] = now
        return None   # anything else would short-circuit the call

    # The bench sends one call at a time, so the time on the wire needs no per-call key.
    def _before_send(self, **_):
        self._sent = time.perf_counter()

    def _before_parse(self, **_):
        self._waited += time.perf_counter() - self._sent

    def _after_call(self, http_response, model, context, **_):
        state = context.pop(_STATE, None)
        if state is None:
            return
        began = time.perf_counter()
        bucket = state["bucket"]
        self.seconds[bucket] += began - state["started"]
        self.backend[bucket] += self._waited
        self._waited = 0.0
        self.calls[(bucket, model.name)] += 1
        if self.counts_units:
            body = json.loads(http_response.content or b"{}")
            error = body.get("__type", "").rsplit("#", 1)[-1] if http_response.status_code >= 300 else None
            bill = getattr(self, f"_bill_{model.name}", None)
            if bill is not None:
                bill(bucket, state["request"], body, error, state["before"])
        self.overhead[bucket] += time.perf_counter() - began

    # -- peeking (not counted) -------------------------------------------------

    def _shape(self, table: str) -> billing.TableShape:
        if table not in self._shapes:
            self._shapes[table] = billing.TableShape(self._peek.describe_table(TableName=table)["Table"])
        return self._shapes[table]

    def _peek_item(self, table: str, key: dict):
        return self._peek.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")

    def _items_before(self, operation, request):
        if operation == "PutItem":
            if self._creates_only(request):
                return _UNSEEN   # no item before if it succeeds; DynamoDB or a peek says which if not
            return self._peek_item(request["TableName"], self._shape(request["TableName"]).key_of(request["Item"]))
        if operation in ("UpdateItem", "DeleteItem"):
            return self._peek_item(request["TableName"], request["Key"])
        if operation == "BatchWriteItem":
            return {(table, i): self._peek_item(table, self._write_key(table, write))
                    for table, writes in request["RequestItems"].items() for i, write in enumerate(writes)}
        if operation == "TransactWriteItems":
            return [self._peek_item(*self._action_key(action)) for action in request["TransactItems"]]
        return None

    def _creates_only(self, request):
        """True if the put's condition is ``attribute_not_exists`` on a key attribute."""
        match = _CREATE_ONLY.match(request.get("ConditionExpression", ""))
        if not match:
            return False
        name = request.get("ExpressionAttributeNames", {}).get(match.group(1), match.group(1))
        return name in self._shape(request["TableName"]).keys

    def _write_key(self, table, write):
        if "PutRequest" in write:
            return self._shape(table).key_of(write["PutRequest"]["Item"])
        return write["DeleteRequest"]["Key"]

    def _action_key(self, action):
        (kind, details), = action.items()
        table = details["TableName"]
        key = self._shape(table).key_of(details["Item"]) if kind == "Put" else details["Key"]
        return table, key

    # -- billing, one method per operation -----------------------------------------

    def _write(self, bucket, table, operation, before, after, attempted=None, transactional=False):
        """Bill one item write that turned ``before`` into ``after``."""
        shape = self._shape(table)
        line = f"{operation} {item_kind(attempted or after or before)}"
        self.units[(bucket, "WRU", line)] += billing.write_units(
            billing.item_size(before), billing.item_size(after), billing.item_size(attempted),
            transactional=transactional)
        for index in shape.indexes:
            units = index.write_units(before, after, transactional=transactional)
            if units:
                kind = "LSI" if index.local else "GSI"
                self.units[(bucket, "WRU index", f"{index.name} ({kind}) <- {line}")] += units
        if after is not None or before is not None:
            growth = (shape.stored_bytes(after) if after else 0) - (shape.stored_bytes(before) if before else 0)
            self.stored[(bucket, line)] += growth
        if after is not None and after != before:
            self.sizes.setdefault(line, []).append(billing.item_size(after))

    def _bill_PutItem(self, bucket, request, body, error, before):
        if error not in (None, "ConditionalCheckFailedException"):
            return   # throttled or invalid: not billed
        item = request["Item"]
        if before is _UNSEEN:   # a create-only put: nothing was there, or the condition failed unchanged
            before = None if error is None else body.get("Item") or self._peek_item(
                request["TableName"], self._shape(request["TableName"]).key_of(item))
        after = item if error is None else before
        self._write(bucket, request["TableName"], "PutItem", before, after, attempted=item)

    def _bill_UpdateItem(self, bucket, request, _body, error, before):
        if error not in (None, "ConditionalCheckFailedException"):
            return
        after = self._peek_item(request["TableName"], request["Key"]) if error is None else before
        self._write(bucket, request["TableName"], "UpdateItem", before, after, attempted=request["Key"])

    def _bill_DeleteItem(self, bucket, request, _body, error, before):
        if error not in (None, "ConditionalCheckFailedException"):
            return
        self._write(bucket, request["TableName"], "DeleteItem", before, None if error is None else before,
                    attempted=request["Key"])

    def _bill_BatchWriteItem(self, bucket, request, body, error, before):
        if error is not None:
            return
        unprocessed = body.get("UnprocessedItems", {})
        for table, writes in request["RequestItems"].items():
            for i, write in enumerate(writes):
                if write in unprocessed.get(table, []):
                    continue
                item = write.get("PutRequest", {}).get("Item")
                self._write(bucket, table, "BatchWriteItem", before[(table, i)], item,
                            attempted=item or write["DeleteRequest"]["Key"])

    def _bill_TransactWriteItems(self, bucket, request, _body, error, before):
        if error not in (None, "TransactionCanceledException"):
            return
        for action, old in zip(request["TransactItems"], before):
            (kind, details), = action.items()
            table = details["TableName"]
            attempted = details.get("Item") or details["Key"]
            if error is not None or kind == "ConditionCheck":
                after = old      # nothing changed, but the attempt is billed
            elif kind == "Put":
                after = details["Item"]
            elif kind == "Delete":
                after = None
            else:
                after = self._peek_item(table, details["Key"])
            self._write(bucket, table, f"Transact{kind}", old, after, attempted=attempted, transactional=True)

    def _bill_GetItem(self, bucket, request, body, error, _before):
        if error is not None:
            return
        item = body.get("Item")
        if "ProjectionExpression" in request or "AttributesToGet" in request:
            item = self._peek_item(request["TableName"], request["Key"])   # billed on the whole item
        units = billing.read_units(billing.item_size(item), request.get("ConsistentRead", False))
        self.units[(bucket, "RRU", f"GetItem {item_kind(request['Key'])}")] += units

    def _bill_BatchGetItem(self, bucket, request, _body, error, _before):
        if error is not None:
            return
        for table, wanted in request["RequestItems"].items():
            for key in wanted["Keys"]:
                size = billing.item_size(self._peek_item(table, key))
                units = billing.read_units(size, wanted.get("ConsistentRead", False))
                self.units[(bucket, "RRU", f"BatchGetItem {item_kind(key)}")] += units

    def _bill_TransactGetItems(self, bucket, request, _body, error, _before):
        if error is not None:
            return
        for action in request["TransactItems"]:
            key = action["Get"]["Key"]
            size = billing.item_size(self._peek_item(action["Get"]["TableName"], key))
            self.units[(bucket, "RRU", f"TransactGet {item_kind(key)}")] += billing.read_units(
                size, True, transactional=True)

    def _bill_Query(self, bucket, request, body, error, _before, operation="Query"):
        if error is not None:
            return
        items = body.get("Items")
        if items is None or body.get("Count") != body.get("ScannedCount") or "ProjectionExpression" in request:
            items = self._items_read(operation, request, body.get("ScannedCount", 0))
        consistent = request.get("ConsistentRead", False) and not self._is_global(request)
        units = billing.query_read_units([billing.item_size(item) for item in items], consistent)
        self.units[(bucket, "RRU", f"{operation} {request.get('IndexName') or self._partition_kind(request)}")] += units

    def _bill_Scan(self, bucket, request, body, error, before):
        self._bill_Query(bucket, request, body, error, before, operation="Scan")

    def _items_read(self, operation, request, scanned):
        """The items a filtered, counted or projected Query or Scan read: the same read, unfiltered."""
        if not scanned:
            return []
        again = {k: v for k, v in request.items()
                 if k not in ("FilterExpression", "Select", "ProjectionExpression", "AttributesToGet",
                              "ExpressionAttributeNames", "ExpressionAttributeValues")}
        again["Limit"] = scanned
        used = set(_PLACEHOLDER.findall(request.get("KeyConditionExpression", "")))
        for field in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
            kept = {k: v for k, v in request.get(field, {}).items() if k in used}
            if kept:
                again[field] = kept
        read, items = getattr(self._peek, "query" if operation == "Query" else "scan"), []
        # Some engines (DynamoDB Local) fill a projected page to 1 MB of what they return, not of the
        # whole items: the same read unprojected may take more than one page.
        while len(items) < scanned:
            again["Limit"] = scanned - len(items)
            page = read(**again)
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                break
            again["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return items

    def _is_global(self, request):
        name = request.get("IndexName")
        return bool(name) and not self._shape(request["TableName"]).index(name).local

    @staticmethod
    def _partition_kind(request):
        for value in request.get("ExpressionAttributeValues", {}).values():
            head = value.get("S", "").split("#", 1)[0]
            if _SEGMENT.match(head):
                return head
        return "*"
