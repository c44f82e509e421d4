"""Personal data: kept only with consent, erased on request and after retention,
never in logs, never a raw IP."""
import json
import logging
from dataclasses import replace
from datetime import timedelta

import boto3
import pytest
from chalice.local import LambdaEventConverter

from chalicelib.counting import tallying
from chalicelib.domain.report import contact_email_key
from chalicelib.privacy import erasure
from chalicelib.runtime import process
from chalicelib.runtime.config import load_settings
from chalicelib.storage import StorageUnavailable
from chalicelib.storage.schema import (
    ARRIVAL_INDEX,
    TABLE_DEFINITION,
    STREAM_VIEW,
    create_table,
    with_arrival_index,
)
from tests.api.test_reports import assert_error, form_fields, post_form
from tests.conftest import form_token, post_report, report_body, run_scheduled
from tests.faults import DynamoFaults, no_backoff

CAMPAIGN = "ua-47-22"
ANA = {"name": "Ana Pérez", "contact_email": "ana.perez@example.org", "consent": True}
BEA = {"name": "Bea Ortiz", "contact_email": "bea@example.net", "consent": True}
DEADLINE_CLOSE = timedelta(seconds=31)   # past the deadline second and the settle time


def reports(table):
    return [item for item in table.scan()["Items"] if item["pk"].startswith("REPORTS#")]


def everything(table):
    return json.dumps(table.scan()["Items"], default=str, ensure_ascii=False)


def ask_erasure(client, staff_headers, email):
    return client.http.post("/staff/erasures", headers=staff_headers, body=json.dumps({"contact_email": email}))


def erase(client, staff_headers, email, fake_clock):
    """Ask, let the scheduled job work on it once the settle time has passed, and answer its status."""
    asked = ask_erasure(client, staff_headers, email)
    assert asked.status_code == 202, asked.body
    assert asked.headers["Location"] == f"/staff/erasures/{json.loads(asked.body)['request_id']}"
    fake_clock.advance(seconds=31)
    run_scheduled(client)
    return client.http.get(asked.headers["Location"], headers=staff_headers)


def close_campaign(client, fake_clock, deadline):
    fake_clock.set(deadline + DEADLINE_CLOSE)
    run_scheduled(client)


@pytest.fixture
def deadline(campaign, store):
    return store.get_campaign(CAMPAIGN).deadline


# -- what is kept ----------------------------------------------------------------

def test_a_consented_email_is_kept_as_given_and_no_hash_of_it(client, campaign, moto_table):
    post_report(client, CAMPAIGN, report_body(**ANA))
    post_report(client, CAMPAIGN, report_body())
    with_email, without = sorted(reports(moto_table), key=lambda item: "contact_email" not in item)
    assert with_email["contact_email"] == ANA["contact_email"] and "contact_email_hash" not in with_email
    assert contact_email_key(ANA["contact_email"]) not in everything(moto_table)
    assert "contact_email" not in without and "name" not in without


def test_the_email_key_ignores_case_and_spaces():
    assert contact_email_key(" Ana.Perez@Example.ORG ") == contact_email_key("ana.perez@example.org")
    assert contact_email_key("ana.perez@example.org") != contact_email_key("ana.perez@example.com")


def test_no_index_holds_reports_and_the_stream_keeps_both_images():
    assert "LocalSecondaryIndexes" not in TABLE_DEFINITION
    by_state, by_case = TABLE_DEFINITION["GlobalSecondaryIndexes"]
    assert by_state["IndexName"] == "campaigns_by_state" and {k["AttributeName"] for k in by_state["KeySchema"]} == {
        "campaign_state", "deadline"}   # only campaigns (and their outcomes) carry these
    assert by_case["IndexName"] == "campaigns_by_case" and {k["AttributeName"] for k in by_case["KeySchema"]} == {
        "case_id", "created_at"}        # only follow-up campaigns carry both
    assert STREAM_VIEW == "NEW_AND_OLD_IMAGES"


