"""A pytest plugin that records every AWS operation the code makes, and who makes it.

A botocore handler on ``before-parameter-build`` sees each API call of every client
and resource in this process, moto, DynamoDB Local or real. It walks the Python stack:
the innermost frame of this repository must be code that ships (``app.py``,
``chalicelib/``) or the staff CLI (``tally_cli/``), else the call is a test's or a
tool's own and is ignored. Further out, the stack says who made the call:

* a frame in ``tally_cli/``: the staff CLI, which runs with a person's own AWS
  credentials, so its calls are recorded apart and never ask anything of a Lambda role;
* else the outermost frame in ``app.py``: the handler a Lambda function runs (a view,
  an authorizer, the scheduled job), which is what the audit checks against the
  function's policy;
* neither: a test driving ``chalicelib`` directly, which no deployed code path
  vouches for, so it is ignored too.

So the record does not depend on which tests run or in which order, and the policy
test (moved to the end of the session) checks all of it. The record is also written
to ``test-artifacts/aws-calls.json``.
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
SHIPPED = ("app.py", "chalicelib/")
STAFF_CLI = "tally_cli/"
# Creates tables for tests and `make run`; the deployed functions never call it.
PROVISIONING = ("chalicelib/storage/schema.py",)
# The storage modules' shared table helper: a call is placed at the storage method that made it.
TABLE_HELPER = "chalicelib/storage/table.py"
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


def _repository_path(frame):
    filename = frame.f_code.co_filename
    if filename == _THIS_FILE or filename.startswith(("<", sys.prefix, sys.base_prefix)):
        return None
    try:
        return Path(filename).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return None


def attribute(frame):
    """``(who, where)`` for a call made in ``frame``, or None when no deployed code or
    staff tool makes it: ``who`` is ``"app.py:<handler>"`` or :data:`STAFF_CLI`, and
    ``where`` is ``path:line in function`` of the innermost repository frame (above the
    storage modules' shared table helper, so the storage method that made the call)."""
    where = handler = None
    while frame is not None:
        relative = _repository_path(frame)
        if relative is not None:
            if where is None and relative != TABLE_HELPER:
                if not relative.startswith(SHIPPED + (STAFF_CLI,)) or relative.startswith(PROVISIONING):
                    return None
                where = f"{relative}:{frame.f_lineno} in {frame.f_code.co_name}"
            if relative.startswith(STAFF_CLI):
                return STAFF_CLI, where
            if relative == "app.py":
                handler = f"app.py:{frame.f_code.co_name}"   # the outermost one wins
        frame = frame.f_back
    return (handler, where) if handler else None


class CallRecorder:
    """For each caller (a handler in app.py, or the staff CLI), the IAM requests it made,
    each with the first place in the code that made it."""

    def __init__(self):
        self._lock = threading.Lock()
        self._sinks = [{}]

    def __call__(self, params, model, **_):
        attributed = attribute(sys._getframe(1))
        if attributed is None:
            return
        who, where = attributed
        requests = iam_requests(model.service_model.service_name, model.name, params)
        with self._lock:
            for sink in self._sinks:
                calls = sink.setdefault(who, {})
                for request in requests:
                    calls.setdefault(request, where)

    @property
    def calls(self) -> dict:
        """``{who: {IamRequest: where}}`` for the whole session so far."""
        with self._lock:
            return {who: dict(calls) for who, calls in self._sinks[0].items()}

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
    out.write_text(json.dumps([{"caller": who, "action": r.action, "resource": list(r.resource), "first_at": where}
                               for who in sorted(calls) for r, where in sorted(calls[who].items())],
                              indent=2) + "\n")


@pytest.fixture
def recorded_aws_calls():
    """The recorder itself, for tests that check what it saw."""
    return RECORDER
