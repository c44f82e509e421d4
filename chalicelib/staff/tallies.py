"""Offline tallies from the staff API: ``POST /staff/campaigns/{id}/tallies`` takes one tally
as JSON or a file of them as ``text/csv`` (see :mod:`chalicelib.domain.tallies` for the
rules and the CSV's columns, :mod:`chalicelib.counting.offline` for how they are counted);
and ``offline``, what staff totals and exports show of them.

The tally is entered in the name of the staff token that sends it (its label, as the
audit trail records it). A tally id sent again is answered 200 with the tally as stored
the first time, whatever the body says, as a report's submission id is.
"""
from chalicelib.counting.offline import Entered, enter_tallies
from chalicelib.domain import clock
from chalicelib.domain.campaign import CLOSED, Campaign
from chalicelib.domain.errors import BodyTooLarge, MalformedBody
from chalicelib.domain.report import Report
from chalicelib.domain.tallies import parse_tally, parse_tally_csv
from chalicelib.storage import TallyEntry, TallyStore
from chalicelib.web.bodies import JSON, media_type, read_body
from chalicelib.web.identifiers import check_campaign_id
from chalicelib.web.responses import json_response

CSV = "text/csv"
# 1,000 rows of a campaign with a few officials and action types are under 100 KB; room for
# long sources and more officials, and well within API Gateway's 10 MB.
TALLY_CSV_BYTES = 512 * 1024


def tallies_response(store: TallyStore, settings, campaign_id: str, request, now, entered_by: str):
    """``POST /staff/campaigns/{id}/tallies``: 201 when something was stored, 200 for a replay."""
    check_campaign_id(campaign_id)
    if media_type(request) == CSV:
        content = csv_body(request.raw_body or b"")
        entered = enter_tallies(store, campaign_id, lambda campaign: parse_tally_csv(
            content, campaign, settings.max_count_per_action, now), entered_by=entered_by, now=now, republish=False)
        return json_response(import_view(entered), 201 if entered.created else 200,
                             headers={"Cache-Control": "no-store"})
    _, data = read_body(request, settings.max_body_bytes, accepted=(JSON, CSV))
    entered = enter_tallies(store, campaign_id, lambda campaign: [parse_tally(
        data, campaign, settings.max_count_per_action, now)], entered_by=entered_by, now=now, republish=False)
    (report, created), = entered.tallies
    return json_response({**tally_record(report), "republication_due": _due(entered)}, 201 if created else 200,
                         headers={"Cache-Control": "no-store"})


def csv_body(raw: bytes) -> str:
    """A CSV body as text: at most TALLY_CSV_BYTES of UTF-8 (a byte order mark is dropped later)."""
    if len(raw) > TALLY_CSV_BYTES:
        raise BodyTooLarge(f"The file is {len(raw)} bytes; at most {TALLY_CSV_BYTES} are accepted "
                           "(1,000 tallies a file).", fields={"body": f"must be at most {TALLY_CSV_BYTES} bytes"})
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedBody(f"The file is not UTF-8 text: {error}. Save it as CSV UTF-8 and send it again.",
                            fields={"body": "must be UTF-8 text"}) from None


def import_view(entered: Entered) -> dict:
    """What a file of tallies did: each tally as stored, how many were new."""
    due = _due(entered)
    return {"campaign_id": entered.campaign.campaign_id, "created": entered.created,
            "replayed": len(entered.tallies) - entered.created, "republication_due": due,
            "tallies": [{**tally_record(report), "republication_due": due} for report, _ in entered.tallies]}


def _due(entered: Entered) -> bool:
    """Whether a closed campaign's final totals wait for the scheduled job to re-publish them."""
    return entered.campaign.state == CLOSED and entered.campaign.publication_due


def tally_record(report: Report) -> dict:
    """A stored tally as the API answers it."""
    offline = report.offline
    return {"tally_id": report.submission_id, "report_id": report.report_id, "campaign_id": report.campaign_id,
            "status": "recorded", "source": offline.source, "acted_on": offline.acted_on.isoformat(),
            "country": report.country, "participants": report.participants,
            "per_target": {target: dict(counts) for target, counts in (report.per_target or {}).items()},
            "actions_total": report.actions_total, "entered_by": offline.entered_by,
            "entered_at": clock.format_timestamp(offline.entered_at), "counted": report.excluded is None}


def entry_record(entry: TallyEntry) -> dict:
    """A tally as staff totals and exports list it."""
    return {"tally_id": entry.tally_id, "report_id": entry.report_id, "source": entry.source,
            "entered_by": entry.entered_by, "entered_at": clock.format_timestamp(entry.entered_at),
            "acted_on": entry.acted_on.isoformat(), "country": entry.country, "participants": entry.participants,
            "actions": entry.actions, "actions_total": sum(entry.actions.values()),
            "counted": entry.counted, "voided_by": entry.voided_by,
            "voided_at": clock.format_timestamp(entry.voided_at) if entry.voided_at else None,
            "void_reason": entry.void_reason}


def offline_view(store: TallyStore, campaign: Campaign) -> dict:
    """``offline`` in staff totals: what the counted offline tallies add up to (they are in the
    totals' own figures too), and every tally, counted or voided, oldest first."""
    entries = store.tally_entries(campaign.campaign_id)
    counted = [entry for entry in entries if entry.counted]
    actions = {action: 0 for action in campaign.actions}
    for entry in counted:
        for action, count in entry.actions.items():
            actions[action] = actions.get(action, 0) + count
    return {"reports": len(counted), "people": sum(entry.participants for entry in counted),
            "actions_total": sum(actions.values()), "actions": actions,
            "voided": len(entries) - len(counted), "tallies": [entry_record(entry) for entry in entries]}
