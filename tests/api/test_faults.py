"""DynamoDB faults: throttling, timeouts, cancelled transactions, lost answers.

Intake either records a report or answers 503 with Retry-After; the stream fold
converges to the exact totals when Lambda delivers the failed batch again, and the
scheduled job's close on its next run. Faults are injected below
botocore's retries (see tests/faults.py), with the runtime's own retry policy.
"""
import json
from datetime import timedelta

import boto3
import pytest

from chalicelib.counting import tallying
from chalicelib.counting.folding import fold_batch
from chalicelib.counting.intake import submit_report
from chalicelib.domain.totals import Tally
from chalicelib.runtime import process
from chalicelib.staff.campaign_admin import save_campaign
from chalicelib.storage import StorageUnavailable, TallyStore
from chalicelib.storage.keys import provisional_key
from tests.api.test_reports import assert_error, form_fields, html_of, post_form
from tests.conftest import TABLE, campaign_body, post_report, report_body
from tests.faults import ALWAYS, KINDS, DynamoFaults, no_backoff
from tools.stream_poller import StreamPoller

CAMPAIGN = "ua-47-22"
RETRIED = {"throttle", "provisioned", "internal", "read_timeout", "connect_timeout"}
MAX_ATTEMPTS = process.BOTO_CONFIG.retries["total_max_attempts"]


def stored_reports(table):
    return [item for item in table.scan()["Items"] if item["pk"].startswith("REPORTS#")]


# -- intake ---------------------------------------------------------------------

@pytest.fixture
def faults(client, monkeypatch):
    """Faults on the app's own DynamoDB client (built with BOTO_CONFIG)."""
    no_backoff(monkeypatch)
    with DynamoFaults(process.store().client) as injected:
        yield injected


@pytest.mark.parametrize("kind", KINDS)
def test_a_failing_report_write_is_503_with_retry_after_and_nothing_stored(client, campaign, faults, moto_table,
                                                                           kind):
    faults.fail("PutItem", kind)
    response = post_report(client, CAMPAIGN, report_body())

    assert_error(response, 503, "service_unavailable")
    assert int(response.headers["Retry-After"]) >= 1
    assert stored_reports(moto_table) == []
    # Bounded: botocore retries what is worth retrying, MAX_ATTEMPTS times in all.
    assert faults.attempts["PutItem"] == (MAX_ATTEMPTS if kind in RETRIED else 1)


@pytest.mark.parametrize("kind", ["throttle", "read_timeout", "transaction_canceled"])
def test_a_failing_campaign_read_is_503_and_nothing_stored(client, campaign, faults, moto_table, kind):
    faults.fail("GetItem", kind)
    assert_error(post_report(client, CAMPAIGN, report_body()), 503, "service_unavailable")
    assert stored_reports(moto_table) == []


def test_a_campaign_read_a_moment_ago_needs_no_read(client, campaign, faults, moto_table):
    assert post_report(client, CAMPAIGN, report_body()).status_code == 201
    read_before = faults.attempts["GetItem"]
    faults.fail("GetItem", "throttle")              # DynamoDB would refuse a read now
    assert post_report(client, CAMPAIGN, report_body()).status_code == 201
    assert faults.attempts["GetItem"] == read_before and len(stored_reports(moto_table)) == 2


def test_a_form_page_viewed_a_moment_ago_is_shown_kit_and_all_without_a_read(client, campaign, faults):
    first = client.http.get(f"/campaigns/{CAMPAIGN}/form")
    assert first.status_code == 200
    faults.fail("Query", "throttle")                # the whole campaign could not be read now
    faults.fail("GetItem", "throttle")
    again = client.http.get(f"/campaigns/{CAMPAIGN}/form")
    assert again.status_code == 200 and "Rafael Lacava" in html_of(again)
    assert not faults.injected["Query"] and not faults.injected["GetItem"]


def test_a_form_with_errors_is_shown_again_kit_and_all_from_memory(client, campaign, faults):
    assert client.http.get(f"/campaigns/{CAMPAIGN}/form").status_code == 200
    faults.fail("Query", "throttle")                # the whole campaign could not be read now
    again = post_form(client, form_fields(counts={}))
    assert again.status_code == 422 and "Rafael Lacava" in html_of(again)
    assert not faults.injected["Query"]


