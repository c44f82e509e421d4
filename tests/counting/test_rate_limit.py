"""Abuse limits: reports per client and campaign per minute, with a sliding window, counted in
the container (one process here), with nothing stored."""
import json
import threading
import uuid
from dataclasses import replace
from datetime import timedelta

import boto3
import pytest
from chalice.local import LambdaEventConverter

from chalicelib.counting import rate_limit
from chalicelib.domain.errors import TooManyReports
from chalicelib.runtime import process
from chalicelib.runtime.config import load_settings
from chalicelib.storage.schema import TTL_ATTRIBUTE
from tests.api.test_reports import assert_error, form_fields, html_of, post_form
from tests.conftest import START, TABLE, campaign_body, post_report, report_body

CAMPAIGN = "ua-47-22"
SCHOOL = "198.51.100.23"


@pytest.fixture
def limit(monkeypatch, settings):
    """Run the app with a small limit (the test client re-applies config.json's env on each call)."""
    def set_limit(per_minute):
        monkeypatch.setattr(process, "_SETTINGS", replace(settings, rate_limit_per_minute=per_minute))
    return set_limit


@pytest.fixture
def from_ip(monkeypatch):
    """Requests from then on come from ``ip``, as API Gateway's sourceIp."""
    def use(ip):
        monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)
    return use


def stored_reports(table):
    return [item for item in table.scan()["Items"] if item["pk"].startswith("REPORTS#")]


def send(client, **overrides):
    return post_report(client, CAMPAIGN, report_body(**overrides))


# -- the limit -------------------------------------------------------------------

def test_over_the_limit_is_429_with_retry_after_and_nothing_stored(client, campaign, limit, moto_table,
                                                                   fake_clock):
    limit(3)
    for _ in range(3):
        assert send(client).status_code == 201
    refused = report_body()
    response = post_report(client, CAMPAIGN, refused)

    error = assert_error(response, 429, "rate_limited")
    assert "nothing was recorded" in error["message"]
    assert int(response.headers["Retry-After"]) >= 1
    assert len(stored_reports(moto_table)) == 3
    assert refused["submission_id"] not in {item["sk"] for item in stored_reports(moto_table)}


def test_waiting_retry_after_is_enough(client, campaign, limit, fake_clock):
    limit(5)
    fake_clock.advance(seconds=40)   # the first window is two-thirds gone
    for _ in range(5):
        assert send(client).status_code == 201
    response = send(client)
    assert response.status_code == 429
    fake_clock.advance(seconds=int(response.headers["Retry-After"]))
    assert send(client).status_code == 201


def test_the_window_slides_across_the_minute(client, campaign, limit, fake_clock):
    """Ten reports at the end of one minute still weigh on the start of the next."""
    limit(10)
    fake_clock.advance(seconds=55)
    for _ in range(10):
        assert send(client).status_code == 201
    fake_clock.advance(seconds=10)          # 5 s into the next minute: 11/12 of them still count
    assert send(client).status_code == 429
    fake_clock.advance(seconds=30)          # 35 s in: 25/60 of them (4.2) count, so 5 fit
    assert [send(client).status_code for _ in range(6)] == [201] * 5 + [429]
    fake_clock.advance(minutes=2)           # both windows gone
    assert all(send(client).status_code == 201 for _ in range(10))


def test_the_window_slides_across_midnight(client, campaign, limit, fake_clock):
    limit(5)
    fake_clock.set(START.replace(hour=23, minute=59, second=50))
    assert all(send(client).status_code == 201 for _ in range(5))
    fake_clock.advance(seconds=15)          # 00:00:05 the next day: 55/60 of them still count
    assert send(client).status_code == 429


def test_each_client_and_each_campaign_has_its_own_limit(client, campaign, staff_headers, limit, from_ip):
    limit(2)
    client.http.put("/staff/campaigns/ua-99-22", headers=staff_headers, body=json.dumps(campaign_body()))
    from_ip(SCHOOL)
    assert [send(client).status_code for _ in range(3)] == [201, 201, 429]
    assert post_report(client, "ua-99-22", report_body()).status_code == 201
    from_ip("192.0.2.10")
    assert send(client).status_code == 201


def test_a_replay_is_never_refused(client, campaign, limit):
    limit(2)
    first = report_body()
    created = post_report(client, CAMPAIGN, first)
    assert send(client).status_code == 201
    assert send(client).status_code == 429
    again = post_report(client, CAMPAIGN, first)
    assert again.status_code == 200
    assert json.loads(again.body)["report_id"] == json.loads(created.body)["report_id"]


def test_a_replay_of_a_report_this_container_recorded_uses_no_place(client, campaign, limit):
    limit(3)
    first = report_body()
    assert post_report(client, CAMPAIGN, first).status_code == 201
    assert post_report(client, CAMPAIGN, first).status_code == 200
    assert [send(client).status_code for _ in range(3)] == [201, 201, 429]


def test_a_replay_of_a_report_recorded_elsewhere_uses_a_place(client, campaign, limit):
    """Telling it apart would cost a read on every report; replays are rare."""
    from chalicelib.storage.recent import Recent

    limit(3)
    first = report_body()
    assert post_report(client, CAMPAIGN, first).status_code == 201
    process.store()._recent["receipts"] = Recent()    # as another container, which never saw it
    assert post_report(client, CAMPAIGN, first).status_code == 200
    assert [send(client).status_code for _ in range(2)] == [201, 429]


