"""Staff changes to campaigns: create, or edit while still open."""
from dataclasses import replace

from chalicelib.domain.campaign import Campaign, apply_update, parse_campaign, validate_campaign_id
from chalicelib.domain.cases import MAX_CASE_CAMPAIGNS
from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.storage import StaleWrite, TallyStore
from chalicelib.web.bodies import read_body
from chalicelib.web.responses import json_response

# A whole case sheet with its letters is a few KB; JSON escapes (\u00e9) can make a body
# several times the size of what is stored, which the domain caps (MAX_CASE_BYTES).
CAMPAIGN_BODY_BYTES = 256 * 1024


def save_campaign(store: TallyStore, campaign_id: str, data, now, report_shards: int,
                  default_timezone: str = "UTC", by: str = "staff") -> tuple[Campaign, bool]:
    """Create or update a campaign from a staff body; returns it and whether it is new.

    A campaign past its deadline is frozen (409: its case goes on in a Further
    Information update), and once reports exist its action types and targets can
    be added to but not taken away, so that every stored report keeps meaning what
    it meant. ``follow_up_of`` must name a campaign that exists, whose case has
    fewer than MAX_CASE_CAMPAIGNS campaigns, and is fixed once the campaign exists
    (its followers' ``case_id`` depends on it). A deadline moved is audited as ``by``.
    """
    existing = store.get_whole_campaign(campaign_id) if validate_campaign_id(campaign_id).errors == {} else None
    if existing is not None and not existing.accepts_reports_at(now):
        raise Conflict(f"Campaign '{campaign_id}' has closed and can no longer be changed; its case continues "
                       "through a Further Information update (a new campaign with follow_up_of).",
                       fields={"campaign_id": "closed"}, code="campaign_closed")
    incoming = parse_campaign(campaign_id, data, now, report_shards, default_timezone)
    if existing is not None and incoming.follow_up_of != existing.follow_up_of:
        raise ValidationFailed({"follow_up_of": "is fixed when the campaign is created "
                                                f"(it is {existing.follow_up_of or 'none'}): a campaign keeps "
                                                "its place in its case"})
    incoming = replace(incoming, case_id=_case_of(store, incoming, existing))
    if existing is None:
        try:
            store.create_campaign(incoming)
            return incoming, True
        except StaleWrite:
            raise Conflict("The campaign was created by another request at the same time; "
                           "fetch it and retry.", code="campaign_exists") from None
    _refuse_removals(store, existing, incoming)
    updated = replace(apply_update(existing, incoming, now), case_id=incoming.case_id)
    try:
        store.replace_campaign(updated, existing, now, by)
    except StaleWrite:
        raise Conflict("The campaign changed or closed while this update was made; "
                       "fetch it and retry.", code="campaign_changed") from None
    return updated, False


def _case_of(store: TallyStore, incoming: Campaign, existing: Campaign | None) -> str | None:
    """The ``case_id`` to store: None for a campaign that follows none; its own, kept, once
    known; else its parent's case (ValidationFailed if the parent is missing or its case full)."""
    if not incoming.follow_up_of:
        return None
    if existing is not None and existing.case_id:
        return existing.case_id
    parent = store.get_whole_campaign(incoming.follow_up_of)
    if parent is None:
        raise ValidationFailed({"follow_up_of": f"there is no campaign '{incoming.follow_up_of}'"})
    root = store.case_root(parent)
    if existing is None and len(store.case_followers(root)) + 1 >= MAX_CASE_CAMPAIGNS:
        raise ValidationFailed({"follow_up_of": f"the case of '{root}' has {MAX_CASE_CAMPAIGNS} campaigns "
                                                "already, the most a case may have"})
    return root


def campaign_response(store: TallyStore, settings, campaign_id: str, request, now, by: str = "staff"):
    """``PUT /staff/campaigns/{id}``: 201 created, 200 updated, as the staff view. ``by``
    (who the staff token says made it) is kept in the audit trail when the deadline moves."""
    _, data = read_body(request, CAMPAIGN_BODY_BYTES)
    campaign, created = save_campaign(store, campaign_id, data, now, settings.report_shards,
                                      settings.default_timezone, by)
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