def test_a_per_target_report_naming_an_official_another_container_added_is_read_again(
        configured_store, settings, fake_clock):
    """This container remembers UA 47.22 with two officials; another adds a third meanwhile. A
    report naming the third in ``per_target`` is checked again on a fresh read, and recorded."""
    save_campaign(configured_store, CAMPAIGN, campaign_body(), fake_clock(), 2)
    submit_report(configured_store, settings, CAMPAIGN, report_body())   # remembered from here
    elsewhere = TallyStore(boto3.resource("dynamodb", region_name="us-east-1").Table(TABLE))
    minister = {"id": "minister", "name": "A. Minister", "role": "Minister of the Interior"}
    save_campaign(elsewhere, CAMPAIGN, campaign_body(targets=campaign_body()["targets"] + [minister]),
                  fake_clock(), 2)
    body = {key: value for key, value in report_body().items() if key not in ("actions", "targets")}
    receipt = submit_report(configured_store, settings, CAMPAIGN, {**body, "per_target": {"minister": {"letter": 1}}})
    assert receipt.created and receipt.report.per_target == {"minister": {"letter": 1}}


@pytest.mark.parametrize("kind", sorted(RETRIED))
def test_a_fault_that_clears_within_the_retries_records_the_report_once(client, campaign, faults, moto_table,
                                                                        kind):
    faults.fail("PutItem", kind, times=MAX_ATTEMPTS - 1)
    response = post_report(client, CAMPAIGN, report_body())
    assert response.status_code == 201, response.body
    assert len(stored_reports(moto_table)) == 1


def test_a_lost_answer_to_an_applied_write_is_retried_into_a_replay(client, campaign, faults, moto_table):
    """DynamoDB stored the report but its answer timed out: botocore retries, the
    create-only condition fails, and the intake returns the stored report."""
    faults.fail("PutItem", "read_timeout", times=1, applied=True)
    response = post_report(client, CAMPAIGN, report_body())

    assert response.status_code == 200, response.body
    items = stored_reports(moto_table)
    assert len(items) == 1 and json.loads(response.body)["report_id"] == items[0]["report_id"]


def test_a_503_after_an_applied_write_is_still_exactly_once(client, campaign, staff_headers, faults,
                                                            moto_table, fake_clock):
    """The write landed, every answer was lost, the client heard 503. Its retry
    with the same submission_id gets 200 and the report is counted once."""
    body = report_body()
    faults.fail("PutItem", "read_timeout", times=1, applied=True)
    faults.fail("PutItem", "read_timeout")
    assert post_report(client, CAMPAIGN, body).status_code == 503
    assert len(stored_reports(moto_table)) == 1            # 503, and yet recorded

    faults.clear()
    retry = post_report(client, CAMPAIGN, body)
    assert retry.status_code == 200
    assert json.loads(retry.body)["report_id"] == stored_reports(moto_table)[0]["report_id"]

    fake_clock.advance(minutes=2)
    from tests.conftest import run_scheduled
    run_scheduled(client)
    totals = json.loads(client.http.get(f"/campaigns/{CAMPAIGN}/totals").body)
    assert totals["reports"] == 1 and totals["actions_total"] == 3


def test_a_busy_form_post_gets_the_form_back_with_the_same_submission_id(client, campaign, faults, moto_table):
    fields = form_fields({"governor": {"letter": "3"}})
    faults.fail("PutItem", "throttle")
    response = post_form(client, fields)

    assert response.status_code == 503 and int(response.headers["Retry-After"]) >= 1
    page = html_of(response)
    assert "could not confirm" in page
    assert f'name="submission_id" value="{fields["submission_id"]}"' in page
    faults.clear()
    assert post_form(client, fields).status_code == 201
    assert post_form(client, fields).status_code == 200
    assert len(stored_reports(moto_table)) == 1


def test_a_form_post_recorded_while_totals_cannot_be_read_still_thanks(client, campaign, faults):
    faults.fail("GetItem", "throttle", skip=1)   # the campaign, then the totals
    response = post_form(client, form_fields())
    assert response.status_code == 201
    assert "your report is recorded" in html_of(response)
    assert faults.injected["GetItem"] == MAX_ATTEMPTS


# -- the scheduled job ------------------------------------------------------------

@pytest.fixture
def configured_store(moto_table, monkeypatch):
    """A store on a client built like the runtime's, with bounded retries."""
    no_backoff(monkeypatch)
    resource = boto3.resource("dynamodb", region_name="us-east-1", config=process.BOTO_CONFIG)
    return TallyStore(resource.Table(TABLE))


@pytest.fixture
def ua(configured_store, settings, fake_clock):
    # Two shards, not four: fewer calls per run to fail at, the same paths.
    campaign, _ = save_campaign(configured_store, CAMPAIGN, campaign_body(), fake_clock(), 2)
    for index in range(9):
        submit_report(configured_store, settings, CAMPAIGN,
                      report_body(actions={"letter": index % 4 + 1}, country=("MX", "ES", "FR")[index % 3]))
    return campaign


