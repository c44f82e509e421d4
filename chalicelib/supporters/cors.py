"""Cross-origin access per campaign: a browser on one of the campaign's
``allowed_origins`` may call its public routes; every other origin is refused.

Chalice's own ``CORSConfig`` is one static list for the whole API, so the
headers are set here from the campaign itself.
"""
import functools

from chalice import Response

from chalicelib.counting.intake import campaign_as_of
from chalicelib.domain import clock
from chalicelib.domain.campaign import Campaign, normalise_origin
from chalicelib.domain.errors import ApiError, shown
from chalicelib.web.identifiers import campaign_named
from chalicelib.web.responses import error_response, json_errors

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Content-Type, Accept"
PREFLIGHT_MAX_AGE = 600


class OriginNotAllowed(ApiError):
    status, code = 403, "origin_not_allowed"

    def __init__(self, origin):
        super().__init__(f"Pages on {shown(origin)} may not use this campaign; staff can add the origin "
                         "to the campaign's allowed_origins.", fields={"origin": "not allowed"})


def allowed_origin(request, campaign: Campaign | None) -> str | None:
    """The request's ``Origin``, if the campaign allows it."""
    origin = request.headers.get("origin")
    if origin and campaign is not None and normalise_origin(origin) in campaign.allowed_origins:
        return origin
    return None


def is_foreign(request, campaign: Campaign | None) -> bool:
    """Sent by a browser from a page that is neither ours nor the campaign's partners'."""
    origin = request.headers.get("origin")
    if not origin or allowed_origin(request, campaign):
        return False
    own_host = (request.headers.get("host") or "").lower()
    return origin.lower().split("://", 1)[-1] != own_host


def with_headers(response: Response, request, campaign: Campaign | None) -> Response:
    """Let the campaign's partner pages read ``response``; nobody else."""
    vary = response.headers.get("Vary")
    response.headers["Vary"] = f"{vary}, Origin" if vary else "Origin"
    origin = allowed_origin(request, campaign)
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
    return response


def preflight(request, store, campaign_id: str) -> Response:
    """Answer a CORS preflight: 204 for an allowed origin, 403 for any other (and for no campaign)."""
    campaign = campaign_named(store, campaign_id) if request.headers.get("origin") else None
    origin = allowed_origin(request, campaign)
    if origin is None:
        response = error_response(OriginNotAllowed(request.headers.get("origin") or "(no origin)"))
        response.headers["Vary"] = "Origin"
        return response
    return Response(body="", status_code=204, headers={
        "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": ALLOWED_METHODS,
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE), "Vary": "Origin"})


def partner_route(app, store):
    """Decorate a public ``/campaigns/{campaign_id}...`` route with the campaign's CORS.

    The campaign is looked up only when the request names an ``Origin`` (browsers
    send one cross-origin and on every POST), as this container remembers it; a
    POST from a page that is neither ours nor a partner's is refused, on a fresh
    read (the origin may have just been added), before anything is recorded.
    """
    def decorate(view):
        answer = json_errors(view)

        @functools.wraps(view)
        def wrapper(campaign_id):
            request = app.current_request
            now = clock.now()
            campaign = campaign_as_of(store(), campaign_id, now) if request.headers.get("origin") else None
            if request.method == "POST" and is_foreign(request, campaign):
                # remembered as foreign: read it again, once (one not found was read just now)
                campaign = store().recent_campaign(campaign_id, now, 0) if campaign is not None else None
                if is_foreign(request, campaign):
                    raise OriginNotAllowed(request.headers["origin"])
            return with_headers(answer(campaign_id), request, campaign)
        return json_errors(wrapper)
    return decorate
