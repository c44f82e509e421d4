"""What the functions write to CloudWatch: JSON log lines and EMF metric lines."""
import json
from datetime import timedelta

import pytest

from chalicelib.runtime import observability
from chalicelib.storage import StorageUnavailable, TallyStore
from tests.streams import deliver_to_function
from tests.conftest import post_report, report_body, run_scheduled

PERSONAL = {"name": "Ana Pérez", "contact_email": "ana.perez@example.org", "consent": True}
CLIENT_ADDRESS = "203.0.113.7"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def output(capsys):
    """Every line the test's code printed, parsed: each must be one JSON object."""
    def lines():
        text = capsys.readouterr().out
        return text, [json.loads(line) for line in text.splitlines() if line.strip()]

    return lines


def logs(lines):
    return [line for line in lines if "_aws" not in line]


def metrics(lines):
    """{(metric name, reason or None): total} over every EMF blob, each checked for shape."""
    totals = {}
    for blob in (line for line in lines if "_aws" in line):
        assert_valid_emf(blob)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                values = blob[metric["Name"]]
                key = (metric["Name"], blob.get("reason"))
                totals[key] = totals.get(key, 0) + sum(values if isinstance(values, list) else [values])
    return totals


def assert_valid_emf(blob):
    """The Embedded Metric Format's rules (CloudWatch drops a blob that breaks them)."""
    meta = blob["_aws"]
    assert isinstance(meta["Timestamp"], int) and meta["Timestamp"] > 1_600_000_000_000
    assert meta["CloudWatchMetrics"], blob
    for directive in meta["CloudWatchMetrics"]:
        assert directive["Namespace"] == "ActionTally"
        for dimension_set in directive["Dimensions"]:
            assert 1 <= len(dimension_set) <= 30
            assert all(isinstance(blob[name], str) and blob[name] for name in dimension_set), blob
        assert {"service", "stage"} <= set(directive["Dimensions"][0])
        for metric in directive["Metrics"]:
            assert metric["Unit"] == "Count"
            values = blob[metric["Name"]]
            assert all(isinstance(v, (int, float)) for v in (values if isinstance(values, list) else [values]))


def test_a_request_logs_one_json_line_with_its_ids_and_no_personal_data(client, campaign, output):
    body = report_body(**PERSONAL)
    response = post_report(client, campaign, body, headers={
        "Content-Type": "application/json", "X-Forwarded-For": CLIENT_ADDRESS, "User-Agent": "Firefox/140"})
    assert response.status_code == 201
    text, lines = output()

    (line,) = [entry for entry in logs(lines) if entry["message"] == "request"]
    assert line["request_id"] and line["campaign_id"] == campaign and line["level"] == "INFO"
    assert line["route"] == "/campaigns/{campaign_id}/reports" and line["status"] == 201
    assert isinstance(line["duration_ms"], int)
    for secret in (PERSONAL["name"], PERSONAL["contact_email"], CLIENT_ADDRESS, "127.0.0.1", "Firefox"):
        assert secret not in text


def test_a_path_that_names_no_campaign_is_not_copied_into_the_log(client, campaign, output):
    hostile = ["a" * 3000, "ana.perez@example.org", "UA-47-22"]
    for campaign_id in hostile:
        assert client.http.get(f"/campaigns/{campaign_id}").status_code == 404
    client.http.get(f"/campaigns/{campaign}")
    text, lines = output()

    requests = [entry for entry in logs(lines) if entry["message"] == "request"]
    assert [entry.get("campaign_id") for entry in requests] == [None, None, None, campaign]
    assert all(entry["status"] == 404 and entry["route"] == "/campaigns/{campaign_id}" for entry in requests[:3])
    assert max(len(line) for line in text.splitlines()) < 1000
    for campaign_id in hostile:
        assert campaign_id not in text


def test_request_ids_differ_between_requests_and_staff_tokens_are_never_logged(
        client, campaign, staff_headers, output):
    client.http.get(f"/staff/campaigns/{campaign}/totals", headers=staff_headers)
    client.http.get(f"/campaigns/{campaign}")
    text, lines = output()
    first, second = logs(lines)
    assert first["request_id"] != second["request_id"]
    assert staff_headers["Authorization"].split()[1] not in text


def test_report_outcomes_are_counted_and_rejections_by_reason(client, campaign, fake_clock, output):
    body = report_body()
    post_report(client, campaign, body)
    post_report(client, campaign, body)                                  # replay
    post_report(client, campaign, report_body(actions={"letter": 999}))  # 422, JSON
    post_report(client, campaign, "{not json")                           # 400, JSON
    post_report(client, campaign, "actions_letter=", headers=FORM)       # 422, the HTML form
    post_report(client, "no-such-campaign", report_body())               # 404
    fake_clock.set(fake_clock() + timedelta(days=30))
    post_report(client, campaign, report_body())                         # 410
    _, lines = output()

    assert metrics(lines) == {
        ("ReportsAccepted", None): 1, ("ReportsReplayed", None): 1,
        ("ReportsRejected", "validation_failed"): 2, ("ReportsRejected", "malformed_body"): 1,
        ("ReportsRejected", "campaign_not_found"): 1, ("ReportsRejected", "campaign_closed"): 1,
    }


