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


class SnsDown:
    """An SNS client whose endpoint cannot be reached."""

    def publish(self, **request):
        from botocore.exceptions import EndpointConnectionError
        raise EndpointConnectionError(endpoint_url="https://sns.us-east-1.amazonaws.com")


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
    notifier._sns = SnsDown()
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


# -- outcomes ---------------------------------------------------------------------------

def record(store, fake_clock, status="released", on="2026-01-09", note="Home with her family."):
    from dataclasses import replace

    from chalicelib.domain.outcome import parse_outcome
    outcome = replace(parse_outcome({"status": status, "note": note, "on": on}, fake_clock().date()),
                      recorded_by="staff token: tests", recorded_at=fake_clock())
    return store.record_outcome(CAMPAIGN, outcome, store.get_outcome(CAMPAIGN))


def test_an_outcome_is_announced_once_by_the_next_run_as_its_own_kind(store, settings, fake_clock, ua, topic):
    notifier, received = topic
    submit_report(store, settings, CAMPAIGN, report_body())
    record(store, fake_clock)
    summary = tallying.run_tally(store, settings, fake_clock(), notifier)
    assert summary.outcomes == [CAMPAIGN]
    (message,) = received()
    assert message["kind"] == "outcome" and message["type"] == "outcome_recorded"
    assert message["campaign_id"] == CAMPAIGN and message["revision"] == 1
    assert message["outcome"] == {"status": "released", "note": "Home with her family.", "on": "2026-01-09"}
    assert "totals" not in message and "recorded_by" not in json.dumps(message)   # no count, no staff name
    assert store.get_outcome(CAMPAIGN).announced
    tallying.run_tally(store, settings, fake_clock() + timedelta(minutes=1), notifier)
    assert received() == []


def test_totals_messages_say_their_kind(store, settings, fake_clock, ua, topic):
    notifier, received = topic
    close(store, settings, fake_clock, ua, notifier)
    (message,) = received()
    assert message["kind"] == "totals"


def test_sns_down_keeps_the_outcome_stored_and_due_and_a_later_run_announces_it(store, settings, fake_clock, ua,
                                                                              topic):
    notifier, received = topic
    record(store, fake_clock)
    real_sns = notifier._sns
    notifier._sns = SnsDown()
    with pytest.raises(Exception, match="the outcome of ua-47-22"):
        tallying.run_tally(store, settings, fake_clock(), notifier)
    outcome = store.get_outcome(CAMPAIGN)
    assert outcome.status == "released" and not outcome.announced
    assert [campaign_id for campaign_id, _ in store.outcomes_due()] == [CAMPAIGN]

    notifier._sns = real_sns
    tallying.run_tally(store, settings, fake_clock() + timedelta(minutes=1), notifier)
    (message,) = received()
    assert message["revision"] == 1 and store.get_outcome(CAMPAIGN).announced


def test_a_change_while_announcing_is_announced_too(store, settings, fake_clock, ua, topic, monkeypatch):
    notifier, received = topic
    record(store, fake_clock, status="no_change")
    real_announce = notifier.announce_outcome

    def announce_then_staff_change_it(campaign, outcome):
        sent = real_announce(campaign, outcome)
        record(store, fake_clock, status="released")   # revision 2, between SNS and the mark
        return sent

    monkeypatch.setattr(notifier, "announce_outcome", announce_then_staff_change_it)
    tallying.run_tally(store, settings, fake_clock(), notifier)
    monkeypatch.undo()
    assert not store.get_outcome(CAMPAIGN).announced            # revision 2 is still due
    tallying.run_tally(store, settings, fake_clock() + timedelta(minutes=1), notifier)
    assert [(m["revision"], m["outcome"]["status"]) for m in received()] == [(1, "no_change"), (2, "released")]
    assert store.get_outcome(CAMPAIGN).announced


def test_a_crash_after_sns_took_the_outcome_repeats_it_rather_than_lose_it(store, settings, fake_clock, ua, topic,
                                                                          monkeypatch):
    notifier, received = topic
    record(store, fake_clock)

    def crash(*args):
        raise RuntimeError("killed before recording")

    monkeypatch.setattr(store, "mark_outcome_announced", crash)
    with pytest.raises(RuntimeError):
        tallying.run_tally(store, settings, fake_clock(), notifier)
    monkeypatch.undo()
    tallying.run_tally(store, settings, fake_clock() + timedelta(minutes=1), notifier)
    assert [m["revision"] for m in received()] == [1, 1]   # at least once: same campaign_id and revision


def test_without_a_topic_an_outcome_is_logged_and_not_retried(store, settings, fake_clock, ua, caplog):
    record(store, fake_clock)
    with caplog.at_level(logging.INFO, logger="chalicelib.runtime.notify"):
        tallying.run_tally(store, settings, fake_clock(), TotalsNotifier())
    assert "not announcing the outcome of ua-47-22" in caplog.text
    assert store.outcomes_due() == []


def test_an_outcome_on_a_fifo_topic_is_deduplicated_by_campaign_and_revision(ua, fake_clock, store):
    sent = []

    class Sns:
        def publish(self, **request):
            sent.append(request)

    notifier = TotalsNotifier(Sns(), "arn:aws:sns:us-east-1:1:totals.fifo")
    outcome = record(store, fake_clock)
    assert notifier.announce_outcome(ua, outcome)
    (request,) = sent
    assert request["MessageDeduplicationId"] == "ua-47-22-outcome-r1" and request["MessageGroupId"] == "ua-47-22"
    assert request["MessageAttributes"]["kind"]["StringValue"] == "outcome"


def test_an_outcome_of_a_campaign_that_is_gone_is_skipped_not_fatal(store, settings, fake_clock, ua, topic,
                                                                    moto_table):
    notifier, received = topic
    record(store, fake_clock)
    moto_table.delete_item(Key={"pk": f"CAMPAIGN#{CAMPAIGN}", "sk": "CAMPAIGN"})   # by hand: no route deletes one
    summary = tallying.run_tally(store, settings, fake_clock(), notifier)
    assert summary.outcomes == [] and received() == []
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
