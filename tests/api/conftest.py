"""The HTTP API through Chalice's test client on moto and again on DynamoDB Local, whose
refusals (key sizes, for one) moto does not always make: ``any_backend`` takes both."""
import json
from dataclasses import dataclass, field

import boto3
import pytest
from moto import mock_aws

from chalicelib.runtime import process
from chalicelib.staff import sessions
from chalicelib.staff.auth import issue_token
from chalicelib.storage import TallyStore
from chalicelib.storage.schema import create_table
from tests.conftest import TABLE, campaign_body


@dataclass
class Backend:
    """The test client over one table, signed-in staff headers, and every DynamoDB request made."""
    client: object
    store: TallyStore
    staff: dict
    dashboard: dict
    calls: list = field(default_factory=list)

    def dynamodb_requests_naming(self, text: str) -> list:
        return [(operation, params) for operation, params in self.calls if text in json.dumps(params, default=str)]


def _record_calls(store, calls):
    def record(params, model, **_):
        calls.append((model.name, params))
    store.client.meta.events.register("provide-client-params.dynamodb", record)


@pytest.fixture(params=["moto", pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)])
def any_backend(request, fake_clock, monkeypatch):
    """UA 47.22 created through the API, on moto or on DynamoDB Local."""
    yield from _backend(request, request.param, fake_clock, monkeypatch)


@pytest.fixture
def moto_backend(request, fake_clock, monkeypatch):
    """As ``any_backend``, on moto alone: for what does not depend on storage."""
    yield from _backend(request, "moto", fake_clock, monkeypatch)


def _backend(request, kind, fake_clock, monkeypatch):
    from chalice.test import Client

    import app as application
    from tools.local_gateway import use_gateway_responses

    if kind == "moto":
        mock = mock_aws()
        mock.start()
        request.addfinalizer(mock.stop)
        create_table(boto3.client("dynamodb", region_name="us-east-1"), TABLE)
        table = boto3.resource("dynamodb", region_name="us-east-1").Table(TABLE)
    else:
        table = request.getfixturevalue("local_table")
    store = TallyStore(table)
    with Client(application.app, stage_name="dev") as test_client:
        monkeypatch.setattr(process, "_STORE", store)
        token = issue_token(store, "tests", fake_clock())
        staff = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        session_id, _ = sessions.sign_in(store, token, fake_clock())
        backend = Backend(use_gateway_responses(test_client), store, staff,
                          {"Cookie": f"{sessions.COOKIE}={session_id}"})
        created = backend.client.http.put("/staff/campaigns/ua-47-22", headers=staff, body=json.dumps(campaign_body()))
        assert created.status_code == 201, created.body
        _record_calls(store, backend.calls)
        yield backend
