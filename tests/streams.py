"""The table's stream in tests: read from moto or DynamoDB Local by tools/stream_poller.py, as
Lambda's event source mapping reads it on AWS, and folded by the very handler it would call."""
import hashlib
import json

from chalicelib.counting.folding import fold_batch
from chalicelib.domain import clock
from tools.stream_poller import StreamPoller


def poller_of(table) -> StreamPoller:
    """One poller per boto3 ``Table`` (kept on it), so a test reads its stream once, in order."""
    poller = getattr(table, "_test_poller", None)
    if poller is None:
        endpoint = table.meta.client.meta.endpoint_url
        local = endpoint if "amazonaws.com" not in endpoint else None
        poller = StreamPoller(table.name, region=table.meta.client.meta.region_name, endpoint_url=local)
        table._test_poller = poller
    return poller


def fold_stream(store) -> int:
    """Fold every stream batch there is into ``store``'s totals, as the fold function would
    (``store`` a TallyStore); how many batches."""
    return poller_of(store._table.resource).deliver(lambda event, _: fold_batch(store, event, clock.now()))


def deliver_to_function(client, table) -> int:
    """Hand every stream batch there is to the app's ``fold`` function through the Chalice test
    client, as Lambda's event source mapping would; how many batches."""
    return poller_of(table).deliver(lambda event, _: client.lambda_.invoke("fold", event))


def virtual_shards(event: dict, count: int, size: int, name: str = "shardId-virtual") -> list[list[dict]]:
    """``event``'s records spread over ``count`` stream shards as DynamoDB spreads them (all of
    one item's records in one shard, in order), each shard's cut into batches of ``size``."""
    shards = [[] for _ in range(count)]
    for record in event["Records"]:
        key = json.dumps(record["dynamodb"]["Keys"], sort_keys=True).encode()
        shards[int(hashlib.sha256(key).hexdigest(), 16) % count].append(record)
    return [[{**event, "shardId": name if count == 1 else f"{name}-{index}", "Records": records[start:start + size]}
             for start in range(0, len(records), size)] for index, records in enumerate(shards)]
