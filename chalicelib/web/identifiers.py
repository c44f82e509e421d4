"""The campaign a request's path names, checked before storage is asked: an id that no
campaign can have (see ``is_campaign_id``) is answered as an unknown one is, 404, without a
DynamoDB request. Every route that reads a campaign named in its path comes through here;
tests/api/test_hostile_ids.py tries every route. (A report ref that no report can have is
refused likewise, in ``counting.decisions.find_report``, once the campaign is known.)"""
from chalicelib.domain.campaign import Campaign, is_campaign_id
from chalicelib.domain.errors import CampaignNotFound
from chalicelib.storage import TallyStore


def campaign_named(store: TallyStore, campaign_id: str, *, whole: bool = False) -> Campaign | None:
    """The campaign ``campaign_id`` names, or None; an id no campaign can have is not looked up.
    ``whole`` reads the case beside it too (contacts, letters: not needed to take a report)."""
    if not is_campaign_id(campaign_id):
        return None
    return store.get_whole_campaign(campaign_id) if whole else store.get_campaign(campaign_id)


def existing_campaign(store: TallyStore, campaign_id: str, *, whole: bool = False) -> Campaign:
    """The campaign, or CampaignNotFound (404)."""
    campaign = campaign_named(store, campaign_id, whole=whole)
    if campaign is None:
        raise CampaignNotFound(campaign_id)
    return campaign


def check_campaign_id(campaign_id: str) -> None:
    """CampaignNotFound (404) for an id no campaign can have, before a route that reads
    the campaign later (a staff decision) does any work."""
    if not is_campaign_id(campaign_id):
        raise CampaignNotFound(campaign_id)
