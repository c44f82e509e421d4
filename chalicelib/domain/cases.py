"""A case: an Urgent Action and the Further Information updates that follow it, as one chain.

The chain is the case's first campaign, then every campaign whose ``follow_up_of`` leads
back to it, oldest first (by creation: a follow-up is always created after the campaign it
follows, which must exist), the deadline breaking a tie. Its total is the sum of each
campaign's current totals; the public sees it with small cells withheld as on each
campaign (:func:`chalicelib.domain.disclosure.withhold_sum`).
"""
from chalicelib.domain import clock
from chalicelib.domain.campaign import OPEN, Campaign
from chalicelib.domain.disclosure import withhold_sum

# A case longer than this is a mistake (UA cases run to a handful of updates): a new
# follow-up beyond it is refused, and GET /cases/{id} reads at most this many.
MAX_CASE_CAMPAIGNS = 50


def chain(root: Campaign, followers: list[Campaign]) -> list[Campaign]:
    """The case in order: ``root`` first, then its ``followers`` oldest first."""
    rest = sorted((c for c in followers if c.campaign_id != root.campaign_id),
                  key=lambda c: (c.created_at, c.deadline, c.campaign_id))
    return [root, *rest][:MAX_CASE_CAMPAIGNS]


def continuation(campaigns: list[Campaign], closed: Campaign, moment) -> Campaign | None:
    """The open update a closed campaign's page points to: the newest campaign of its case
    still taking reports at ``moment`` (None if none is)."""
    open_ones = [c for c in campaigns if c.campaign_id != closed.campaign_id and c.status_at(moment) == OPEN]
    return open_ones[-1] if open_ones else None


def case_view(asked: str, entries: list[tuple[Campaign, dict]], moment) -> dict:
    """``GET /cases/{id}``: each campaign (with its public totals view) and the case total."""
    views = [totals for _, totals in entries]
    return {
        "case_of": asked,
        "campaigns": [{"campaign_id": c.campaign_id, "reference": c.reference, "title": c.title,
                       "deadline": clock.format_public(c.deadline), "status": c.status_at(moment),
                       "totals": totals} for c, totals in entries],
        "total": {"reports": sum(v["reports"] for v in views),
                  "actions_total": sum(v["actions_total"] for v in views),
                  "actions": withhold_sum([v["actions"] for v in views]),
                  "people": sum(v["people"] for v in views)},
    }
