"""The one DynamoDB table, with the few operations the storage modules need:
conditional put and update, a transaction, a paged query, and DynamoDB's
overload and network failures translated into :class:`StorageUnavailable`."""
from contextlib import contextmanager

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError

_BUSY_CODES = {
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "InternalServerError", "ServiceUnavailable", "TransactionConflictException",
    "TransactionCanceledException",
}


class StorageUnavailable(Exception):
    """DynamoDB is throttling, failing or unreachable; the caller may retry later."""


class StaleWrite(Exception):
    """A conditional write lost to another writer; re-read and decide again."""


@contextmanager
def translate_errors():
    """Turn DynamoDB's overload and network failures into StorageUnavailable."""
    try:
        yield
    except ClientError as error:
        if error.response["Error"]["Code"] in _BUSY_CODES:
            raise StorageUnavailable(str(error)) from error
        raise
    except BotoCoreError as error:
        raise StorageUnavailable(str(error)) from error


def is_condition_failure(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


def from_wire(item: dict) -> dict:
    """An item as error responses carry it (DynamoDB's own JSON, unlike results)."""
    return {key: TypeDeserializer().deserialize(value) for key, value in item.items()}


class Table:
    """A boto3 ``Table`` resource, wrapped."""

    def __init__(self, resource):
        self.resource = resource

    @property
    def client(self):
        """The low-level client underneath (the resource's own)."""
        return self.resource.meta.client

    def get(self, key: dict, consistent: bool = True) -> dict | None:
        with translate_errors():
            return self.resource.get_item(Key=key, ConsistentRead=consistent).get("Item")

    def put(self, item: dict, condition) -> None:
        """Write ``item`` if ``condition`` holds, else StaleWrite."""
        try:
            with translate_errors():
                self.resource.put_item(Item=item, ConditionExpression=condition)
        except ClientError as error:
            if is_condition_failure(error):
                raise StaleWrite(item["pk"]) from error
            raise

    def update(self, key: dict, expression: str, condition, values: dict, names: dict | None = None) -> bool:
        """One conditional update; False if the condition did not hold."""
        return self._update(key, expression, condition, values, names) is not None

    def update_returning(self, key: dict, expression: str, condition, values: dict,
                         names: dict | None = None) -> dict | None:
        """:meth:`update`, answering the item as it is after it (DynamoDB bills no read
        for that), or None if the condition did not hold."""
        return self._update(key, expression, condition, values, names, ReturnValues="ALL_NEW")

    def _update(self, key, expression, condition, values, names, **returning):
        extra = {"ExpressionAttributeNames": names} if names else {}
        try:
            with translate_errors():
                answer = self.resource.update_item(Key=key, UpdateExpression=expression, ConditionExpression=condition,
                                                   ExpressionAttributeValues=values, **extra, **returning)
            return answer.get("Attributes", {})
        except ClientError as error:
            if is_condition_failure(error):
                return None
            raise

    def transact(self, items: list) -> list | None:
        """Write ``items`` in one transaction; None if done, else the cancellation reasons."""
        # The resource's client (un)serialises attribute values itself, as Table methods do.
        for item in items:
            (request,) = item.values()
            request["TableName"] = self.resource.name
        try:
            with translate_errors():
                self.client.transact_write_items(TransactItems=items)
            return None
        except StorageUnavailable as unavailable:
            error = unavailable.__cause__
            reasons = getattr(error, "response", {}).get("CancellationReasons")
            # A lost condition is an answer; a conflict or throttle means "retry later".
            if reasons and any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                return reasons
            raise

    def query_page(self, **kwargs) -> dict:
        """One page of a query, as DynamoDB answers it."""
        with translate_errors():
            return self.resource.query(**kwargs)

    def query(self, **kwargs):
        """Every item a query matches, page after page."""
        while True:
            page = self.query_page(**kwargs)
            yield from page["Items"]
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
