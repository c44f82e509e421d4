"""The storage layer's contract runs against moto and again against DynamoDB Local,
so that an emulator's gaps cannot hide a bug: every test here takes ``backend``."""
import pytest

from chalicelib.domain.campaign import parse_campaign
from chalicelib.domain.report import parse_report
from chalicelib.storage import TallyStore
from tests.conftest import START, campaign_body, report_body


@pytest.fixture(params=["moto", pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)])
def backend(request):
    table = request.getfixturevalue("moto_table" if request.param == "moto" else "local_table")
    return TallyStore(table)


@pytest.fixture
def campaign(backend):
    campaign = parse_campaign("ua-47-22", campaign_body(), START, report_shards=3)
    backend.create_campaign(campaign)
    return campaign


def a_report(campaign, **overrides):
    return parse_report(report_body(**overrides), campaign, 50)
