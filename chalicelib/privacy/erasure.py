"""Personal data: erasing it on request and after the retention period.

Only reports sent with consent carry a name or an email address (see
:mod:`chalicelib.domain.report`). They are erased

* on request, everywhere, by the supporter's email address
  (:func:`erase_supporter`: the staff API and the staff CLI call it), and
* ``PERSONAL_DATA_RETENTION_DAYS`` after a campaign closed, by the scheduled
  job (:func:`erase_expired`).

Erasing removes ``name``, ``contact_email`` and the email's index key; the
report and every count stay. Each erasure leaves an audit record with no
personal data (see :class:`chalicelib.storage.ErasureRecord`), and nothing
here logs an address.
"""
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.report import contact_email, contact_email_key
from chalicelib.domain.validation import FieldErrors, reject_unknown
from chalicelib.runtime.config import Settings
from chalicelib.storage import ErasureRecord, TallyStore

log = logging.getLogger(__name__)
SCHEDULER = "scheduler"


def parse_erasure_request(data) -> str:
    """The email address in a staff erasure request ``{"contact_email": ...}``."""
    errors = FieldErrors()
    if not isinstance(data, dict):
        errors.add("body", "must be a JSON object")
        errors.raise_if_any()
    reject_unknown(errors, data, ("contact_email",))
    email = contact_email(errors, data, required=True)
    errors.raise_if_any()
    return email


def erase_supporter(store: TallyStore, contact_email: str, requested_by: str, now: datetime) -> ErasureRecord:
    """Erase one supporter's name and email from every report they sent.

    Returns the audit record, whose ``request_id`` can be given to the person
    as proof. Idempotent: erasing again finds nothing more (or a report that
    was still reaching the index the first time).
    """
    erased = store.erase_supporter_reports(contact_email_key(contact_email), now)
    record = ErasureRecord(uuid.uuid4().hex, "supporter", erased, requested_by, now)
    store.record_erasure(record)
    log.info("erasure %s: %d report(s) erased on request by %s", record.request_id, erased, requested_by)
    return record


@dataclass(frozen=True)
class RetentionRun:
    campaigns: list
    reports_erased: int


def erase_expired(store: TallyStore, settings: Settings, now: datetime) -> RetentionRun:
    """Erase personal data of campaigns closed more than the retention period ago."""
    retention = timedelta(days=settings.personal_data_retention_days)
    campaigns, total = [], 0
    # A campaign closes after its deadline, so the index's deadline bound only
    # narrows the search; the closing instant decides.
    for campaign in store.campaigns_due_for_erasure(closed_before=now - retention):
        if campaign.closed_at is None or campaign.closed_at + retention > now:
            continue
        erased = store.erase_campaign_personal_data(campaign, now)
        store.record_erasure(ErasureRecord(uuid.uuid4().hex, "retention", erased, SCHEDULER, now,
                                           campaign.campaign_id))
        store.mark_personal_data_erased(campaign.campaign_id, now)
        log.info("campaign %s: personal data of %d report(s) erased after %d days",
                 campaign.campaign_id, erased, settings.personal_data_retention_days)
        campaigns.append(campaign.campaign_id)
        total += erased
    return RetentionRun(campaigns, total)