def test_bad_reports_do_not_use_the_allowance(client, campaign, limit):
    limit(2)
    for _ in range(5):
        assert send(client, actions={"letter": 99}).status_code == 422
    assert [send(client).status_code for _ in range(3)] == [201, 201, 429]


def test_zero_turns_the_limit_off(client, campaign, limit, moto_table):
    limit(0)
    assert all(send(client).status_code == 201 for _ in range(30))
    assert not [item for item in moto_table.scan()["Items"] if item["pk"].startswith("RATE#")]


def test_the_default_is_120_per_minute():
    assert load_settings({}).rate_limit_per_minute == 120


def test_an_html_form_over_the_limit_gets_the_form_back_with_429(client, campaign, limit, moto_table):
    limit(1)
    assert post_form(client, form_fields()).status_code == 201
    fields = form_fields({"governor": {"letter": "4"}}, country="VE")
    response = post_form(client, fields)

    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    page = html_of(response)
    assert "Nothing was recorded yet" in page
    assert f'name="submission_id" value="{fields["submission_id"]}"' in page   # a resend counts once
    assert 'value="4"' in page and "<option selected>Venezuela<option>" in page   # VE, as the select shows it
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert len(stored_reports(moto_table)) == 1


# -- what is kept ------------------------------------------------------------------

def test_nothing_is_stored_for_the_limit_and_no_address_is_kept(client, campaign, from_ip, moto_table, limit):
    limit(1)
    from_ip(SCHOOL)
    assert [send(client).status_code for _ in range(2)] == [201, 429]
    items = moto_table.scan()["Items"]
    assert SCHOOL not in json.dumps(items, default=str)
    assert [item["pk"].split("#")[0] for item in items if not item["pk"].startswith(("CAMPAIGN#", "STAFF"))] == [
        "REPORTS"]
    counts = rate_limit._PROCESS
    assert SCHOOL not in repr(counts._counts) and all(SCHOOL not in key for pair in counts._counts for key in pair)


def test_the_table_deletes_expired_items_by_ttl(moto_table):
    description = boto3.client("dynamodb", region_name="us-east-1").describe_time_to_live(TableName=TABLE)
    assert description["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED",
                                                    "AttributeName": TTL_ATTRIBUTE}


def test_concurrent_requests_never_overshoot_the_window():
    counts, admitted = rate_limit.ClientCounts(), []

    def one():
        try:
            counts.admit(CAMPAIGN, SCHOOL, 10, START)
            admitted.append(True)
        except TooManyReports:
            admitted.append(False)

    threads = [threading.Thread(target=one) for _ in range(25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert admitted.count(True) == 10


def test_a_client_is_a_keyed_hash_only_this_process_can_make():
    one, other = rate_limit.ClientCounts(), rate_limit.ClientCounts()
    key = one.client(SCHOOL)
    assert key == one.client(SCHOOL) and key != other.client(SCHOOL) and key != one.client("198.51.100.24")
    assert SCHOOL not in key and len(key) == 32


def test_old_windows_are_forgotten_when_many_clients_come(monkeypatch):
    monkeypatch.setattr(rate_limit, "_MAX_CLIENTS", 5)
    counts = rate_limit.ClientCounts()
    for index in range(5):
        counts.admit(CAMPAIGN, f"10.0.0.{index}", 10, START)
    later = START + timedelta(minutes=3)
    for index in range(3):
        counts.admit(CAMPAIGN, f"10.0.1.{index}", 10, later)
    counts.admit(CAMPAIGN, "10.0.2.1", 10, later)   # over the bound: the old minute's clients go
    assert len(counts._counts) == 4
    for index in range(5):                           # a burst of new addresses in one minute: the oldest go
        counts.admit(CAMPAIGN, f"10.0.3.{index}", 10, later)
    assert len(counts._counts) == 5


@pytest.mark.parametrize("this_minute, last_minute, elapsed, expected", [
    # Full this minute: 30 s to the next, then 6 s until its 10 weigh at most 9.
    (10, 0, 0.5, 36),
    # Room for 3 more here once last minute's 10 weigh at most 3: at 42 s, 12 s from now.
    (6, 10, 0.5, 12),
    # Already room: the shortest honest answer is one second.
    (0, 10, 0.25, 1),
])
def test_retry_after(this_minute, last_minute, elapsed, expected):
    assert rate_limit.retry_after(10, this_minute, last_minute, elapsed) == expected


def test_the_limit_is_per_minute_from_the_environment():
    assert load_settings({"RATE_LIMIT_PER_MINUTE": "0"}).rate_limit_per_minute == 0
    assert load_settings({"RATE_LIMIT_PER_MINUTE": "7"}).rate_limit_per_minute == 7
    with pytest.raises(ValueError):
        load_settings({"RATE_LIMIT_PER_MINUTE": "-1"})
    stages = json.load(open(".chalice/config.json"))
    assert stages["environment_variables"]["RATE_LIMIT_PER_MINUTE"] == "120"


def test_no_limit_without_a_client_address(store, settings, fake_clock):
    from chalicelib.counting.intake import submit_report
    from chalicelib.staff.campaign_admin import save_campaign

    save_campaign(store, CAMPAIGN, campaign_body(), fake_clock(), 1)
    tight = replace(settings, rate_limit_per_minute=1)
    for _ in range(3):
        submit_report(store, tight, CAMPAIGN, report_body(submission_id=str(uuid.uuid4())))
