"""The one DynamoDB table's shape, shared by tests, ``make run`` and the infrastructure.

See README, "Data model", for the items and access patterns behind these keys.
"""

REPORTS_BY_RECEIVED = "reports_by_received"   # LSI: a campaign shard's reports in arrival order
CAMPAIGNS_BY_STATE = "campaigns_by_state"     # GSI: open (or closed) campaigns by deadline
# Attributes the counting job reads from the index; personal data is not projected.
_COUNTED_ATTRIBUTES = ["report_id", "actions", "targets", "country", "excluded"]

TABLE_DEFINITION = {
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
        {"AttributeName": "received_at", "AttributeType": "S"},
        {"AttributeName": "campaign_state", "AttributeType": "S"},
        {"AttributeName": "deadline", "AttributeType": "S"},
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
    }],
    "BillingMode": "PAY_PER_REQUEST",
}
TTL_ATTRIBUTE = "expires_at"


def create_table(client, table_name: str, **options) -> None:
    """Create the table if it does not exist and wait until it is usable.

    ``options`` go to ``CreateTable`` as they are (``SSESpecification``, say).
    """
    existing = client.list_tables().get("TableNames", [])
    if table_name not in existing:
        client.create_table(TableName=table_name, **TABLE_DEFINITION, **options)
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1})
