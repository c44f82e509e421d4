"""The storage contract, report items: once per submission id, the arrival index, concurrency. Run on
moto and on DynamoDB Local (``backend``, tests/storage/conftest.py)."""
import threading
import uuid
from datetime import timedelta

import pytest
from boto3.dynamodb.types import TypeSerializer

from chalicelib.domain.totals import Tally
from chalicelib.storage import count_change
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


def test_a_report_item_holds_its_arrival_and_no_index_key(backend, campaign):
    report = a_report(campaign, name="Ana", contact_email="ana@example.org", consent=True)
    backend.record_report(campaign, report, "r1", START)
    (item,) = [i for i in backend._table.resource.scan()["Items"] if i["pk"].startswith("REPORTS#")]
    assert item["received"] == "2026-01-10T12:00:00.000000Z" and item["sk"] == report.submission_id
    assert not {"received_at", "contact_email_hash"} & set(item)   # no index takes new reports
    (stored,) = backend.all_reports(campaign)
    assert stored.name == "Ana" and stored.contact_email == "ana@example.org" and stored.received_at == START


def test_a_report_stored_before_the_stream_fold_reads_the_same(backend, campaign):
    """Items written by the previous version: ``received_at`` = ``<timestamp>#<submission id>``."""
    report = a_report(campaign)
    backend.record_report(campaign, report, "r1", START)
    (item,) = [i for i in backend._table.resource.scan()["Items"] if i["pk"].startswith("REPORTS#")]
    old = {**{k: v for k, v in item.items() if k != "received"},
           "received_at": f"2026-01-10T12:00:00.000000Z#{report.submission_id}"}
    backend._table.resource.put_item(Item=old)
    (stored,) = backend.all_reports(campaign)
    assert stored.received_at == START and stored.submission_id == report.submission_id


def test_a_replay_this_process_recorded_is_remembered_without_personal_data(backend, campaign):
    report = a_report(campaign, name="Ana", contact_email="ana@example.org", consent=True)
    stored, _ = backend.record_report(campaign, report, "r1", START)
    remembered = backend.recorded_here(campaign, report.submission_id, START + timedelta(minutes=59))
    assert remembered.report_id == stored.report_id and remembered.name is None and remembered.contact_email is None
    assert backend.recorded_here(campaign, report.submission_id, START + timedelta(minutes=61)) is None
    assert backend.recorded_here(campaign, str(uuid.uuid4()), START) is None


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


def test_a_per_target_group_report_reads_back_whole_from_the_table_and_its_stream_image(backend, campaign):
    report = v2_report(campaign, {"governor": {"letter": 2}, "ambassador": {"email": 1, "fax": 0}}, participants=12)
    stored, _ = backend.record_report(campaign, report, "r1", START)
    (from_table,) = backend.all_reports(campaign)
    (item,) = [i for i in backend._table.resource.scan()["Items"] if i["pk"].startswith("REPORTS#")]
    image = {name: TypeSerializer().serialize(value) for name, value in item.items()}
    record = {"dynamodb": {"Keys": {"pk": image["pk"], "sk": image["sk"]}, "NewImage": image, "SequenceNumber": "7"}}
    from_stream = count_change(record).report   # what the fold counts: the counted fields only
    for read in (stored, from_table, from_stream):
        assert read.per_target == {"governor": {"letter": 2}, "ambassador": {"email": 1}}
        assert read.participants == 12 and read.actions == {"letter": 2, "email": 1}
        assert read.targets == ("ambassador", "governor")
    assert Tally.of([from_stream]) == Tally.of([from_table])


def test_a_one_person_v1_report_stores_neither_new_attribute(backend, campaign):
    backend.record_report(campaign, a_report(campaign), "r1", START)
    (read,) = backend.all_reports(campaign)
    assert read.per_target is None and read.participants == 1
    item = backend._table.resource.scan()["Items"]
    assert not any("per_target" in entry or "participants" in entry for entry in item)
