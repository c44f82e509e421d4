"""DynamoDB failures injected below botocore's retries, so the real retry policy
(``chalicelib.runtime.process.BOTO_CONFIG``) sees them exactly as it would see DynamoDB's.

A handler registered first on the client's ``before-send`` event answers in
moto's place: an error response (throttling, a cancelled transaction, an
internal error) or a timeout, optionally after letting moto apply the write
(the answer to a write that succeeded is lost on the way back). botocore runs
every ``before-send`` handler, so moto's is switched off for a faulted attempt
and on again by a handler registered last. Both sit on the generic event,
beside moto's own: botocore calls more specific events' handlers first.
"""
import json
from collections import Counter
from dataclasses import dataclass

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from moto.core.botocore_stubber import MockRawResponse
from moto.core.models import botocore_stubber

ALWAYS = 10**9
_ERRORS = {
    "throttle": (400, "ThrottlingException", "Rate of requests exceeds the allowed throughput."),
    "provisioned": (400, "ProvisionedThroughputExceededException", "Throughput exceeded."),
    "transaction_canceled": (400, "TransactionCanceledException",
                             "Transaction cancelled, please refer cancellation reasons for specific reasons "
                             "[TransactionConflict]"),
    "internal": (500, "InternalServerError", "Internal server error"),
}
KINDS = [*_ERRORS, "read_timeout", "connect_timeout"]


@dataclass
class _Plan:
    operation: str
    kind: str
    times: int
    skip: int
    applied: bool


class DynamoFaults:
    """Fail chosen DynamoDB operations of one boto3 client; use as a context manager."""

    def __init__(self, client):
        self.client = client
        self.plans: list[_Plan] = []
        self.attempts = Counter()     # every attempt botocore made, per operation
        self.injected = Counter()     # attempts answered with a fault
        self._seen = Counter()

    def __enter__(self):
        self.client.meta.events.register_first("before-send", self._before_send)
        self.client.meta.events.register_last("before-send", self._moto_on_again)
        return self

    def __exit__(self, *exc_info):
        self.client.meta.events.unregister("before-send", self._before_send)
        self.client.meta.events.unregister("before-send", self._moto_on_again)
        botocore_stubber.enabled = True

    @staticmethod
    def _moto_on_again(**kwargs):
        botocore_stubber.enabled = True

    def fail(self, operation, kind, *, times=ALWAYS, skip=0, applied=False):
        """Answer ``operation`` (e.g. "PutItem") with ``kind`` on ``times`` attempts after ``skip``.

        ``applied``: moto performs the write first, then the answer times out.
        """
        assert kind in KINDS, kind
        assert not applied or kind == "read_timeout", "only a lost answer can follow an applied write"
        self.plans.append(_Plan(operation, kind, times, skip, applied))
        return self

    def clear(self):
        self.plans.clear()

    def _before_send(self, request, event_name="", **kwargs):
        if not event_name.startswith("before-send.dynamodb."):
            return None
        operation = event_name.rsplit(".", 1)[-1]
        self.attempts[operation] += 1
        active = []
        for plan in self.plans:   # each plan counts the calls it matches
            if plan.operation in (operation, "*"):
                self._seen[id(plan)] += 1
                if plan.skip < self._seen[id(plan)] <= plan.skip + plan.times:
                    active.append(plan)
        if not active:
            return None
        plan = active[0]
        self.injected[operation] += 1
        if plan.applied:
            botocore_stubber(event_name=event_name, request=request)
        if plan.kind == "read_timeout":
            raise ReadTimeoutError(endpoint_url=request.url)
        if plan.kind == "connect_timeout":
            raise ConnectTimeoutError(endpoint_url=request.url)
        botocore_stubber.enabled = False   # this attempt never reaches moto
        status, code, message = _ERRORS[plan.kind]
        body = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}
        return AWSResponse(request.url, status, {"x-amzn-RequestId": "fault"}, MockRawResponse(json.dumps(body)))


def no_backoff(monkeypatch):
    """Keep botocore's retry count but not its sleeps, so the tests stay fast."""
    from botocore.retries import standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
