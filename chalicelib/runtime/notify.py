"""Announcing published final totals on the stage's SNS topic (``TOTALS_TOPIC_ARN``).

Delivery is at least once: the caller records the announced version only after
SNS accepted the message, and the scheduled job retries a version not recorded.
Subscribers may see a version twice; ``campaign_id`` + ``version`` identify it.
"""
import json
import logging

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain import clock
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.totals import Totals

log = logging.getLogger(__name__)


class NotificationFailed(Exception):
    """SNS did not take the message; the next scheduled run tries again."""


def totals_message(campaign: Campaign, totals: Totals) -> dict:
    """What subscribers receive: the campaign's facts and its final totals."""
    return {
        "type": "final_totals_published",
        "campaign_id": campaign.campaign_id,
        "reference": campaign.reference,
        "title": campaign.title,
        "deadline": clock.format_public(campaign.deadline),
        "letter_language": campaign.letter_language,
        "targets": [{"id": t.id, "name": t.name, "role": t.role} for t in campaign.targets],
        "totals": totals.staff_view(campaign),
        "voided_reports": totals.void_count,
        "reinstated_reports": totals.reinstated_count,
        "offline_tallies": totals.offline_count,   # entered so far (voided ones too), as the version reflects
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
        request = {"TopicArn": self.topic_arn, "Subject": f"Final totals: {campaign.reference} (version "
                                                          f"{totals.version})"[:100],
                   "Message": json.dumps(totals_message(campaign, totals), ensure_ascii=False),
                   "MessageAttributes": {
                       "campaign_id": {"DataType": "String", "StringValue": campaign.campaign_id},
                       "version": {"DataType": "Number", "StringValue": str(totals.version)}}}
        if self.topic_arn.endswith(".fifo"):
            # A FIFO topic drops a repeat of the same version within its five-minute window.
            request.update(MessageGroupId=campaign.campaign_id,
                           MessageDeduplicationId=f"{campaign.campaign_id}-v{totals.version}")
        try:
            self._sns.publish(**request)
        except (ClientError, BotoCoreError) as error:
            raise NotificationFailed(f"{campaign.campaign_id} version {totals.version}: {error}") from error
        log.info("announced %s version %s", campaign.campaign_id, totals.version)
        return True
