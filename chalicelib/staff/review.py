"""Staff review of flagged reports: what failed an abuse check, and putting a
wrongly flagged one into the count (see :mod:`chalicelib.counting.reinstating`).

A flagged report is listed with what it says (actions, targets, country), when
it came and which check it failed; never with a supporter's name or email,
which a decision to count it does not need (the reports export has them where
consented). Listing reads every report of the campaign, as the export does: a
staff action, not a hot path.
"""
from collections import Counter

from chalicelib.counting.reinstating import reinstate_report
from chalicelib.domain import clock
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.report import Report
from chalicelib.domain.validation import FieldErrors, reject_unknown, text
from chalicelib.storage import TallyStore
from chalicelib.web.bodies import read_body
from chalicelib.web.identifiers import check_campaign_id
from chalicelib.web.responses import json_response

DEFAULT_LIMIT, MAX_LIMIT = 200, 1000


def flagged_record(report: Report) -> dict:
    """One flagged report as staff review it: no personal data."""
    return {"report_id": report.report_id, "submission_id": report.submission_id,
            "received_at": clock.format_timestamp(report.received_at), "flag_reason": report.flag_reason,
            "actions": dict(report.actions), "targets": list(report.targets), "country": report.country}


def flagged_view(store: TallyStore, campaign: Campaign, limit: int = DEFAULT_LIMIT, offset: int = 0) -> dict:
    """The campaign's flagged reports, oldest first (``limit`` of them from ``offset``),
    with how many there are in all and by reason."""
    flagged = store.flagged_reports(campaign)
    return {"campaign_id": campaign.campaign_id, "flagged": len(flagged),
            "by_reason": dict(sorted(Counter(report.flag_reason for report in flagged).items())),
            "offset": offset, "limit": limit,
            "reports": [flagged_record(report) for report in flagged[offset:offset + limit]]}


def flagged_response(store: TallyStore, campaign: Campaign, request):
    """``GET /staff/campaigns/{id}/flagged?limit=&offset=`` as JSON."""
    limit, offset = _paging(request.query_params or {})
    return json_response(flagged_view(store, campaign, limit, offset), headers={"Cache-Control": "no-store"})


def parse_reinstatement(data) -> tuple[str, str]:
    """``(reason, by)`` from a staff request ``{"reason": ..., "by": ...}``."""
    errors = FieldErrors()
    if not isinstance(data, dict):
        errors.add("body", "must be a JSON object")
        errors.raise_if_any()
    reject_unknown(errors, data, ("reason", "by"))
    reason = text(errors, data, "reason", max_length=500)
    by = text(errors, data, "by", max_length=100)
    errors.raise_if_any()
    return reason, by


def reinstatement_response(store: TallyStore, settings, campaign_id: str, report_ref: str, request, now,
                           token_label: str):
    """``POST .../reports/{ref}/reinstate``: reinstate a flagged report from the API. A closed campaign is left due for
    re-publication: the scheduled job recounts and announces the new version.

    The audit trail records the name given and, beside it, the label of the staff
    token that made the request: the name alone is only what the caller says.
    """
    _, data = read_body(request, settings.max_body_bytes)
    reason, by = parse_reinstatement(data)
    check_campaign_id(campaign_id)
    by = f"{by} (staff token: {token_label})"
    result = reinstate_report(store, campaign_id, report_ref, reason=reason, by=by, now=now, republish=False)
    report, campaign = result.report, result.campaign
    return json_response({
        "campaign_id": campaign.campaign_id, "report_id": report.report_id,
        "submission_id": report.submission_id, "flag_reason": report.flag_reason, "counted": True,
        "reinstated_by": by, "reinstate_reason": reason, "reinstated_at": clock.format_timestamp(now),
        "reinstated_count": campaign.reinstated_count, "republication_due": campaign.publication_due,
    }, headers={"Cache-Control": "no-store"})


def _paging(params) -> tuple[int, int]:
    errors = FieldErrors()
    limit = _whole_number(errors, params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _whole_number(errors, params, "offset", 0, 0, 10**9)
    errors.raise_if_any()
    return limit, offset


def _whole_number(errors, params, name, default, low, high):
    raw = params.get(name)
    if raw is None:
        return default
    # Leading zeros off and the length checked first: int() refuses more than 4,300 digits.
    digits = raw.lstrip("0") or "0"
    if not raw.isascii() or not raw.isdigit() or len(digits) > len(str(high)) or not low <= int(digits) <= high:
        errors.add(name, f"must be a whole number from {low} to {high}")
        return default
    return int(digits)
