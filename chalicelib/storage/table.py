"""The one DynamoDB table, with the few operations the storage modules need:
conditional put and update, a transaction, a paged query, and DynamoDB's
overload and network failures translated into :class:`StorageUnavailable`.

Every request passes through here, so here too every key value is measured
against DynamoDB's bounds before it is sent (:class:`KeyOutOfBounds`): the
routes check the ids they are given, and one that forgets still cannot turn a
client's overlong id into DynamoDB's ValidationException, a 500.
"""
from contextlib import contextmanager

from boto3.dynamodb.conditions import AttributeBase, ConditionBase, ConditionExpressionBuilder
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.storage.schema import TABLE_DEFINITION

_BUSY_CODES = {
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "InternalServerError", "ServiceUnavailable", "TransactionConflictException",
    "TransactionCanceledException",
}


# DynamoDB's bounds on a key attribute's value, in UTF-8 bytes, for the table's keys and
# every index's (docs/reliability.md, "Limits").
PARTITION_KEY_BYTES, SORT_KEY_BYTES = 2048, 1024


def _key_roles() -> dict:
    schemas = [TABLE_DEFINITION["KeySchema"]] + [index["KeySchema"] for kind in (
        "LocalSecondaryIndexes", "GlobalSecondaryIndexes") for index in TABLE_DEFINITION.get(kind, [])]
    return {key["AttributeName"]: key["KeyType"] for schema in schemas for key in schema}


_KEY_ROLES = _key_roles()   # attribute name -> HASH or RANGE


class KeyOutOfBounds(Exception):
    """A key value DynamoDB would refuse (empty, or over its size limit): nothing can be
    stored or found under it, so no request is sent."""


def check_keys(values: dict) -> None:
    """KeyOutOfBounds unless every key attribute in ``values`` (a key, an item) fits DynamoDB."""
    for name, value in values.items():
        role = _KEY_ROLES.get(name)
        if role is None or not isinstance(value, str):
            continue
        limit = PARTITION_KEY_BYTES if role == "HASH" else SORT_KEY_BYTES
        size = len(value.encode("utf-8", "surrogatepass"))
        if not 0 < size <= limit:
            raise KeyOutOfBounds(f"{name} is {size} bytes; DynamoDB takes 1 to {limit}")


def check_condition_keys(condition) -> None:
    """check_keys for the values a KeyConditionExpression compares keys with
    (``Key("pk").eq(v) & Key("sk").between(a, b)``)."""
    if not isinstance(condition, ConditionBase):
        return
    operands = condition.get_expression()["values"]
    if isinstance(operands[0], AttributeBase):
        for value in operands[1:]:
            check_keys({operands[0].name: value})
    for operand in operands:
        check_condition_keys(operand)


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
        check_keys(key)
        with translate_errors():
            return self.resource.get_item(Key=key, ConsistentRead=consistent).get("Item")

    def put(self, item: dict, condition) -> None:
        """Write ``item`` if ``condition`` holds, else StaleWrite."""
        check_keys(item)
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
        check_keys(key)
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
        # The resource's client (un)serialises attribute values itself, as Table methods do,
        # but it would hoist a condition object's placeholders out of the item: built here.
        for item in items:
            (request,) = item.values()
            check_keys(request.get("Item") or request.get("Key") or {})
            request["TableName"] = self.resource.name
            condition = request.get("ConditionExpression")
            if condition is not None and not isinstance(condition, str):
                built = ConditionExpressionBuilder().build_expression(condition)
                request["ConditionExpression"] = built.condition_expression
                request["ExpressionAttributeNames"] = {**request.get("ExpressionAttributeNames", {}),
                                                       **built.attribute_name_placeholders}
                if built.attribute_value_placeholders:
                    request["ExpressionAttributeValues"] = {**request.get("ExpressionAttributeValues", {}),
                                                            **built.attribute_value_placeholders}
        try:
            with translate_errors():
                self.client.transact_write_items(TransactItems=items)
            return None
        except StorageUnavailable as unavailable:
            error = unavailable.__cause__
            # A timeout or a lost connection has no answer at all (``response`` is None).
            reasons = (getattr(error, "response", None) or {}).get("CancellationReasons")
            # A lost condition is an answer; a conflict or throttle means "retry later".
            if reasons and any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                return reasons
            raise

    def query_page(self, **kwargs) -> dict:
        """One page of a query, as DynamoDB answers it."""
        check_condition_keys(kwargs.get("KeyConditionExpression"))
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
