"""Announcing published final totals, and outcomes, on the stage's SNS topic (``TOTALS_TOPIC_ARN``).

Delivery is at least once: the caller records the announced version only after
SNS accepted the message, and the scheduled job retries a version not recorded.
Subscribers may see a version twice; ``campaign_id`` + ``version`` identify it.
An outcome is announced the same way (``kind: outcome``, identified by ``campaign_id``
+ ``revision``); a totals message says ``kind: totals``, and both carry the
``kind`` message attribute, so that a subscription can filter on it.
"""
import json
import logging

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain import clock
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.outcome import Outcome
from chalicelib.domain.totals import Totals

log = logging.getLogger(__name__)


class NotificationFailed(Exception):
    """SNS did not take the message; the next scheduled run tries again."""


def _about(campaign: Campaign, type_: str, kind: str) -> dict:
    """What every message starts with: what it is, and which campaign it is of."""
    return {"type": type_, "kind": kind, "campaign_id": campaign.campaign_id, "reference": campaign.reference,
            "title": campaign.title}


def totals_message(campaign: Campaign, totals: Totals) -> dict:
    """What subscribers receive: the campaign's facts and its final totals."""
    return {
        **_about(campaign, "final_totals_published", "totals"),
        "deadline": clock.format_public(campaign.deadline),
        "letter_language": campaign.letter_language,
        "targets": [{"id": t.id, "name": t.name, "role": t.role} for t in campaign.targets],
        "totals": totals.staff_view(campaign),
        "voided_reports": totals.void_count,
        "reinstated_reports": totals.reinstated_count,
        "offline_tallies": totals.offline_count,   # entered so far (voided ones too), as the version reflects
    }


def outcome_message(campaign: Campaign, outcome: Outcome) -> dict:
    """What subscribers receive when staff record or change an outcome: never a count."""
    return {
        **_about(campaign, "outcome_recorded", "outcome"),
        "revision": outcome.revision,
        "outcome": outcome.public_view(),
        "recorded_at": clock.format_public(outcome.recorded_at),
    }


class TotalsNotifier:
    """Publishes :func:`totals_message` to ``topic_arn``; does nothing when no topic is set."""

    def __init__(self, sns_client=None, topic_arn: str | None = None):
        self._sns = sns_client
        self.topic_arn = topic_arn

    def announce(self, campaign: Campaign, totals: Totals) -> bool:
        """Publish the totals; False if no topic is configured, NotificationFailed if SNS failed."""
        if not self.topic_arn:
            log.info("TOTALS_TOPIC_ARN is not set: not announcing %s version %s",
                     campaign.campaign_id, totals.version)
            return False
        return self._publish(campaign, f"Final totals: {campaign.reference} (version {totals.version})",
                             totals_message(campaign, totals), "totals", "version", totals.version, "v")

    def announce_outcome(self, campaign: Campaign, outcome: Outcome) -> bool:
        """Publish the outcome; False if no topic is configured, NotificationFailed if SNS failed."""
        if not self.topic_arn:
            log.info("TOTALS_TOPIC_ARN is not set: not announcing the outcome of %s", campaign.campaign_id)
            return False
        return self._publish(campaign, f"Outcome: {campaign.reference}", outcome_message(campaign, outcome),
                             "outcome", "revision", outcome.revision, "outcome-r")

    def _publish(self, campaign, subject, message, kind, numbered, number, dedup) -> bool:
        request = {"TopicArn": self.topic_arn, "Subject": subject[:100],
                   "Message": json.dumps(message, ensure_ascii=False),
                   "MessageAttributes": {
                       "campaign_id": {"DataType": "String", "StringValue": campaign.campaign_id},
                       "kind": {"DataType": "String", "StringValue": kind},
                       numbered: {"DataType": "Number", "StringValue": str(number)}}}
        if self.topic_arn.endswith(".fifo"):
            # A FIFO topic drops a repeat of the same message within its five-minute window.
            request.update(MessageGroupId=campaign.campaign_id,
                           MessageDeduplicationId=f"{campaign.campaign_id}-{dedup}{number}")
        try:
            self._sns.publish(**request)
        except (ClientError, BotoCoreError) as error:
            raise NotificationFailed(f"{campaign.campaign_id} {numbered} {number}: {error}") from error
        log.info("announced %s %s %s %s", kind, campaign.campaign_id, numbered, number)
        return True