def recount(store):
    return Tally.of(store.all_reports(store.get_campaign(CAMPAIGN)))


def _calls_in_a_clean_run(store, settings, moment):
    with DynamoFaults(store.client) as counting:
        tallying.run_tally(store, settings, moment)
    return sum(counting.attempts.values())


def _snapshot(table):
    """Every item, in DynamoDB's own typed form, so it can be put back exactly."""
    return boto3.client("dynamodb", region_name="us-east-1").scan(TableName=table.name)["Items"]


def _restore(table, snapshot):
    client = boto3.client("dynamodb", region_name="us-east-1")
    for item in _snapshot(table):
        client.delete_item(TableName=table.name, Key={"pk": item["pk"], "sk": item["sk"]})
    for item in snapshot:
        client.put_item(TableName=table.name, Item=item)


def _fail_then_rerun(store, settings, moment, kind, failing_call):
    """A run whose DynamoDB fails from its n-th call on, then a clean run a minute later."""
    with DynamoFaults(store.client) as faults:
        faults.fail("*", kind, skip=failing_call, times=ALWAYS)
        with pytest.raises(StorageUnavailable):
            tallying.run_tally(store, settings, moment)
    tallying.run_tally(store, settings, moment + timedelta(minutes=1))


def _fold_failing_then_again(store, moment, kind, failing_call):
    """The stream folded from its start (a new event source mapping) by a fold whose DynamoDB
    fails from its n-th call on; then the batch delivered again, as Lambda does, cleanly."""
    poller = StreamPoller(TABLE)
    fold = lambda event, _: fold_batch(store, event, moment)  # noqa: E731 - the handler's one line
    with DynamoFaults(store.client) as faults:
        faults.fail("*", kind, skip=failing_call, times=ALWAYS)
        with pytest.raises(StorageUnavailable):
            poller.deliver(fold)
    poller.deliver(fold)


def _fold_calls(store, moment):
    store._table.resource.delete_item(Key=provisional_key(CAMPAIGN))
    with DynamoFaults(store.client) as counting:
        StreamPoller(TABLE).deliver(lambda event, _: fold_batch(store, event, moment))
    return sum(counting.attempts.values())


def test_a_fold_throttled_from_any_call_on_is_made_exact_by_the_batch_delivered_again(
        configured_store, settings, fake_clock, ua):
    moment = fake_clock.advance(seconds=10)
    calls = _fold_calls(configured_store, moment)
    assert calls >= 1
    for failing_call in range(calls):
        configured_store._table.resource.delete_item(Key=provisional_key(CAMPAIGN))   # as never folded
        _fold_failing_then_again(configured_store, moment, "throttle", failing_call)
        _assert_exact(configured_store, "fold")


