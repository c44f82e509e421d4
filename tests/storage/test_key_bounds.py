"""The storage contract, key values: one DynamoDB would refuse (empty, or over 2,048 bytes
for a partition key, 1,024 for a sort key) is refused here first with KeyOutOfBounds, by
every kind of request, and nothing is sent. Run on moto and on DynamoDB Local (``backend``)."""
from dataclasses import replace

import pytest
from botocore.exceptions import ClientError

from chalicelib.domain.report import Void
from chalicelib.storage import KeyOutOfBounds
from tests.conftest import START
from tests.storage.conftest import a_report

LONG = "a" * 3000


@pytest.fixture
def sent(backend):
    """The DynamoDB operations the store sends from now on."""
    operations = []
    backend.client.meta.events.register("provide-client-params.dynamodb",
                                        lambda params, model, **_: operations.append(model.name))
    return operations


def test_every_kind_of_request_refuses_an_overlong_key_before_sending_it(backend, campaign, sent):
    stored, _ = backend.record_report(campaign, a_report(campaign), "r1", START)
    sent.clear()
    overlong = replace(campaign, campaign_id=LONG)
    requests = {
        "get": lambda: backend.get_campaign(LONG),
        "put": lambda: backend.create_campaign(overlong),
        "update": lambda: backend.mark_closed(LONG, 1, START),
        "query": lambda: backend.has_reports(overlong),
        "transaction": lambda: backend.void_report(overlong, stored, Void("Ana", "test", START), False),
        "sort key": lambda: backend.get_report(campaign, "s" * 1025),
    }
    for name, request in requests.items():
        with pytest.raises(KeyOutOfBounds):
            request()
    assert sent == []
    assert backend.get_whole_campaign("ua-47-22") == campaign   # and nothing changed


def test_the_bounds_are_dynamodbs_own_in_utf8_bytes(backend, sent):
    table = backend._table
    # At the bounds: asked, and simply not there.
    assert table.get({"pk": "p" * 2048, "sk": "s" * 1024}) is None
    assert table.get({"pk": "ü" * 1024, "sk": "ü" * 512}) is None
    assert sent == ["GetItem", "GetItem"]
    for key in ({"pk": "p" * 2049, "sk": "s"}, {"pk": "ü" * 1025, "sk": "s"}, {"pk": "p", "sk": "s" * 1025},
                {"pk": "p", "sk": "ü" * 513}, {"pk": "", "sk": "s"}, {"pk": "p", "sk": ""}):
        with pytest.raises(KeyOutOfBounds):
            table.get(key)
    assert len(sent) == 2


@pytest.mark.dynamodb_local
def test_without_the_check_dynamodb_local_refuses_the_same_keys(local_table):
    # (moto does not check key sizes on reads, hence DynamoDB Local alone.)
    resource = local_table
    assert "Item" not in resource.get_item(Key={"pk": "p" * 2048, "sk": "s" * 1024})
    for key in ({"pk": "p" * 2049, "sk": "s"}, {"pk": "p", "sk": "s" * 1025}):
        with pytest.raises(ClientError) as refused:
            resource.get_item(Key=key)
        assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_a_long_id_that_fits_is_still_stored_and_found(backend, campaign):
    # The longest campaign id staff can make, 64 characters, is far inside the bounds.
    longest = replace(campaign, campaign_id="u" * 64, created_at=START, updated_at=START)
    backend.create_campaign(longest)
    assert backend.get_campaign("u" * 64).campaign_id == "u" * 64