def test_other_routes_count_no_report_outcomes(client, campaign, output):
    client.http.get(f"/campaigns/{campaign}/totals")
    client.http.get(f"/campaigns/{campaign}/form")
    assert metrics(output()[1]) == {}


def test_scheduled_runs_count_runs_closures_and_published_totals(client, campaign, fake_clock, output):
    post_report(client, campaign, report_body())
    run_scheduled(client, stream=False)
    fake_clock.set(fake_clock() + timedelta(days=30))
    run_scheduled(client, stream=False)
    run_scheduled(client, stream=False)   # nothing left to close: published once only
    _, lines = output()

    assert metrics(lines) == {("ReportsAccepted", None): 1, ("SchedulerRuns", None): 3,
                              ("CampaignsClosed", None): 1, ("TotalsPublished", None): 1}
    runs = [line for line in logs(lines) if line["message"] == "scheduled run"]
    assert [run["campaigns_closed"] for run in runs] == [[], [campaign], []]
    assert all(run["request_id"] for run in runs)
    (published,) = [line for line in logs(lines) if line["message"] == "final totals published"]
    assert published["campaign_id"] == campaign and published["version"] == 1


def test_a_failing_scheduled_run_is_counted_and_logged_as_an_error(
        client, campaign, monkeypatch, output):
    def busy(self, state):
        raise StorageUnavailable("throttled")

    monkeypatch.setattr(TallyStore, "campaigns", busy)
    with pytest.raises(StorageUnavailable):
        run_scheduled(client, stream=False)
    _, lines = output()
    assert metrics(lines) == {("SchedulerRuns", None): 1, ("SchedulerFailures", None): 1}
    (failure,) = [line for line in logs(lines) if line["message"] == "scheduled run failed"]
    assert failure["level"] == "ERROR" and "StorageUnavailable" in failure["exception"]


def test_module_log_lines_are_json_and_name_the_campaign(client, campaign, monkeypatch, output):
    def busy(*args, **kwargs):
        raise StorageUnavailable("throttled")

    monkeypatch.setattr(TallyStore, "get_provisional", busy)
    with pytest.raises(StorageUnavailable):
        run_scheduled(client)
    _, lines = output()
    (warning,) = [line for line in logs(lines) if line["level"] == "WARNING"]
    assert warning["campaign_id"] == campaign and warning["request_id"]
    assert warning["message"].startswith("tally failed for campaign")


def test_a_stream_batch_logs_its_size_and_never_a_record(client, campaign, output, monkeypatch):
    post_report(client, campaign, report_body(name="Ana Pérez", contact_email="ana@example.org", consent=True))
    deliver_to_function(client, client.table)
    text, lines = output()
    batches = [line for line in logs(lines) if line["message"] == "stream batch"]
    assert batches and all(line["records"] >= 1 and line["request_id"] for line in batches)
    assert metrics(lines)[("StreamRecords", None)] == sum(line["records"] for line in batches)
    assert "Ana" not in text and "ana@example.org" not in text

    def busy(*args, **kwargs):
        raise StorageUnavailable("throttled")

    post_report(client, campaign, report_body())
    monkeypatch.setattr(TallyStore, "fold_unread", busy)
    with pytest.raises(StorageUnavailable):
        deliver_to_function(client, client.table)
    _, lines = output()
    (failure,) = [line for line in logs(lines) if line["message"] == "stream batch failed"]
    assert failure["level"] == "ERROR" and metrics(lines)[("StreamBatchFailures", None)] == 1


def test_flagged_reports_are_counted_by_reason(output):
    observability.report_flagged("too_many_from_one_source")
    assert metrics(output()[1]) == {("ReportsFlagged", "too_many_from_one_source"): 1}


def test_an_unexpected_error_is_logged_as_json_with_its_traceback(client, campaign, monkeypatch, output):
    def broken(self, campaign_id):
        raise RuntimeError("a bug")

    monkeypatch.setattr(TallyStore, "get_whole_campaign", broken)   # what GET /campaigns/{id} reads
    assert client.http.get(f"/campaigns/{campaign}").status_code == 500
    _, lines = output()
    errors = [line for line in logs(lines) if line["level"] == "ERROR"]
    assert {line["message"] for line in errors} == {"Caught exception for path /campaigns/{campaign_id}",
                                                    "request"}
    assert any("RuntimeError: a bug" in line.get("exception", "") for line in errors)
    assert all(line["campaign_id"] == campaign for line in errors)
