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
from chalicelib.storage.schema import REPORTS_BY_EMAIL, REPORTS_BY_RECEIVED, TABLE_DEFINITION, create_table
from tests.api.test_reports import assert_error, form_fields, post_form
from tests.conftest import post_report, report_body, run_scheduled
from tests.faults import DynamoFaults, no_backoff

CAMPAIGN = "ua-47-22"
ANA = {"name": "Ana Pérez", "contact_email": "ana.perez@example.org", "consent": True}
BEA = {"name": "Bea Ortiz", "contact_email": "bea@example.net", "consent": True}
DEADLINE_CLOSE = timedelta(seconds=31)   # past the deadline second and the settle time


def reports(table):
    return [item for item in table.scan()["Items"] if item["pk"].startswith("REPORTS#")]


def everything(table):
    return json.dumps(table.scan()["Items"], default=str, ensure_ascii=False)


def erase(client, staff_headers, email):
    return client.http.post("/staff/erasures", headers=staff_headers, body=json.dumps({"contact_email": email}))


def close_campaign(client, fake_clock, deadline):
    fake_clock.set(deadline + DEADLINE_CLOSE)
    run_scheduled(client)


@pytest.fixture
def deadline(campaign, store):
    return store.get_campaign(CAMPAIGN).deadline


# -- what is kept ----------------------------------------------------------------

def test_only_a_consented_email_is_indexed_by_its_hash(client, campaign, moto_table):
    post_report(client, CAMPAIGN, report_body(**ANA))
    post_report(client, CAMPAIGN, report_body())
    with_email, without = sorted(reports(moto_table), key=lambda item: "contact_email" not in item)
    assert with_email["contact_email_hash"] == contact_email_key(ANA["contact_email"])
    assert "contact_email_hash" not in without and "name" not in without


def test_the_email_key_ignores_case_and_spaces():
    assert contact_email_key(" Ana.Perez@Example.ORG ") == contact_email_key("ana.perez@example.org")
    assert contact_email_key("ana.perez@example.org") != contact_email_key("ana.perez@example.com")


def test_indexes_project_no_personal_data():
    indexes = TABLE_DEFINITION["LocalSecondaryIndexes"] + TABLE_DEFINITION["GlobalSecondaryIndexes"]
    by_name = {index["IndexName"]: index for index in indexes}
    assert by_name[REPORTS_BY_EMAIL]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    projected = by_name[REPORTS_BY_RECEIVED]["Projection"]["NonKeyAttributes"]
    assert not {"name", "contact_email", "contact_email_hash"} & set(projected)


def test_an_older_table_gains_the_email_index(moto_table):
    client = boto3.client("dynamodb", region_name="us-east-1")
    old = {**TABLE_DEFINITION, "GlobalSecondaryIndexes": [
        index for index in TABLE_DEFINITION["GlobalSecondaryIndexes"] if index["IndexName"] != REPORTS_BY_EMAIL]}
    old["AttributeDefinitions"] = [a for a in old["AttributeDefinitions"]
                                   if a["AttributeName"] != "contact_email_hash"]
    client.create_table(TableName="older", **old)
    create_table(client, "older")
    indexes = client.describe_table(TableName="older")["Table"]["GlobalSecondaryIndexes"]
    names = {index["IndexName"] for index in indexes}
    assert REPORTS_BY_EMAIL in names


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

    response = erase(client, staff_headers, "Ana.Perez@example.org")

    assert response.status_code == 201, response.body
    receipt = json.loads(response.body)
    assert receipt["reports_erased"] == 3 and len(receipt["request_id"]) == 32
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
                                                                         moto_table):
    body = report_body(**ANA)
    post_report(client, CAMPAIGN, body)
    assert json.loads(erase(client, staff_headers, ANA["contact_email"]).body)["reports_erased"] == 1
    assert post_report(client, CAMPAIGN, body).status_code == 200
    assert ANA["contact_email"] not in everything(moto_table)
    assert json.loads(erase(client, staff_headers, ANA["contact_email"]).body)["reports_erased"] == 0


def test_an_audit_record_holds_no_personal_data(client, campaign, staff_headers, moto_table):
    post_report(client, CAMPAIGN, report_body(**ANA))
    erase(client, staff_headers, ANA["contact_email"])
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
    assert not [item for item in moto_table.scan()["Items"] if item["pk"] == "ERASURES"]


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
    record = erasure.erase_supporter(store, "ana.perez@example.org", "cli: someone", fake_clock())
    assert record.reports_erased == 1 and record.requested_by == "cli: someone"
    assert store.erasure_records() == [record]


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
    monkeypatch.setattr(process, "_SETTINGS", replace(settings,
                                                      rate_limit_per_minute=3,
                                                      rate_limit_secret="s"))  # noqa: S106 - a test key
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
        faults.fail("Query", "throttle", skip=1)   # the open campaigns are read, then counting fails
        with pytest.raises(StorageUnavailable):    # the run fails, and logs it
            run_scheduled(client)
    fake_clock.advance(minutes=1)
    run_scheduled(client)
    assert erase(client, staff_headers, ANA["contact_email"]).status_code == 201
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

