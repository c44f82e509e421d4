"""The storage contract, report items: once per submission id, the arrival index, concurrency. Run on
moto and on DynamoDB Local (``backend``, tests/storage/conftest.py)."""
import threading
import uuid
from datetime import timedelta

import pytest

from chalicelib.domain.totals import Tally
from tests.conftest import START
from tests.storage.conftest import a_report


def test_record_report_once_per_submission(backend, campaign):
    report = a_report(campaign)
    stored, created = backend.record_report(campaign, report, "first-id", START)
    replayed, created_again = backend.record_report(campaign, report, "second-id", START + timedelta(seconds=5))
    assert created and not created_again
    assert replayed.report_id == stored.report_id == "first-id"
    assert replayed.received_at == START
    assert [r.report_id for r in backend.all_reports(campaign)] == ["first-id"]


def test_reports_between_splits_windows_exactly(backend, campaign):
    stamps = [START + timedelta(seconds=s) for s in (0, 0, 1, 2, 2, 3)]
    for stamp in stamps:
        backend.record_report(campaign, a_report(campaign), uuid.uuid4().hex, stamp)
    from chalicelib.domain.clock import format_timestamp as ts
    windows = [("0000", ts(START)), (ts(START), ts(START + timedelta(seconds=2))),
               (ts(START + timedelta(seconds=2)), "9999")]
    counts = [Tally.of(backend.reports_received_between(campaign, a, b)).reports for a, b in windows]
    assert counts == [0, 3, 3]
    assert sum(counts) == Tally.of(backend.all_reports(campaign)).reports


def test_index_items_carry_no_personal_data(backend, campaign):
    report = a_report(campaign, name="Ana", contact_email="ana@example.org", consent=True)
    backend.record_report(campaign, report, "r1", START)
    (from_index,) = backend.reports_received_between(campaign, "0000", "9999")
    assert from_index.name is None and from_index.contact_email is None
    (from_table,) = backend.all_reports(campaign)
    assert from_table.name == "Ana" and from_table.contact_email == "ana@example.org"


def test_has_reports(backend, campaign):
    assert backend.has_reports(campaign) is False
    backend.record_report(campaign, a_report(campaign), "r1", START)
    assert backend.has_reports(campaign) is True


def test_concurrent_submissions_with_replays_store_each_once(request, backend, campaign):
    """8 threads send 40 submissions each, half of them shared: every id stored once.

    Only on DynamoDB Local: moto's conditional writes are not atomic across threads
    (seen: two threads both told "created" for one id under load), so moto cannot judge this.
    """
    if request.node.callspec.params["backend"] == "moto":
        pytest.skip("moto's conditional writes are not atomic across threads")
    shared = [a_report(campaign) for _ in range(20)]
    created_counts = []

    def supporter(worker):
        own = [a_report(campaign) for _ in range(20)]
        created = 0
        for report in shared + own:
            _, was_created = backend.record_report(campaign, report, uuid.uuid4().hex, START)
            created += was_created
        created_counts.append(created)

    threads = [threading.Thread(target=supporter, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = list(backend.all_reports(campaign))
    assert len(stored) == 20 + 8 * 20
    assert sum(created_counts) == len(stored)
    assert len({r.submission_id for r in stored}) == len(stored)


def v2_report(campaign, per_target, **overrides):
    from chalicelib.domain.report import parse_report
    from tests.conftest import report_body
    body = {key: value for key, value in report_body(**overrides).items() if key not in ("actions", "targets")}
    return parse_report({**body, "per_target": per_target}, campaign, 50)


def test_a_per_target_group_report_reads_back_whole_from_the_table_and_the_index(backend, campaign):
    report = v2_report(campaign, {"governor": {"letter": 2}, "ambassador": {"email": 1, "fax": 0}}, participants=12)
    stored, _ = backend.record_report(campaign, report, "r1", START)
    (from_index,) = backend.reports_received_between(campaign, "0000", "9999")
    (from_table,) = backend.all_reports(campaign)
    for read in (stored, from_index, from_table):
        assert read.per_target == {"governor": {"letter": 2}, "ambassador": {"email": 1}}
        assert read.participants == 12 and read.actions == {"letter": 2, "email": 1}
        assert read.targets == ("ambassador", "governor")
    assert Tally.of([from_index]) == Tally.of([from_table])


def test_a_one_person_v1_report_stores_neither_new_attribute(backend, campaign):
    backend.record_report(campaign, a_report(campaign), "r1", START)
    (read,) = backend.all_reports(campaign)
    assert read.per_target is None and read.participants == 1
    item = backend._table.resource.scan()["Items"]
    assert not any("per_target" in entry or "participants" in entry for entry in item)


@pytest.mark.dynamodb_local
def test_an_arrival_index_made_before_per_target_still_counts_it(dynamodb_local):
    """A table whose LSI was made with the old projection (an LSI's projection cannot change):
    the scheduled job asks for per_target and participants by name, and DynamoDB reads them from
    the table. (moto answers from the index alone, so this runs on DynamoDB Local only.)"""
    import boto3

    from chalicelib.domain.campaign import parse_campaign
    from chalicelib.storage import TallyStore
    from chalicelib.storage.schema import TABLE_DEFINITION
    from tests.conftest import campaign_body

    options = {"region_name": "us-east-1", "endpoint_url": dynamodb_local.endpoint_url,
               "aws_access_key_id": "local", "aws_secret_access_key": "local"}
    old = {**TABLE_DEFINITION, "LocalSecondaryIndexes": [{
        **TABLE_DEFINITION["LocalSecondaryIndexes"][0],
        "Projection": {"ProjectionType": "INCLUDE",
                       "NonKeyAttributes": ["report_id", "actions", "targets", "country", "excluded"]}}]}
    name = f"old-{uuid.uuid4().hex[:8]}"
    boto3.client("dynamodb", **options).create_table(TableName=name, **old)
    table = boto3.resource("dynamodb", **options).Table(name)
    try:
        store = TallyStore(table)
        campaign = parse_campaign("ua-47-22", campaign_body(), START, report_shards=2)
        store.create_campaign(campaign)
        store.record_report(campaign, v2_report(campaign, {"governor": {"call": 3}}, participants=4), "r1", START)
        (read,) = store.reports_received_between(campaign, "0000", "9999")
        assert read.per_target == {"governor": {"call": 3}} and read.participants == 4
    finally:
        table.delete()
