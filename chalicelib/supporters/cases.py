"""``GET /cases/{campaign_id}``: the whole case any of its campaigns belongs to, and what
the closed form page of an earlier campaign needs of it (the update it continues in).

Reads are O(the case's length): the asked campaign (remembered 5 s, as the form page
remembers it), its case's first campaign, one query of the ``campaigns_by_case`` index
(chalicelib.storage.cases) and each campaign's current totals, as the totals route shows
them (remembered for TOTALS_MEMORY_SECONDS).
"""
from chalicelib.counting.intake import campaign_as_of
from chalicelib.counting.shown import TOTALS_MEMORY_SECONDS, current_totals
from chalicelib.domain import clock
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.cases import case_view, continuation
from chalicelib.domain.errors import CampaignNotFound
from chalicelib.storage import TallyStore
from chalicelib.web.responses import json_response


def continued_in(store: TallyStore, campaign: Campaign, now) -> Campaign | None:
    """The open update of ``campaign``'s case that its closed page points to, if any."""
    return continuation(store.case_campaigns(campaign), campaign, now)


def case_response(store: TallyStore, settings, campaign_id: str):
    """The case's campaigns, oldest first, with their public totals, and the case total;
    cacheable like the totals themselves."""
    now = clock.now()
    campaign = campaign_as_of(store, campaign_id, now, whole=True)   # as the form page has it (5 s)
    if campaign is None:
        raise CampaignNotFound(campaign_id)
    entries = [(c, current_totals(store, c, now, TOTALS_MEMORY_SECONDS).public_view(c, settings.small_cell_min))
               for c in store.case_campaigns(campaign)]
    return json_response(case_view(campaign.campaign_id, entries, now),
                         headers={"Cache-Control": f"public, max-age={settings.tally_interval_seconds}"})
