"""Personal data: erasing it on request and after the retention period.

Only reports sent with consent carry a name or an email address (see
:mod:`chalicelib.domain.report`). They are erased

* on request, everywhere, by the supporter's email address: staff record the
  request (:func:`request_erasure`: the staff API, which answers 202 at once) and
  the scheduled job does the work (:func:`work_on_erasures`), resumably, reading
  the reports of every campaign that can still hold personal data; the staff CLI
  may do it at once (:func:`erase_supporter_now`); and
* ``PERSONAL_DATA_RETENTION_DAYS`` after a campaign closed, by the scheduled
  job (:func:`erase_expired`).

Why no index from an address to its reports: every report left with an email would
cost a second write (the index entry), 0.15 write units per report for a request
that comes a few times a year. A search reads, per campaign that can still hold
personal data, each report partition once (about one read unit per 16 reports),
which takes minutes at the scale of docs/scale.md: too long for an API request, so
it runs in the scheduled job, from where the last run stopped.

A request is worked on once ``SETTLE_SECONDS`` have passed since it was made: every
report accepted before it has landed by then. Erasing removes ``name``,
``contact_email`` (and the ``contact_email_hash`` older reports carry); the report
and every count stay. The request keeps the address's hash only while it is
pending; each erasure then leaves an audit record with no personal data (see
:class:`chalicelib.storage.ErasureRecord`), and nothing here logs an address.
"""
import logging
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from chalicelib.domain.report import contact_email, contact_email_key
from chalicelib.domain.validation import FieldErrors, reject_unknown
from chalicelib.runtime.config import Settings
from chalicelib.storage import DONE, ErasureRecord, ErasureRequest, Position, StaleWrite, TallyStore

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


def request_erasure(store: TallyStore, contact_email: str, requested_by: str, now: datetime) -> ErasureRequest:
    """Record a request to erase one supporter's name and email from every report.

    Returns it; its ``request_id`` can be given to the person as proof, and shows
    its progress (``status``, ``reports_erased``) until it is done.
    """
    request = ErasureRequest(uuid.uuid4().hex, requested_by, now, email_key=contact_email_key(contact_email))
    store.record_erasure_request(request)
    log.info("erasure %s requested by %s", request.request_id, requested_by)
    return request


def work_on_erasures(store: TallyStore, settings: Settings, now: datetime, budget_seconds: float,
                     timer=time.monotonic) -> list[ErasureRequest]:
    """Work on pending requests, oldest first, for about ``budget_seconds``; the ones finished."""
    settle, stop_at = timedelta(seconds=settings.settle_seconds), timer() + budget_seconds
    finished = []
    for request in store.pending_erasure_requests():
        if now < request.requested_at + settle:
            continue   # a report accepted just before it may still be landing
        request = work_on(store, request, now, lambda: timer() >= stop_at)
        if request.status != DONE:
            break
        finished.append(request)
    return finished


def erase_supporter_now(store: TallyStore, contact_email: str, requested_by: str, now: datetime) -> ErasureRequest:
    """Record a request and do all of it at once (the staff CLI). A report accepted in the
    last ``SETTLE_SECONDS`` may still be landing: the scheduled job's way waits for it."""
    return work_on(store, request_erasure(store, contact_email, requested_by, now), now, lambda: False)


def work_on(store: TallyStore, request: ErasureRequest, now: datetime, out_of_time) -> ErasureRequest:
    """Go on with ``request`` from where it stopped until it is done or ``out_of_time()``;
    its progress is saved after every page read, so a run that dies loses none of it.
    A request another run is working on is left to it."""
    position = request.position
    try:
        for campaign in store.campaigns_with_personal_data():
            if position.campaign_id and campaign.campaign_id < position.campaign_id:
                continue   # searched already
            resumed = campaign.campaign_id == position.campaign_id
            page_key = position.page_key if resumed else None
            for shard in range(position.shard if resumed else 0, campaign.report_shards):
                while True:
                    if out_of_time():
                        return request
                    found, page_key = store.erase_supporter_page(campaign, shard, page_key, request.email_key, now)
                    at = Position(campaign.campaign_id, shard, page_key) if page_key else Position(
                        campaign.campaign_id, shard + 1)
                    request = _saved(store, request, replace(request, reports_erased=request.reports_erased + found,
                                                             position=at))
                    if page_key is None:
                        break
        # The audit record first, filed under the request's own time: a run that dies
        # between the two writes, and the one that finishes after it, file it once.
        store.record_erasure(ErasureRecord(request.request_id, "supporter", request.reports_erased,
                                           request.requested_by, now), filed_at=request.requested_at)
        done = _saved(store, request, replace(request, status=DONE, finished_at=now, email_key=None,
                                              position=Position()))
    except StaleWrite:
        return store.get_erasure_request(request.request_id)
    log.info("erasure %s: %d report(s) erased on request by %s", done.request_id, done.reports_erased,
             done.requested_by)
    return done


def _saved(store, previous: ErasureRequest, request: ErasureRequest) -> ErasureRequest:
    store.save_erasure_progress(request, previous)
    return replace(request, step=previous.step + 1)


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