def test_a_table_made_before_keeps_its_indexes_and_gains_the_stream(moto_table):
    """The arrival LSI cannot be dropped; new reports carry none of its key, so it takes none of them."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    old = with_arrival_index(TABLE_DEFINITION)
    # as made before issue 14: without the case index, which create_table adds
    kept = [index for index in old["GlobalSecondaryIndexes"] if index["IndexName"] != "campaigns_by_case"]
    old["GlobalSecondaryIndexes"] = [*kept, {
        "IndexName": "reports_by_email", "KeySchema": [{"AttributeName": "contact_email_hash", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"}}]
    old["AttributeDefinitions"] = [*[a for a in old["AttributeDefinitions"]
                                     if a["AttributeName"] not in ("case_id", "created_at")],
                                   {"AttributeName": "contact_email_hash", "AttributeType": "S"}]
    client.create_table(TableName="older", **old)
    create_table(client, "older")
    create_table(client, "older")   # and again: nothing more to do
    table = client.describe_table(TableName="older")["Table"]
    assert [index["IndexName"] for index in table["LocalSecondaryIndexes"]] == [ARRIVAL_INDEX]
    assert {index["IndexName"] for index in table["GlobalSecondaryIndexes"]} == {
        "campaigns_by_state", "campaigns_by_case", "reports_by_email"}
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": STREAM_VIEW}


# -- erasure on request ------------------------------------------------------------

def test_staff_erase_one_supporter_everywhere_and_counts_stay(client, campaign, staff_headers, moto_table,
                                                             fake_clock, store):
    second = "ua-48-22"
    from tests.conftest import campaign_body
    client.http.put(f"/staff/campaigns/{second}", headers=staff_headers, body=json.dumps(campaign_body()))
    post_report(client, CAMPAIGN, report_body(**ANA))
    post_report(client, CAMPAIGN, report_body(**{**ANA, "contact_email": "  ANA.Perez@example.org"}))
    post_report(client, second, report_body(**ANA))
    post_report(client, CAMPAIGN, report_body(**BEA))
    post_report(client, CAMPAIGN, report_body(name="Ana Pérez", consent=True))   # a name alone stays
    fake_clock.advance(minutes=2)
    run_scheduled(client)
    before = json.loads(client.http.get(f"/campaigns/{CAMPAIGN}/totals").body)

    asked = ask_erasure(client, staff_headers, "Ana.Perez@example.org")
    assert asked.status_code == 202 and json.loads(asked.body)["status"] == "pending"
    assert json.loads(asked.body)["reports_erased"] == 0 and "ana" not in asked.body.decode().lower()
    run_scheduled(client)   # within the settle time: a report accepted just before may still be landing
    assert json.loads(client.http.get(asked.headers["Location"], headers=staff_headers).body)["status"] == "pending"
    fake_clock.advance(seconds=31)
    run_scheduled(client)
    response = client.http.get(asked.headers["Location"], headers=staff_headers)

    assert response.status_code == 200, response.body
    receipt = json.loads(response.body)
    assert receipt["status"] == "done" and receipt["reports_erased"] == 3 and len(receipt["request_id"]) == 32
    assert receipt["finished_at"] == "2026-01-10T12:02:31Z"
    stored = everything(moto_table)
    assert "ana.perez@example.org" not in stored.lower()
    assert contact_email_key(ANA["contact_email"]) not in stored
    assert "bea@example.net" in stored and "Bea Ortiz" in stored       # others untouched
    assert stored.count("Ana Pérez") == 1                              # the report without an email
    erased = [item for item in reports(moto_table) if "personal_data_erased_at" in item]
    assert len(erased) == 3 and all("name" not in item for item in erased)

    fake_clock.advance(minutes=2)
    run_scheduled(client)
    after = json.loads(client.http.get(f"/campaigns/{CAMPAIGN}/totals").body)
    assert {k: after[k] for k in ("reports", "actions", "by_target")} == \
        {k: before[k] for k in ("reports", "actions", "by_target")}

    [audit] = store.erasure_records()
    assert (audit.request_id, audit.kind, audit.reports_erased, audit.requested_by) == \
        (receipt["request_id"], "supporter", 3, "tests")


def test_erasing_again_finds_nothing_and_a_replay_does_not_bring_it_back(client, campaign, staff_headers,
                                                                         moto_table, fake_clock):
    body = report_body(**ANA)
    post_report(client, CAMPAIGN, body)
    assert json.loads(erase(client, staff_headers, ANA["contact_email"], fake_clock).body)["reports_erased"] == 1
    assert post_report(client, CAMPAIGN, body).status_code == 200
    assert ANA["contact_email"] not in everything(moto_table)
    assert json.loads(erase(client, staff_headers, ANA["contact_email"], fake_clock).body)["reports_erased"] == 0


def test_an_audit_record_holds_no_personal_data(client, campaign, staff_headers, moto_table, fake_clock):
    post_report(client, CAMPAIGN, report_body(**ANA))
    asked = ask_erasure(client, staff_headers, ANA["contact_email"])
    pending = [item for item in moto_table.scan()["Items"] if item["pk"] == "ERASURE_REQUESTS"]
    assert pending[0]["email_key"] == contact_email_key(ANA["contact_email"])    # only while pending
    fake_clock.advance(seconds=31)
    run_scheduled(client)
    assert json.loads(client.http.get(asked.headers["Location"], headers=staff_headers).body)["status"] == "done"
    kept = [item for item in moto_table.scan()["Items"] if item["pk"] in ("ERASURES", "ERASURE_REQUESTS")]
    assert contact_email_key(ANA["contact_email"]) not in json.dumps(kept, default=str)
    audit = [item for item in moto_table.scan()["Items"] if item["pk"] == "ERASURES"]
    assert len(audit) == 1
    text = json.dumps(audit, default=str)
    assert ANA["contact_email"] not in text and contact_email_key(ANA["contact_email"]) not in text
    assert set(audit[0]) == {"pk", "sk", "request_id", "kind", "reports_erased", "requested_by", "erased_at"}


@pytest.mark.parametrize("body, field", [
    ({}, "contact_email"),
    ({"contact_email": "not an address"}, "contact_email"),
    ({"contact_email": 42}, "contact_email"),
    ({"contact_email": "a@example.org", "name": "Ana"}, "name"),
    ([], "body"),
])
def test_a_bad_erasure_request_is_422_and_erases_nothing(client, campaign, staff_headers, moto_table, body, field):
    post_report(client, CAMPAIGN, report_body(**ANA))
    response = client.http.post("/staff/erasures", headers=staff_headers, body=json.dumps(body))
    assert_error(response, 422, "validation_failed", field)
    assert ANA["contact_email"] in everything(moto_table)
    assert not [item for item in moto_table.scan()["Items"] if item["pk"].startswith("ERASURE")]


def test_erasure_is_for_staff_only(client, campaign, moto_table):
    post_report(client, CAMPAIGN, report_body(**ANA))
    response = client.http.post("/staff/erasures", headers={"Content-Type": "application/json"},
                                body=json.dumps({"contact_email": ANA["contact_email"]}))
    assert_error(response, 401, "unauthorized")
    assert ANA["contact_email"] in everything(moto_table)


def test_erase_supporter_is_callable_without_http(store, settings, fake_clock):
    """What the staff CLI calls."""
    from chalicelib.counting.intake import submit_report
    from chalicelib.staff.campaign_admin import save_campaign
    from tests.conftest import campaign_body

    save_campaign(store, CAMPAIGN, campaign_body(), fake_clock(), 2)
    submit_report(store, settings, CAMPAIGN, report_body(**ANA))
    done = erasure.erase_supporter_now(store, "ana.perez@example.org", "cli: someone", fake_clock())
    assert (done.status, done.reports_erased, done.requested_by) == ("done", 1, "cli: someone")
    (record,) = store.erasure_records()
    assert (record.request_id, record.kind, record.reports_erased) == (done.request_id, "supporter", 1)


def test_a_long_search_goes_on_from_where_the_last_run_stopped(store, settings, fake_clock):
    """The scheduled job gives erasures a time budget: a request outliving it is resumed, and
    every report is still erased and counted once."""
    from chalicelib.counting.intake import submit_report
    from chalicelib.staff.campaign_admin import save_campaign
    from tests.conftest import campaign_body

    for campaign_id in ("ua-47-22", "ua-48-22", "ua-49-22"):
        save_campaign(store, campaign_id, campaign_body(), fake_clock(), 3)
        for _ in range(2):
            submit_report(store, settings, campaign_id, report_body(**ANA, form_token=form_token(campaign_id)))
        submit_report(store, settings, campaign_id, report_body(**BEA, form_token=form_token(campaign_id)))
    request = erasure.request_erasure(store, ANA["contact_email"], "staff", fake_clock())
    fake_clock.advance(seconds=31)
    ticks = iter(range(10**6))
    runs = 0
    while store.get_erasure_request(request.request_id).status == "pending":
        budget = 2.5   # about two pages of one shard partition a run
        erasure.work_on_erasures(store, settings, fake_clock(), budget, timer=lambda: next(ticks))
        runs += 1
    done = store.get_erasure_request(request.request_id)
    assert runs > 3 and done.reports_erased == 6 and done.email_key is None
    assert ANA["contact_email"] not in json.dumps([r.contact_email for c in store.campaigns("open")
                                                  for r in store.stored_reports(c)])
    assert len(store.erasure_records()) == 1


def test_two_runs_at_once_on_one_request_leave_it_to_one(store, settings, fake_clock, monkeypatch):
    from chalicelib.counting.intake import submit_report
    from chalicelib.staff.campaign_admin import save_campaign
    from tests.conftest import campaign_body

    save_campaign(store, CAMPAIGN, campaign_body(), fake_clock(), 2)
    submit_report(store, settings, CAMPAIGN, report_body(**ANA))
    request = erasure.request_erasure(store, ANA["contact_email"], "staff", fake_clock())
    real, raced = store.erase_supporter_page, []

    def another_run_first(*args, **kwargs):
        if not raced:
            raced.append(None)
            raced[0] = erasure.work_on(store, store.get_erasure_request(request.request_id), fake_clock(),
                                       lambda: False)
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "erase_supporter_page", another_run_first)
    mine = erasure.work_on(store, request, fake_clock(), lambda: False)
    assert raced[0].status == "done" and mine.status == "done" and mine.reports_erased == 1
    assert len(store.erasure_records()) == 1


def test_an_unknown_erasure_request_is_404(client, campaign, staff_headers):
    for request_id in ("0" * 32, "not-an-id", "x" * 65):
        response = client.http.get(f"/staff/erasures/{request_id}", headers=staff_headers)
        assert_error(response, 404, "erasure_request_not_found", "request_id")


# -- erasure after the retention period ----------------------------------------------

def test_personal_data_is_erased_90_days_after_close_and_totals_stay(client, campaign, deadline, store,
                                                                     moto_table, fake_clock):
    for body in (ANA, BEA, {}):
        post_report(client, CAMPAIGN, report_body(**body))
    close_campaign(client, fake_clock, deadline)
    closed = store.get_campaign(CAMPAIGN)
    final = json.loads(client.http.get(f"/campaigns/{CAMPAIGN}/totals").body)
    assert closed.state == "closed" and final["final"]

    fake_clock.set(closed.closed_at + timedelta(days=90) - timedelta(seconds=1))
    assert run_scheduled(client).payload["erased"] == []
    assert ANA["contact_email"] in everything(moto_table)

    fake_clock.set(closed.closed_at + timedelta(days=90))
    assert run_scheduled(client).payload["erased"] == [CAMPAIGN]
    stored = everything(moto_table)
    for person in (ANA, BEA):
        assert person["contact_email"] not in stored and person["name"] not in stored
    assert json.loads(client.http.get(f"/campaigns/{CAMPAIGN}/totals").body) == final
    [audit] = store.erasure_records()
    assert (audit.kind, audit.reports_erased, audit.requested_by, audit.campaign_id) == \
        ("retention", 2, "scheduler", CAMPAIGN)

    fake_clock.advance(minutes=1)
    assert run_scheduled(client).payload["erased"] == []     # once only
    assert len(store.erasure_records()) == 1


def test_the_retention_period_is_configurable(store, settings, fake_clock):
    from chalicelib.counting.intake import submit_report
    from chalicelib.staff.campaign_admin import save_campaign
    from tests.conftest import campaign_body

    campaign, _ = save_campaign(store, CAMPAIGN, campaign_body(), fake_clock(), 2)
    submit_report(store, settings, CAMPAIGN, report_body(**ANA))
    week = replace(settings, personal_data_retention_days=7)
    fake_clock.set(campaign.deadline + DEADLINE_CLOSE)
    tallying.run_tally(store, week, fake_clock())
    closed_at = store.get_campaign(CAMPAIGN).closed_at
    assert tallying.run_tally(store, week, closed_at + timedelta(days=6)).erased == []
    assert tallying.run_tally(store, week, closed_at + timedelta(days=7)).erased == [CAMPAIGN]
    assert load_settings({"PERSONAL_DATA_RETENTION_DAYS": "30"}).personal_data_retention_days == 30
    assert load_settings({}).personal_data_retention_days == 90


def test_an_open_campaign_is_never_erased(store, settings, fake_clock):
    from chalicelib.counting.intake import submit_report
    from chalicelib.staff.campaign_admin import save_campaign
    from tests.conftest import campaign_body

    save_campaign(store, CAMPAIGN, campaign_body(), fake_clock(), 2)
    submit_report(store, settings, CAMPAIGN, report_body(**ANA))
    now_setting = replace(settings, personal_data_retention_days=0)
    assert tallying.run_tally(store, now_setting, fake_clock()).erased == []
    assert store.get_report(store.get_campaign(CAMPAIGN), store_submission(store)).contact_email


def store_submission(store):
    campaign = store.get_campaign(CAMPAIGN)
    return next(iter(store.all_reports(campaign))).submission_id


# -- logs -----------------------------------------------------------------------------

def test_a_full_run_logs_no_name_email_or_ip(client, campaign, deadline, staff_headers, fake_clock, caplog,
                                             monkeypatch, store, settings):
    """Every log record of: form posts with name, email and IP; a replay; a
    throttled report; tallies; the close; erasure on request and by retention."""
    ip = "203.0.113.198"
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)
    monkeypatch.setattr(process, "_SETTINGS", replace(settings, rate_limit_per_minute=2))
    caplog.set_level(logging.DEBUG)
    no_backoff(monkeypatch)

    fields = form_fields(name=ANA["name"], contact_email=ANA["contact_email"], consent="yes")
    assert post_form(client, fields).status_code == 201
    assert post_form(client, fields).status_code == 200
    assert post_report(client, CAMPAIGN, report_body(**BEA)).status_code == 201
    assert post_report(client, CAMPAIGN, report_body(**BEA)).status_code == 429
    with DynamoFaults(process.store().client) as faults:
        faults.fail("PutItem", "read_timeout")
        fake_clock.advance(minutes=5)
        carla = {"name": "Carla Díaz", "contact_email": "carla@example.com"}
        assert post_form(client, form_fields(**carla, consent="yes")).status_code == 503
        assert post_report(client, CAMPAIGN, report_body(**carla, consent=True)).status_code == 503
        faults.clear()
        faults.fail("GetItem", "throttle")         # the open campaigns are read, then their totals fail
        with pytest.raises(StorageUnavailable):    # the run fails, and logs it
            run_scheduled(client)
    fake_clock.advance(minutes=1)
    run_scheduled(client)
    assert erase(client, staff_headers, ANA["contact_email"], fake_clock).status_code == 200
    close_campaign(client, fake_clock, deadline)
    fake_clock.set(store.get_campaign(CAMPAIGN).closed_at + timedelta(days=91))
    assert run_scheduled(client).payload["erased"] == [CAMPAIGN]

    # moto is the test's stand-in for DynamoDB and never runs in the Lambda.
    records = [record for record in caplog.records if not record.name.startswith("moto")]
    assert {"chalicelib.web.responses", "chalicelib.counting.tallying",
            "chalicelib.privacy.erasure"} <= {r.name for r in records}
    logged = "\n".join(_everything_in(record) for record in records)
    for secret in (ip, ANA["name"], ANA["contact_email"], BEA["name"], BEA["contact_email"], "Carla Díaz",
                   "carla@example.com", contact_email_key(ANA["contact_email"])):
        assert secret not in logged, secret


def _everything_in(record):
    text = [record.getMessage()]
    if record.exc_info:
        text.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(text)


def test_library_debug_logs_are_held_back(caplog):
    """botocore logs request bodies (names, addresses) at DEBUG."""
    botocore_log = logging.getLogger("botocore")
    previous = botocore_log.level
    caplog.set_level(logging.DEBUG)          # the root logger, restored afterwards
    botocore_log.setLevel(logging.NOTSET)
    try:
        process.keep_personal_data_out_of_library_logs()
        assert botocore_log.getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("urllib3").getEffectiveLevel() == logging.WARNING
    finally:
        botocore_log.setLevel(previous)

