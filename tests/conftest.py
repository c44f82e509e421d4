"""Shared fixtures: a moto-backed table, a movable clock, the Chalice test client."""
import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from chalicelib.counting import abuse, rate_limit
from chalicelib.domain import clock
from chalicelib.runtime import process
from chalicelib.runtime.config import load_settings
from chalicelib.staff.auth import issue_token
from chalicelib.storage import TallyStore
from chalicelib.storage.schema import create_table

# Records every AWS call the application makes, for tests/packaging/test_iam_policy.py;
# prints measured figures after the run.
pytest_plugins = ["tests.aws_calls", "tests.figures"]

START = datetime(2026, 1, 10, 12, 0, tzinfo=timezone.utc)
TABLE = "action-tally-dev"   # the dev stage's table, as in .chalice/config.json
FORM_TOKEN_SECRET = "test-form-token-secret-0123456789abcdef"  # noqa: S105 - a test-only key
# Normal test reports were "filled in" this long ago: past the minimum fill time, not expired.
FILL_TIME = timedelta(minutes=2)
CHROMIUM = "/usr/bin/chromium"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, moment=START):
        self.moment = moment

    def __call__(self):
        return self.moment

    def advance(self, **delta):
        self.moment += timedelta(**delta)
        return self.moment

    def set(self, moment):
        self.moment = moment


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("DYNAMODB_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("FORM_TOKEN_SECRET", FORM_TOKEN_SECRET)
    for name in ("FORM_TOKEN_TTL_SECONDS", "MIN_FILL_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    process.reset()
    rate_limit.forget_all()   # one process stands for a fresh container in every test
    yield
    process.reset()


@pytest.fixture
def fake_clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(clock, "now", fake)
    return fake


@pytest.fixture
def moto_table(aws_environment):
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client, TABLE)
        yield boto3.resource("dynamodb", region_name="us-east-1").Table(TABLE)


@pytest.fixture
def store(moto_table):
    return TallyStore(moto_table)


@pytest.fixture
def settings():
    return load_settings({"TABLE_NAME": TABLE, "FORM_TOKEN_SECRET": FORM_TOKEN_SECRET})


@pytest.fixture
def client(moto_table, fake_clock):
    from chalice.test import Client

    import app as application
    from tools.local_gateway import use_gateway_responses

    with Client(application.app, stage_name="dev") as test_client:
        test_client.table = moto_table   # whose stream run_scheduled delivers to the fold function
        # API Gateway's answers to refused staff credentials, as deployed.
        yield use_gateway_responses(test_client)


@pytest.fixture
def no_server_errors(client):
    """Fail the test at once if any response through ``client`` is a 5xx."""
    original = client.http.request

    def request(method, path, **kwargs):
        response = original(method, path, **kwargs)
        assert response.status_code < 500, (method, path, response.status_code, response.body[:500])
        return response

    client.http.request = request
    yield
    client.http.request = original


@pytest.fixture
def staff_headers(store, fake_clock):
    token = issue_token(store, "tests", fake_clock())
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def campaign_body(**overrides):
    """The UA 47.22 campaign as staff would send it."""
    body = {
        "reference": "UA 47.22",
        "title": "Venezuelan defenders face criminalization",
        "deadline": "2026-01-20T23:59:59-04:00",
        "targets": [
            {"id": "governor", "name": "Rafael Lacava", "role": "Governor of Carabobo state"},
            {"id": "ambassador", "name": "Joaquín A. Pérez Ayestarán",
             "role": "Permanent Representative of Venezuela to the UN"},
        ],
        "actions": ["letter", "email", "fax", "call", "tweet"],
        "languages": ["en", "es"],
        "letter_language": "es",
        "allowed_origins": ["https://www.example.org"],
    }
    body.update(overrides)
    return body


def form_token(campaign_id="ua-47-22", age=FILL_TIME):
    """A genuine form token for ``campaign_id``, issued ``age`` before the (fake) clock's now."""
    settings = load_settings({"FORM_TOKEN_SECRET": FORM_TOKEN_SECRET})
    return abuse.issue_form_token(settings, campaign_id, clock.now() - age)


def report_body(**overrides):
    """A valid report for UA 47.22, as a supporter who took a while to fill the form sends it."""
    body = {"submission_id": str(uuid.uuid4()), "actions": {"letter": 2, "email": 1},
            "targets": ["governor"], "country": "MX", "form_token": form_token()}
    body.update(overrides)
    return body


@pytest.fixture
def campaign(client, staff_headers):
    """UA 47.22, created through the API; returns its id."""
    response = client.http.put("/staff/campaigns/ua-47-22", headers=staff_headers,
                               body=json.dumps(campaign_body()))
    assert response.status_code == 201, response.body
    return "ua-47-22"


def post_report(client, campaign_id, body, headers=None):
    return client.http.post(f"/campaigns/{campaign_id}/reports",
                            headers=headers or {"Content-Type": "application/json"},
                            body=json.dumps(body) if not isinstance(body, (str, bytes)) else body)


def run_scheduled(client, stream=True):
    """Invoke the scheduled function as EventBridge would, once the fold function has had the
    table's stream so far (as Lambda would have handed it over meanwhile; ``stream`` False: not)."""
    from tests.streams import deliver_to_function

    if stream:
        deliver_to_function(client, client.table)
    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event",
                                            detail={}, resources=["arn:aws:events:us-east-1:1:rule/tally"])
    return client.lambda_.invoke("tally", event)


@pytest.fixture(scope="session")
def dynamodb_local():
    """AWS's DynamoDB Local, in memory, for the whole test session."""
    from tools.dynamodb_local import DynamoDBLocal

    with DynamoDBLocal(in_memory=True) as server:
        yield server


@pytest.fixture
def local_table(dynamodb_local):
    """A fresh table in DynamoDB Local for one test."""
    options = {"region_name": "us-east-1", "endpoint_url": dynamodb_local.endpoint_url,
               "aws_access_key_id": "local", "aws_secret_access_key": "local"}
    name = f"tally-{uuid.uuid4().hex[:12]}"
    create_table(boto3.client("dynamodb", **options), name)
    table = boto3.resource("dynamodb", **options).Table(name)
    yield table
    table.delete()


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, headless, driven by Playwright; one for the whole run, as
    Playwright's sync API allows only one instance at a time (never `playwright install`)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def ua(store, settings, fake_clock):
    """UA 47.22, created through the storage layer (no HTTP)."""
    from chalicelib.staff.campaign_admin import save_campaign

    campaign, _ = save_campaign(store, "ua-47-22", campaign_body(), fake_clock(), settings.report_shards)
    return campaign
