"""A pytest plugin that records every AWS operation the application code makes.

A botocore handler on ``before-parameter-build`` sees each API call of every client
and resource in this process, moto, DynamoDB Local or real. It walks the Python stack
to the first frame of this repository: a call counts as the application's when that
frame is in ``app.py`` or ``chalicelib/`` (what the Lambda runs), and is ignored when
it is a test, a fixture or a tool. So the record does not depend on which tests run
or in which order, and the policy test (moved to the end of the session) checks all
of it. The record is also written to ``test-artifacts/aws-calls.json``.
"""
import contextlib
import json
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import botocore.handlers
import pytest

ROOT = Path(__file__).resolve().parent.parent
APPLICATION = ("app.py", "chalicelib/")
# Creates tables for tests and `make run`; the deployed functions never call it.
PROVISIONING = ("chalicelib/schema.py",)
AUDIT_MARK = "aws_policy_audit"
_THIS_FILE = str(Path(__file__).resolve())

# TransactWriteItems/TransactGetItems are authorised per item, by these IAM actions.
_TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


@dataclass(frozen=True, order=True)
class IamRequest:
    """One IAM authorisation an API call needs: an action on a kind of resource."""
    action: str        # e.g. "dynamodb:PutItem"
    resource: tuple    # ("table",), ("index", "<name>") or ("topic",)


def iam_requests(service: str, operation: str, params: dict) -> list[IamRequest]:
    """The IAM actions and resources one boto3 call is authorised against."""
    if service == "dynamodb":
        if operation in ("TransactWriteItems", "TransactGetItems"):
            return [IamRequest(f"dynamodb:{_TRANSACT_ACTIONS[kind]}", ("table",))
                    for item in params.get("TransactItems", []) for kind in item]
        resource = ("index", params["IndexName"]) if params.get("IndexName") else ("table",)
        return [IamRequest(f"dynamodb:{operation}", resource)]
    if service == "sns":
        return [IamRequest(f"sns:{operation}", ("topic",))]
    return [IamRequest(f"{service}:{operation}", ("*",))]


def _application_caller(frame):
    """``path:line in function`` of the first repository frame, if it is application code."""
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename != _THIS_FILE and not filename.startswith(("<", sys.prefix, sys.base_prefix)):
            try:
                relative = Path(filename).resolve().relative_to(ROOT).as_posix()
            except ValueError:
                relative = None
            if relative is not None:
                if relative.startswith(APPLICATION) and not relative.startswith(PROVISIONING):
                    return f"{relative}:{frame.f_lineno} in {frame.f_code.co_name}"
                return None
        frame = frame.f_back
    return None


class CallRecorder:
    """IAM requests made by application code, each with the first place that made it."""

    def __init__(self):
        self._lock = threading.Lock()
        self._sinks = [{}]

    def __call__(self, params, model, **_):
        caller = _application_caller(sys._getframe(1))
        if caller is None:
            return
        requests = iam_requests(model.service_model.service_name, model.name, params)
        with self._lock:
            for sink in self._sinks:
                for request in requests:
                    sink.setdefault(request, caller)

    @property
    def calls(self) -> dict:
        with self._lock:
            return dict(self._sinks[0])

    @contextlib.contextmanager
    def capture(self):
        """Also collect, separately, what the code calls inside this block."""
        sink = {}
        with self._lock:
            self._sinks.append(sink)
        try:
            yield sink
        finally:
            with self._lock:
                self._sinks.remove(sink)


RECORDER = CallRecorder()
# Every botocore session created from now on registers the handler; a session made
# earlier (boto3's default one, say) gets it directly.
botocore.handlers.BUILTIN_HANDLERS.append(("before-parameter-build", RECORDER))


def _register_on_existing_default_session():
    import boto3

    if boto3.DEFAULT_SESSION is not None:
        boto3.DEFAULT_SESSION._session.register("before-parameter-build", RECORDER)


_register_on_existing_default_session()


def pytest_configure(config):
    config.addinivalue_line("markers", f"{AUDIT_MARK}: checks the AWS calls recorded by the whole session; "
                                       "runs after every other test")


def pytest_collection_modifyitems(items):
    audits = [item for item in items if item.get_closest_marker(AUDIT_MARK)]
    items[:] = [item for item in items if not item.get_closest_marker(AUDIT_MARK)] + audits


def pytest_sessionfinish(session):
    calls = RECORDER.calls
    if not calls:
        return
    out = ROOT / "test-artifacts" / "aws-calls.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps([{"action": r.action, "resource": list(r.resource), "first_caller": c}
                               for r, c in sorted(calls.items())], indent=2) + "\n")


@pytest.fixture
def recorded_aws_calls():
    """The recorder itself, for tests that check what it saw."""
    return RECORDER
