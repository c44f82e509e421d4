"""The campaigns of a case: an Urgent Action and the Further Information updates that follow it.

A campaign that follows another (``follow_up_of``) carries ``case_id``, the id of the
case's first campaign, written when it is created (its parent's ``case_id``, or the
parent's own id): so the sparse ``campaigns_by_case`` index holds every follow-up of a
case under one key, by creation, and one query finds them, whatever the chain's shape.
The first campaign carries none (it is read by its id). A follow-up stored before
``case_id`` existed gains it at its next edit; until then :meth:`case_root` finds its
case by walking ``follow_up_of`` up (at most MAX_CASE_CAMPAIGNS reads).
"""
from typing import Callable

from boto3.dynamodb.conditions import Key

from chalicelib.domain.campaign import Campaign
from chalicelib.domain.cases import MAX_CASE_CAMPAIGNS, chain
from chalicelib.storage.campaigns import campaign_from_item
from chalicelib.storage.schema import CAMPAIGNS_BY_CASE
from chalicelib.storage.table import Table


class CaseStorage:
    _table: Table
    get_whole_campaign: Callable[[str], Campaign | None]
    get_campaign: Callable[[str], Campaign | None]

    def case_campaigns(self, campaign: Campaign) -> list[Campaign]:
        """Every campaign of ``campaign``'s case, first to last (``campaign`` among them; the
        others read without their case sheets)."""
        root_id = self.case_root(campaign)
        root = campaign if root_id == campaign.campaign_id else self.get_campaign(root_id) or campaign
        campaigns = chain(root, self.case_followers(root.campaign_id))
        if all(c.campaign_id != campaign.campaign_id for c in campaigns):   # a follow-up stored before case_id
            campaigns.append(campaign)
        return campaigns

    def case_followers(self, root_id: str) -> list[Campaign]:
        """The follow-ups of the case whose first campaign is ``root_id``, oldest first
        (at most MAX_CASE_CAMPAIGNS; read without their case sheets)."""
        page = self._table.query_page(IndexName=CAMPAIGNS_BY_CASE, Limit=MAX_CASE_CAMPAIGNS,
                                      KeyConditionExpression=Key("case_id").eq(root_id))
        return [campaign_from_item(item) for item in page["Items"]]

    def case_root(self, campaign: Campaign) -> str:
        """The id of the first campaign of ``campaign``'s case (read whole: ``follow_up_of``
        is in its case sheet)."""
        if campaign.case_id or not campaign.follow_up_of:
            return campaign.case_root
        seen, current = {campaign.campaign_id}, campaign
        while current.follow_up_of and current.follow_up_of not in seen and len(seen) < MAX_CASE_CAMPAIGNS:
            parent = self.get_whole_campaign(current.follow_up_of)
            if parent is None:
                break
            if parent.case_id:
                return parent.case_id
            seen.add(parent.campaign_id)
            current = parent
        return current.campaign_id
