"""Final totals announced on the SNS topic: on the close and on each re-publication,
at least once even when SNS fails, and skipped with a log line when no topic is set."""
import json
import logging
from datetime import timedelta

import boto3
import pytest

from chalicelib.counting import tallying, voiding
from chalicelib.counting.intake import submit_report
from chalicelib.runtime.notify import TotalsNotifier
from tests.conftest import report_body
from tests.counting.test_tallying import CAMPAIGN


@pytest.fixture
def topic(moto_table):
    """A moto SNS topic with an SQS queue subscribed, to read what was published."""
    sns, sqs = boto3.client("sns", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
    topic_arn = sns.create_topic(Name="action-tally-dev-totals")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="totals-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
                  Attributes={"RawMessageDelivery": "true"})

    def received():
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return [json.loads(message["Body"]) for message in messages]

    return TotalsNotifier(sns, topic_arn), received


def close(store, settings, fake_clock, ua, notifier):
    fake_clock.set(ua.closes_at + timedelta(seconds=settings.settle_seconds))
    return tallying.run_tally(store, settings, fake_clock(), notifier)


def test_closing_announces_version_1_with_the_totals(store, settings, fake_clock, ua, topic):
    notifier, received = topic
    for country in ("MX", "ES", "MX"):
        submit_report(store, settings, CAMPAIGN, report_body(country=country))
    close(store, settings, fake_clock, ua, notifier)

    (message,) = received()
    assert message["type"] == "final_totals_published" and message["campaign_id"] == CAMPAIGN
    assert message["reference"] == "UA 47.22" and message["letter_language"] == "es"
    totals = message["totals"]
    assert totals["final"] is True and totals["version"] == 1 and totals["reports"] == 3
    assert totals["actions"]["letter"] == 6 and totals["by_country"] == {"ES": 1, "MX": 2}
    assert store.get_campaign(CAMPAIGN).notified_version == 1
    tallying.run_tally(store, settings, fake_clock() + timedelta(minutes=1), notifier)
    assert received() == []   # announced once


def test_each_republished_version_is_announced(store, settings, fake_clock, ua, topic):
    notifier, received = topic
    report = submit_report(store, settings, CAMPAIGN, report_body()).report
    submit_report(store, settings, CAMPAIGN, report_body())
    close(store, settings, fake_clock, ua, notifier)
    received()

    voiding.void_report(store, CAMPAIGN, report.report_id, reason="test entry", by="Ana", now=fake_clock(),
                        notifier=notifier)
    (message,) = received()
    assert message["totals"]["version"] == 2 and message["totals"]["reports"] == 1
    assert message["voided_reports"] == 1
    assert store.get_campaign(CAMPAIGN).notified_version == 2


def test_sns_down_at_the_close_publishes_anyway_and_announces_on_a_later_run(store, settings, fake_clock, ua,
                                                                          topic, monkeypatch):
    notifier, received = topic
    submit_report(store, settings, CAMPAIGN, report_body())
    real_sns = notifier._sns

    class Down:
        def publish(self, **request):
            from botocore.exceptions import EndpointConnectionError
            raise EndpointConnectionError(endpoint_url="https://sns.us-east-1.amazonaws.com")

    notifier._sns = Down()
    with pytest.raises(Exception, match="incomplete"):
        close(store, settings, fake_clock, ua, notifier)
    campaign = store.get_campaign(CAMPAIGN)
    assert campaign.state == "closed" and campaign.publication_due and campaign.notified_version is None
    assert tallying.current_totals(store, campaign).final    # the totals are out all the same

    notifier._sns = real_sns
    summary = tallying.run_tally(store, settings, fake_clock() + timedelta(minutes=1), notifier)
    assert summary.published == [CAMPAIGN]
    (message,) = received()
    assert message["totals"]["version"] == 1
    campaign = store.get_campaign(CAMPAIGN)
    assert campaign.notified_version == 1 and not campaign.publication_due


def test_a_crash_after_sns_took_the_message_repeats_it_rather_than_lose_it(store, settings, fake_clock, ua,
                                                                          topic, monkeypatch):
    notifier, received = topic
    submit_report(store, settings, CAMPAIGN, report_body())

    def crash(*args):
        raise RuntimeError("killed before recording")

    monkeypatch.setattr(store, "record_notified", crash)
    with pytest.raises(RuntimeError):
        close(store, settings, fake_clock, ua, notifier)
    monkeypatch.undo()
    tallying.run_tally(store, settings, fake_clock() + timedelta(minutes=1), notifier)
    versions = [m["totals"]["version"] for m in received()]
    assert versions == [1, 1]    # at least once: a duplicate subscribers can recognise by version


def test_without_a_topic_the_close_logs_and_carries_on(store, settings, fake_clock, ua, caplog):
    submit_report(store, settings, CAMPAIGN, report_body())
    with caplog.at_level(logging.INFO, logger="chalicelib.runtime.notify"):
        close(store, settings, fake_clock, ua, TotalsNotifier())
    assert "TOTALS_TOPIC_ARN is not set" in caplog.text
    campaign = store.get_campaign(CAMPAIGN)
    assert not campaign.publication_due and campaign.notified_version is None


def test_the_scheduled_function_uses_the_topic_from_the_environment(client, campaign, staff_headers,
                                                                   fake_clock, monkeypatch, topic):
    from chalicelib.runtime import process
    from tests.conftest import post_report, run_scheduled
    notifier, received = topic
    monkeypatch.setenv("TOTALS_TOPIC_ARN", notifier.topic_arn)
    process.reset()   # settings are read once per process, as in Lambda
    post_report(client, campaign, report_body())
    fake_clock.advance(days=30)
    run_scheduled(client)
    (message,) = received()
    assert message["campaign_id"] == campaign and message["totals"]["final"] is True


def test_a_malformed_topic_arn_is_refused_when_settings_load():
    from chalicelib.runtime.config import load_settings
    with pytest.raises(ValueError, match="TOTALS_TOPIC_ARN"):
        load_settings({"TOTALS_TOPIC_ARN": "action-tally-totals"})
    assert load_settings({}).totals_topic_arn is None


def test_a_version_republished_for_an_offline_tally_is_announced_with_its_count(store, settings, fake_clock, ua,
                                                                                topic):
    from chalicelib.counting.offline import enter_tallies
    from chalicelib.domain.tallies import parse_tally

    notifier, received = topic
    close(store, settings, fake_clock, ua, notifier)
    received()
    body = {"source": "Madrid group", "acted_on": "2026-01-19", "per_target": {"governor": {"letter": 30}}}
    enter_tallies(store, CAMPAIGN, lambda campaign: [parse_tally(body, campaign, 50, fake_clock())],
                  entered_by="Ana", now=fake_clock(), notifier=notifier)
    (message,) = received()
    assert message["totals"]["version"] == 2 and message["totals"]["actions"]["letter"] == 30
    assert message["offline_tallies"] == 1 and message["voided_reports"] == 0
