"""The table's stream, read the way Lambda's event source mapping reads it, for `make run`,
the tests and the bench (on AWS, Lambda itself does this).

Each shard is read in order from its oldest record (``TRIM_HORIZON``); its records go
to the handler in batches of the mapping's size, as the events Lambda sends with a
tumbling window (``shardId`` named). A batch the handler fails is delivered again, the
same records, until it succeeds; a shard's parent is read to its end before the shard.
"""
from datetime import datetime

import boto3
from botocore.config import Config

from chalicelib.runtime.config import STREAM_BATCH
from chalicelib.storage.schema import stream_arn

# botocore names a streams endpoint by account (``<account>.streams-ddb...``), which moto does not
# know; the regional one is the same service.
_STREAMS_CONFIG = Config(account_id_endpoint_mode="disabled")


class StreamPoller:
    """Batches of one table's stream, shard by shard, each handed over until it is handled."""

    def __init__(self, table_name: str, region: str = "us-east-1", endpoint_url: str | None = None,
                 batch_size: int = STREAM_BATCH["batch_size"], session=None):
        session = session or boto3.session.Session()
        self.dynamodb = session.client("dynamodb", region_name=region, endpoint_url=endpoint_url)
        self.streams = session.client("dynamodbstreams", region_name=region, endpoint_url=endpoint_url,
                                      config=_STREAMS_CONFIG)
        self.arn = stream_arn(self.dynamodb, table_name)
        self.batch_size = batch_size
        self._after: dict[str, str] = {}              # shard id -> the last sequence number read
        self._pending: dict[str, list] = {}           # shard id -> records read, not yet handled
        self.delivered = 0                            # batches handed over, retries included

    def shards(self) -> list[str]:
        """The stream's shards, each after its parent."""
        shards, start = [], None
        while True:
            page = self.streams.describe_stream(StreamArn=self.arn, **({"ExclusiveStartShardId": start}
                                                                        if start else {}))["StreamDescription"]
            shards += page["Shards"]
            start = page.get("LastEvaluatedShardId")
            if not start:
                break
        by_id = {shard["ShardId"]: shard for shard in shards}
        ordered = []

        def place(shard_id):
            shard = by_id.get(shard_id)
            if shard is None or shard_id in ordered:
                return
            place(shard.get("ParentShardId"))
            ordered.append(shard_id)

        for shard_id in by_id:
            place(shard_id)
        return ordered

    def batches(self):
        """``(shard id, event)`` for every batch now available, each shard's in order; a batch
        comes back until :meth:`handled` is called for it."""
        for shard_id in self.shards():
            while True:
                records = self._read(shard_id)
                if not records:
                    break
                yield shard_id, self.event(shard_id, records)
                if self._pending.get(shard_id):   # not handled: Lambda would retry it before going on
                    break

    def handled(self, shard_id: str) -> None:
        """The last batch of ``shard_id`` succeeded: the shard moves on."""
        self._pending.pop(shard_id, None)

    def deliver(self, handler, context=None) -> int:
        """Hand every available batch to ``handler(event, context)``; a batch whose handler
        raises stays, to be delivered again next time (the error goes on up). Returns how
        many batches succeeded."""
        succeeded = 0
        for shard_id, event in self.batches():
            self.delivered += 1
            handler(event, context)
            self.handled(shard_id)
            succeeded += 1
        return succeeded

    def event(self, shard_id: str, records: list) -> dict:
        """The records as Lambda sends them to a function whose mapping has a tumbling window."""
        return {"Records": [self._as_lambda_record(record) for record in records], "shardId": shard_id,
                "eventSourceARN": self.arn, "state": {}, "isFinalInvokeForWindow": False,
                "isWindowTerminatedEarly": False}

    def _read(self, shard_id):
        pending = self._pending.setdefault(shard_id, [])
        if pending:
            return pending
        # A fresh iterator each time, after the last record read: iterators expire after 15
        # minutes (`make run` polls for hours), and moto's point at a table it replaces in
        # every transaction.
        where = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self._after[shard_id]}
                 if shard_id in self._after else {"ShardIteratorType": "TRIM_HORIZON"})
        iterator = self.streams.get_shard_iterator(StreamArn=self.arn, ShardId=shard_id, **where)["ShardIterator"]
        while len(pending) < self.batch_size and iterator:
            page = self.streams.get_records(ShardIterator=iterator, Limit=self.batch_size - len(pending))
            iterator = page.get("NextShardIterator")
            if not page["Records"]:
                break
            pending += page["Records"]
            self._after[shard_id] = page["Records"][-1]["dynamodb"]["SequenceNumber"]
        return pending

    def _as_lambda_record(self, record):
        details = dict(record["dynamodb"])
        stamp = details.get("ApproximateCreationDateTime")
        if isinstance(stamp, datetime):   # boto3 parses it; Lambda sends epoch seconds
            details["ApproximateCreationDateTime"] = int(stamp.timestamp())
        return {**{k: v for k, v in record.items() if k != "dynamodb"}, "dynamodb": details,
                "eventSourceARN": self.arn}
