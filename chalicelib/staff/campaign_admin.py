"""Staff changes to campaigns: create, or edit while still open."""
from chalicelib.domain.campaign import Campaign, apply_update, parse_campaign, validate_campaign_id
from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.storage import StaleWrite, TallyStore
from chalicelib.web.bodies import read_body
from chalicelib.web.responses import json_response

# A whole case sheet with its letters is a few KB; JSON escapes (\u00e9) can make a body
# several times the size of what is stored, which the domain caps (MAX_CASE_BYTES).
CAMPAIGN_BODY_BYTES = 256 * 1024


def save_campaign(store: TallyStore, campaign_id: str, data, now, report_shards: int,
                  default_timezone: str = "UTC") -> tuple[Campaign, bool]:
    """Create or update a campaign from a staff body; returns it and whether it is new.

    A campaign past its deadline is frozen (409), and once reports exist its
    action types and targets can be added to but not taken away, so that
    every stored report keeps meaning what it meant. ``follow_up_of`` must name
    a campaign that exists.
    """
    existing = store.get_campaign(campaign_id) if validate_campaign_id(campaign_id).errors == {} else None
    if existing is not None and not existing.accepts_reports_at(now):
        raise Conflict(f"Campaign '{campaign_id}' has closed and can no longer be changed.",
                       fields={"campaign_id": "closed"}, code="campaign_closed")
    incoming = parse_campaign(campaign_id, data, now, report_shards, default_timezone)
    if incoming.follow_up_of and store.get_campaign(incoming.follow_up_of) is None:
        raise ValidationFailed({"follow_up_of": f"there is no campaign '{incoming.follow_up_of}'"})
    if existing is None:
        try:
            store.create_campaign(incoming)
            return incoming, True
        except StaleWrite:
            raise Conflict("The campaign was created by another request at the same time; "
                           "fetch it and retry.", code="campaign_exists") from None
    _refuse_removals(store, existing, incoming)
    updated = apply_update(existing, incoming, now)
    try:
        store.replace_campaign(updated, existing, now)
    except StaleWrite:
        raise Conflict("The campaign changed or closed while this update was made; "
                       "fetch it and retry.", code="campaign_changed") from None
    return updated, False


def campaign_response(store: TallyStore, settings, campaign_id: str, request, now):
    """``PUT /staff/campaigns/{id}``: 201 created, 200 updated, as the staff view."""
    _, data = read_body(request, CAMPAIGN_BODY_BYTES)
    campaign, created = save_campaign(store, campaign_id, data, now, settings.report_shards,
                                      settings.default_timezone)
    return json_response(campaign.staff_view(now), 201 if created else 200)


def _refuse_removals(store, existing, incoming):
    removed = {}
    lost_actions = set(existing.actions) - set(incoming.actions)
    lost_targets = set(existing.target_ids) - set(incoming.target_ids)
    if lost_actions:
        removed["actions"] = f"cannot remove {', '.join(sorted(lost_actions))}: reports already use them"
    if lost_targets:
        removed["targets"] = f"cannot remove {', '.join(sorted(lost_targets))}: reports already name them"
    if removed and store.has_reports(existing):
        raise Conflict("Reports exist, so action types and targets can be added but not removed.",
                       fields=removed, code="campaign_has_reports")
