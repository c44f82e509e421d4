"""The one DynamoDB table's shape, shared by tests, ``make run`` and the infrastructure.

See docs/data-model.md for the items and access patterns behind these keys.
"""

REPORTS_BY_RECEIVED = "reports_by_received"   # LSI: a campaign shard's reports in arrival order
CAMPAIGNS_BY_STATE = "campaigns_by_state"     # GSI: open (or closed) campaigns by deadline
# Sparse GSI: only reports kept with consent carry ``contact_email_hash``, so
# staff can erase one supporter's reports without a scan. Keys only.
REPORTS_BY_EMAIL = "reports_by_email"
# Attributes the counting job reads from the index; personal data is not projected.
# ``per_target`` and ``participants`` came with contract v2's reports: an index made before
# lacks them, and DynamoDB reads them from the table instead (storage/reports.py asks by name).
_COUNTED_ATTRIBUTES = ["report_id", "actions", "targets", "country", "excluded", "per_target", "participants"]

TABLE_DEFINITION = {
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
        {"AttributeName": "received_at", "AttributeType": "S"},
        {"AttributeName": "campaign_state", "AttributeType": "S"},
        {"AttributeName": "deadline", "AttributeType": "S"},
        {"AttributeName": "contact_email_hash", "AttributeType": "S"},
    ],
    "KeySchema": [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ],
    "LocalSecondaryIndexes": [{
        "IndexName": REPORTS_BY_RECEIVED,
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "received_at", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": _COUNTED_ATTRIBUTES},
    }],
    "GlobalSecondaryIndexes": [{
        "IndexName": CAMPAIGNS_BY_STATE,
        "KeySchema": [
            {"AttributeName": "campaign_state", "KeyType": "HASH"},
            {"AttributeName": "deadline", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }, {
        "IndexName": REPORTS_BY_EMAIL,
        "KeySchema": [{"AttributeName": "contact_email_hash", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }],
    "BillingMode": "PAY_PER_REQUEST",
}
TTL_ATTRIBUTE = "expires_at"   # epoch seconds; DynamoDB deletes the item some time after


def create_table(client, table_name: str, **options) -> None:
    """Create the table if it does not exist, add any index it lacks, turn on
    TTL, and wait until it is usable. Safe to run again on every start.

    ``options`` go to ``CreateTable`` as they are (``SSESpecification``, say).
    """
    existing = client.list_tables().get("TableNames", [])
    if table_name not in existing:
        client.create_table(TableName=table_name, **TABLE_DEFINITION, **options)
    waiter = client.get_waiter("table_exists")
    waiter.wait(TableName=table_name, WaiterConfig={"Delay": 1})
    _add_missing_indexes(client, table_name)
    ttl = client.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        client.update_time_to_live(TableName=table_name, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": TTL_ATTRIBUTE})


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
