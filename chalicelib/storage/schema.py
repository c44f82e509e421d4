"""The one DynamoDB table's shape, shared by tests, ``make run`` and the infrastructure.

See docs/data-model.md for the items and access patterns behind these keys.
"""

CAMPAIGNS_BY_STATE = "campaigns_by_state"     # GSI: open (or closed) campaigns by deadline; outcomes to announce
# GSI, sparse: the follow-ups of a case by creation, under the id of its first campaign
# (only a campaign that follows another has ``case_id``; see chalicelib.storage.cases).
CAMPAIGNS_BY_CASE = "campaigns_by_case"
# Every change to an item goes to the table's stream, with the item before and after:
# the provisional totals are folded from it (chalicelib.counting.folding), voids and
# reinstatements included, which need the image before the change.
STREAM_VIEW = "NEW_AND_OLD_IMAGES"

TABLE_DEFINITION = {
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
        {"AttributeName": "campaign_state", "AttributeType": "S"},
        {"AttributeName": "deadline", "AttributeType": "S"},
        {"AttributeName": "case_id", "AttributeType": "S"},
        {"AttributeName": "created_at", "AttributeType": "S"},
    ],
    "KeySchema": [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ],
    "GlobalSecondaryIndexes": [{
        "IndexName": CAMPAIGNS_BY_STATE,
        "KeySchema": [
            {"AttributeName": "campaign_state", "KeyType": "HASH"},
            {"AttributeName": "deadline", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }, {
        "IndexName": CAMPAIGNS_BY_CASE,
        "KeySchema": [
            {"AttributeName": "case_id", "KeyType": "HASH"},
            {"AttributeName": "created_at", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }],
    "BillingMode": "PAY_PER_REQUEST",
}
STREAM_SPECIFICATION = {"StreamEnabled": True, "StreamViewType": STREAM_VIEW}
TTL_ATTRIBUTE = "expires_at"   # epoch seconds; DynamoDB deletes the item some time after

# Tables made before the stream fold also have the arrival LSI the scheduled job once
# counted from. DynamoDB cannot drop a local index, and CloudFormation or Terraform would
# replace the table to do it, so such a table keeps it: reports stored since carry no
# ``received_at`` (their arrival is ``received``), so the index gets no new entries and
# costs nothing more. ``python -m infra.package --keep-arrival-index`` keeps its
# definition in the templates of a stack made before (docs/deploy.md, "Upgrading").
ARRIVAL_INDEX = "reports_by_received"
LEGACY_ARRIVAL_INDEX = {
    "IndexName": ARRIVAL_INDEX,
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "received_at", "KeyType": "RANGE"}],
    "Projection": {"ProjectionType": "INCLUDE",
                   "NonKeyAttributes": ["report_id", "actions", "targets", "country", "excluded"]},
}
LEGACY_ARRIVAL_ATTRIBUTE = {"AttributeName": "received_at", "AttributeType": "S"}


def with_arrival_index(definition: dict) -> dict:
    """``definition`` as a table made before the stream fold has it (see LEGACY_ARRIVAL_INDEX)."""
    return {**definition, "AttributeDefinitions": [*definition["AttributeDefinitions"], LEGACY_ARRIVAL_ATTRIBUTE],
            "LocalSecondaryIndexes": [LEGACY_ARRIVAL_INDEX]}


def create_table(client, table_name: str, **options) -> None:
    """Create the table if it does not exist, add any index it lacks, turn on its
    stream and TTL, and wait until it is usable. Safe to run again on every start.

    A table made by an older version keeps the indexes it has (see ARRIVAL_INDEX).
    ``options`` go to ``CreateTable`` as they are (``SSESpecification``, say).
    """
    existing = client.list_tables().get("TableNames", [])
    if table_name not in existing:
        client.create_table(TableName=table_name, **TABLE_DEFINITION, StreamSpecification=STREAM_SPECIFICATION,
                            **options)
    waiter = client.get_waiter("table_exists")
    waiter.wait(TableName=table_name, WaiterConfig={"Delay": 1})
    _add_missing_indexes(client, table_name)
    _turn_on_the_stream(client, table_name)
    ttl = client.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        client.update_time_to_live(TableName=table_name, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": TTL_ATTRIBUTE})


def stream_arn(client, table_name: str) -> str:
    """The ARN of the table's stream (the one the fold reads)."""
    return client.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]


def _turn_on_the_stream(client, table_name):
    """A table made before the stream fold gains its stream (of new changes only:
    DynamoDB never replays what happened before, see docs/deploy.md, "Upgrading")."""
    table = client.describe_table(TableName=table_name)["Table"]
    current = table.get("StreamSpecification") or {}
    if current.get("StreamEnabled") and current.get("StreamViewType") == STREAM_VIEW:
        return
    if current.get("StreamEnabled"):   # another view: a table has one stream, so it is replaced
        client.update_table(TableName=table_name, StreamSpecification={"StreamEnabled": False})
        client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1})
    client.update_table(TableName=table_name, StreamSpecification=STREAM_SPECIFICATION)
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1})


def _add_missing_indexes(client, table_name):
    """A table made by an older version gains the global indexes added since."""
    table = client.describe_table(TableName=table_name)["Table"]
    present = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
    attributes = {a["AttributeName"]: a for a in TABLE_DEFINITION["AttributeDefinitions"]}
    for index in TABLE_DEFINITION["GlobalSecondaryIndexes"]:
        if index["IndexName"] in present:
            continue
        keys = [attributes[key["AttributeName"]] for key in index["KeySchema"]]
        client.update_table(TableName=table_name, AttributeDefinitions=keys,
                            GlobalSecondaryIndexUpdates=[{"Create": index}])
