"""What the totals routes show: the latest published final totals of a closed campaign,
or the provisional ones the stream folded while it is open (the invariants that make
them exact: :mod:`chalicelib.counting.tallying` and :mod:`chalicelib.counting.folding`).
"""
from chalicelib.domain.campaign import CLOSED, Campaign
from chalicelib.domain.totals import Tally, Totals
from chalicelib.storage import TallyStore

# Provisional totals are folded every few seconds (runtime.config.STREAM_BATCH); public pages
# may show them as a container read them this long ago (their Cache-Control allows a minute).
TOTALS_MEMORY_SECONDS = 10


def current_totals(store: TallyStore, campaign: Campaign, now=None, max_age_seconds: float = 0) -> Totals:
    """What the totals endpoints show: the latest published final, or provisional. With
    ``now`` and ``max_age_seconds``, provisional totals this process read at most that long
    ago will do (the public pages: TOTALS_MEMORY_SECONDS)."""
    if campaign.state == CLOSED:
        return store.latest_final(campaign.campaign_id)
    if now is not None and max_age_seconds:
        provisional = store.recent_provisional(campaign.campaign_id, now, max_age_seconds)
    else:
        provisional = store.get_provisional(campaign.campaign_id)
    if provisional is None:
        return Totals(campaign.campaign_id, Tally(), False, None)
    return Totals(campaign.campaign_id, provisional.shown, False, provisional.as_of)


def staff_totals(store: TallyStore, campaign: Campaign, totals: Totals | None = None) -> dict:
    """Every figure, for staff: :func:`current_totals`' staff view (of ``totals`` when the caller
    has them) and, once closed, the late reports that came since the latest version (folded by
    the stream, not yet published)."""
    totals = totals or current_totals(store, campaign)
    view = totals.staff_view(campaign)
    if campaign.state == CLOSED:
        provisional = store.get_provisional(campaign.campaign_id)
        came = provisional.shown if provisional else Tally()
        published = totals.tally
        view["late_reports_unpublished"] = {
            "reports": max(0, came.late_reports - published.late_reports),
            "actions_total": max(0, came.late_actions - published.late_actions),
            "people": max(0, came.late_people - published.late_people)}
    return view
