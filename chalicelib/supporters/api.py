"""The JSON answers partner pages and ``embed.js`` read: a campaign's public facts
(with a fresh form token while it is open), its public totals, and a report's receipt."""
from chalicelib.counting import abuse
from chalicelib.counting.intake import campaign_as_of, submit_report
from chalicelib.counting.shown import TOTALS_MEMORY_SECONDS, current_totals
from chalicelib.domain import clock
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.errors import CampaignNotFound
from chalicelib.storage import TallyStore
from chalicelib.web.bodies import FORM, JSON, read_body, source_ip
from chalicelib.web.identifiers import existing_campaign
from chalicelib.web.responses import json_response


def remembered_campaign(store: TallyStore, campaign_id: str, now) -> Campaign:
    """The campaign as a public route may have it at ``now`` (:func:`campaign_as_of`:
    perhaps from this container's memory), or CampaignNotFound (404)."""
    campaign = campaign_as_of(store, campaign_id, now)
    if campaign is None:
        raise CampaignNotFound(campaign_id)
    return campaign


def campaign_response(store: TallyStore, settings, campaign_id: str):
    """``GET /campaigns/{id}``: the whole case, never cached, as the form token in it is fresh."""
    now = clock.now()
    campaign = existing_campaign(store, campaign_id, whole=True)
    view = campaign.public_view(now)
    # Until when a report of actions taken before the deadline is still taken (late), if ever.
    days = campaign.late_days(settings.late_report_days)
    view["late_reports_until"] = clock.format_public(campaign.late_reports_until(settings.late_report_days)) \
        if days else None
    if view["status"] == "open" or campaign.takes_late_reports_at(now, settings.late_report_days):
        view["form_token"] = abuse.issue_form_token(settings, campaign_id, now)
    return json_response(view, headers={"Cache-Control": "no-store"})


def totals_response(store: TallyStore, settings, campaign_id: str):
    """``GET /campaigns/{id}/totals``: cacheable for one scheduler interval, which is how old it may be;
    small breakdown cells withheld (see chalicelib.domain.disclosure)."""
    now = clock.now()
    campaign = remembered_campaign(store, campaign_id, now)
    cache = f"public, max-age={settings.tally_interval_seconds}"
    totals = current_totals(store, campaign, now, TOTALS_MEMORY_SECONDS)
    return json_response(totals.public_view(campaign, settings.small_cell_min), headers={"Cache-Control": cache})


def report_response(store: TallyStore, settings, campaign_id: str, request):
    """``POST /campaigns/{id}/reports`` with a JSON (or form) body answered in JSON: 201, or 200 for a replay."""
    _, data = read_body(request, settings.max_body_bytes, accepted=(JSON, FORM))
    receipt = submit_report(store, settings, campaign_id, data, client_ip=source_ip(request))
    return json_response(receipt.body(), 201 if receipt.created else 200)
