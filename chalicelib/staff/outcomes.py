"""``PUT /staff/campaigns/{id}/outcome``: staff record how the case ended, or where it stands.

Open or closed, a campaign takes an outcome at any time and as often as staff change it;
it never touches a count (chalicelib.domain.outcome). The answer says whether the
outcome is announced yet: the scheduled job announces it on the totals topic within a
minute (chalicelib.counting.outcomes), as it announces re-published totals, so the API's
role needs no SNS.
"""
from dataclasses import replace

from chalicelib.domain.errors import Conflict
from chalicelib.domain.outcome import parse_outcome
from chalicelib.storage import StaleWrite, TallyStore
from chalicelib.web.bodies import read_body
from chalicelib.web.identifiers import existing_campaign
from chalicelib.web.responses import json_response

OUTCOME_BODY_BYTES = 32 * 1024   # a 2,000-character note of four-byte characters, JSON-escaped, fits


def outcome_response(store: TallyStore, campaign_id: str, request, now, by: str):
    """200 with the outcome as stored (``revision``, ``announced``); 404 for no campaign,
    422 naming each bad field, 409 if another change to the outcome came first."""
    campaign = existing_campaign(store, campaign_id)
    _, data = read_body(request, OUTCOME_BODY_BYTES)
    outcome = replace(parse_outcome(data, now.date()), recorded_by=by, recorded_at=now)
    try:
        stored = store.record_outcome(campaign.campaign_id, outcome, store.get_outcome(campaign.campaign_id))
    except StaleWrite:
        raise Conflict("The outcome was changed by another request at the same time; fetch the campaign and "
                       "retry.", code="outcome_changed") from None
    return json_response({"campaign_id": campaign.campaign_id, **stored.staff_view()},
                         headers={"Cache-Control": "no-store"})