@pytest.mark.parametrize("kind", ["read_timeout", "connect_timeout", "transaction_canceled", "internal"])
def test_a_fold_failing_is_made_exact_by_the_batch_delivered_again(configured_store, settings, fake_clock, ua,
                                                                   kind):
    moment = fake_clock.advance(seconds=10)
    calls = _fold_calls(configured_store, moment)
    configured_store._table.resource.delete_item(Key=provisional_key(CAMPAIGN))
    _fold_failing_then_again(configured_store, moment, kind, calls // 2)
    _assert_exact(configured_store, "fold")


def test_a_lost_answer_to_a_fold_is_delivered_again_and_changes_nothing(configured_store, settings, fake_clock, ua):
    """The fold's write landed, its answer was lost: the batch fails, and comes again."""
    moment = fake_clock.advance(seconds=10)
    poller = StreamPoller(TABLE)
    with DynamoFaults(configured_store.client) as faults:
        faults.fail("UpdateItem", "read_timeout", times=ALWAYS, applied=True)
        with pytest.raises(StorageUnavailable):
            poller.deliver(lambda event, _: fold_batch(configured_store, event, moment))
    poller.deliver(lambda event, _: fold_batch(configured_store, event, moment))
    _assert_exact(configured_store, "fold")


def test_a_close_failing_from_any_call_on_is_made_exact_by_the_next_run(configured_store, settings, fake_clock,
                                                                         ua, moto_table):
    moment = ua.closes_at + timedelta(seconds=settings.settle_seconds)
    before = _snapshot(moto_table)
    calls = _calls_in_a_clean_run(configured_store, settings, moment)
    assert calls > 3
    for failing_call in range(calls):
        _restore(moto_table, before)    # the same starting table every time
        _fail_then_rerun(configured_store, settings, moment, "throttle", failing_call)
        _assert_exact(configured_store, "close")


@pytest.mark.parametrize("kind", ["read_timeout", "connect_timeout", "transaction_canceled", "internal"])
def test_a_close_failing_midway_is_made_exact_by_the_next_run(configured_store, settings, fake_clock, ua,
                                                             moto_table, kind):
    moment = ua.closes_at + timedelta(seconds=settings.settle_seconds)
    before = _snapshot(moto_table)
    calls = _calls_in_a_clean_run(configured_store, settings, moment)
    _restore(moto_table, before)
    _fail_then_rerun(configured_store, settings, moment, kind, calls // 2)
    _assert_exact(configured_store, "close")


def test_a_lost_answer_to_the_publication_publishes_one_version(configured_store, settings, fake_clock, ua):
    with DynamoFaults(configured_store.client) as faults:
        faults.fail("PutItem", "read_timeout", times=1, applied=True)
        tallying.run_tally(configured_store, settings, ua.closes_at + timedelta(seconds=settings.settle_seconds))
        assert faults.injected["PutItem"] == 1
    _assert_exact(configured_store, "close")


def test_a_lost_answer_to_marking_closed_is_harmless(configured_store, settings, fake_clock, ua):
    with DynamoFaults(configured_store.client) as faults:
        faults.fail("UpdateItem", "read_timeout", times=1, applied=True)
        tallying.run_tally(configured_store, settings, ua.closes_at + timedelta(seconds=settings.settle_seconds))
    _assert_exact(configured_store, "close")


def _assert_exact(store, phase):
    expected = recount(store)
    assert expected.reports == 9
    campaign = store.get_campaign(CAMPAIGN)
    totals = tallying.current_totals(store, campaign)
    assert totals.tally == expected
    if phase == "close":
        assert campaign.state == "closed" and totals.final and totals.version == 1


# -- issue 14: outcomes and cases -----------------------------------------------------------

@pytest.mark.parametrize("kind", ["throttle", "read_timeout", "transaction_canceled"])
def test_a_failing_outcome_write_is_503_and_records_nothing(client, campaign, faults, staff_headers, kind):
    faults.fail("TransactWriteItems", kind)
    response = client.http.put(f"/staff/campaigns/{CAMPAIGN}/outcome", headers=staff_headers,
                               body=json.dumps({"status": "released", "on": "2026-01-10"}))
    assert_error(response, 503, "service_unavailable")
    faults.clear()
    assert process.store().get_outcome(CAMPAIGN) is None and process.store().audit_entries(CAMPAIGN) == []


@pytest.mark.parametrize("kind", ["throttle", "read_timeout"])
def test_a_failing_case_index_query_is_503(client, campaign, faults, kind):
    faults.fail("Query", kind, skip=1)   # the asked campaign is read; the index is not
    assert_error(client.http.get(f"/cases/{CAMPAIGN}"), 503, "service_unavailable")


@pytest.mark.parametrize("kind", ["throttle", "read_timeout"])   # a timeout has no answer to read reasons from
def test_a_failing_deadline_move_is_503_and_moves_nothing(client, campaign, faults, staff_headers, kind):
    faults.fail("TransactWriteItems", kind)
    response = client.http.put(f"/staff/campaigns/{CAMPAIGN}", headers=staff_headers,
                               body=json.dumps(campaign_body(deadline="2026-01-25T23:59:59-04:00")))
    assert_error(response, 503, "service_unavailable")
    faults.clear()
    store = process.store()
    assert store.get_campaign(CAMPAIGN).deadline.isoformat() == "2026-01-21T03:59:59+00:00"
    assert store.audit_entries(CAMPAIGN) == []


def test_a_failing_outcome_listing_does_not_stop_the_rest_of_the_run(client, campaign, staff_headers,
                                                                     monkeypatch, fake_clock):
    assert client.http.put(f"/staff/campaigns/{CAMPAIGN}/outcome", headers=staff_headers,
                           body=json.dumps({"status": "released", "on": "2026-01-10"})).status_code == 200
    store, settings = process.store(), process.settings()

    def busy():
        raise StorageUnavailable("throttled")

    monkeypatch.setattr(store, "outcomes_due", busy)
    fake_clock.advance(days=30)
    with pytest.raises(StorageUnavailable, match="outcomes"):
        tallying.run_tally(store, settings, fake_clock())
    assert store.get_campaign(CAMPAIGN).state == "closed"          # the close went ahead
    monkeypatch.undo()
    tallying.run_tally(store, settings, fake_clock())
    assert store.get_outcome(CAMPAIGN).announced
