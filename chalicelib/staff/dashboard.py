"""The staff dashboard: server-rendered pages behind the staff session cookie.

Links are relative (``root`` climbs back to ``/staff/``), so the pages work
under API Gateway's stage prefix (``/api/staff/...``) as well as locally.
"""
from chalice import Response

from chalicelib.counting.shown import current_totals, staff_totals
from chalicelib.domain import clock
from chalicelib.domain.campaign import OPEN, Campaign
from chalicelib.domain.errors import ApiError, ServiceUnavailable, Unauthorized
from chalicelib.staff import sessions
from chalicelib.domain.officials import UNATTRIBUTED
from chalicelib.staff.charts import actions_by_official, reports_over_time
from chalicelib.staff.review import flagged_view
from chalicelib.staff.summary import chosen_targets, official_summaries
from chalicelib.staff.tallies import offline_view
from chalicelib.storage import StorageUnavailable, TallyStore
from chalicelib.web import i18n, pages
from chalicelib.web.bodies import FORM, read_body
from chalicelib.web.outcomes import OUTCOME_LABELS

_LOGIN_BODY_BYTES = 4096
AUDIT_ACTIONS = {"void": "voided", "reinstate": "reinstated", "deadline_moved": "deadline moved",
                 "outcome": "outcome recorded", "tally": "offline tally entered"}
_FLAGGED_SHOWN = 500   # on the page; the JSON route pages through any number


def _page(template, status=200, **context):
    # Staff pages are written in English, untranslated; only the printable summary speaks
    # other languages, one section each (see chalicelib/staff/summary.py).
    html = pages.render(f"staff/{template}", i18n.language(i18n.DEFAULT), pages.STAFF, **context)
    return pages.html_response(html, status, inlined=pages.STAFF)


def login_page(error=None, status=200):
    return _page("login.html", status, error=error, root="")


def sign_in(store: TallyStore, settings, request, now):
    """The sign-in form's POST: a session cookie for a valid token, else the form again."""
    # Browsers say where a POST comes from; only our own pages may sign a browser in.
    if not sessions.same_origin(request):
        return login_page("Sign in from this site's own sign-in page.", 403)
    try:
        _, form = read_body(request, _LOGIN_BODY_BYTES, accepted=(FORM,))
        token = (form.get("token") or [""])[0].strip()
        session_id, session = sessions.sign_in(store, token, now)
    except Unauthorized:
        return login_page("That token is not valid: it is unknown, revoked or expired.", 401)
    except ApiError as error:
        return login_page(error.message, error.status)
    except StorageUnavailable:
        return login_page(ServiceUnavailable().message, 503)
    return Response(body="", status_code=303, headers={
        "Location": "dashboard", "Cache-Control": "no-store",
        "Set-Cookie": sessions.set_cookie(session_id, session, now)})


def sign_out(store: TallyStore, request, now):
    sessions.sign_out(store, request.headers.get("cookie"), now)
    return Response(body="", status_code=303, headers={
        "Location": "login", "Cache-Control": "no-store", "Set-Cookie": sessions.clear_cookie()})


def campaign_list(store: TallyStore, now):
    """Every campaign, open ones first: reference, title, deadline, status, reports and actions so far."""
    rows = []
    for campaign in store.campaigns(OPEN) + store.campaigns("closed")[::-1]:
        totals = current_totals(store, campaign)
        rows.append({"campaign": campaign, "status": campaign.status_at(now), "totals": totals,
                     "deadline": clock.format_public(campaign.deadline)})
    return _page("campaigns.html", rows=rows, root="", now=clock.format_public(now))


def campaign_page(store: TallyStore, campaign: Campaign, now, request=None):
    """One campaign: totals by action type, target (and what reached each official) and country,
    reports over time, a summary to print per official, and the snippets that embed its form."""
    totals = current_totals(store, campaign)
    view = staff_totals(store, campaign, totals)
    end = min(now, campaign.deadline).date()
    charts = reports_over_time(totals.tally.by_day, min(campaign.created_at.date(), end), end)
    names = {target.id: target.name for target in campaign.targets}
    names[UNATTRIBUTED] = "Several at once (unattributed)"
    by_official = actions_by_official(view["by_target_action"], names, campaign.actions)
    return _page("campaign.html", root="../", campaign=campaign, view=view, totals=totals, charts=charts,
                 by_official=by_official, official_names=names,
                 campaign_status=campaign.status_at(now), versions=store.final_versions(campaign.campaign_id),
                 audit=store.audit_entries(campaign.campaign_id), outcome=store.get_outcome(campaign.campaign_id),
                 case=store.case_campaigns(campaign), now=now, outcome_labels=OUTCOME_LABELS,
                 audit_actions=AUDIT_ACTIONS, offline=offline_view(store, campaign),
                 deadline=clock.format_public(campaign.deadline), fmt=clock.format_public,
                 embed=embed_snippets(campaign, service_url(request)))


def service_url(request) -> str:
    """The service's own address, as the browser reached it (API Gateway's stage prefix included)."""
    headers = request.headers if request is not None else {}
    host = headers.get("host") or "API"
    local = host.split(":")[0] in ("127.0.0.1", "localhost")
    scheme = headers.get("x-forwarded-proto") or ("http" if local else "https")
    path = ((request.context or {}).get("path") if request is not None else "") or ""
    prefix = path[:path.find("/staff/")] if "/staff/" in path else ""
    return f"{scheme}://{host}{prefix}/"


def embed_snippets(campaign: Campaign, base: str) -> dict:
    """What a partner pastes: the script tag (the form drawn into their page) and a plain iframe."""
    form = f"{base}campaigns/{campaign.campaign_id}/form?lang={campaign.languages[0]}"
    origin = base.split("/", 3)
    origin = f"{origin[0]}//{origin[2]}"
    return {
        "script": f'<script src="{base}embed.js" data-campaign="{campaign.campaign_id}" defer></script>',
        "iframe": (f'<iframe id="action-tally" title="{campaign.reference}: report your action" '
                   f'style="width:100%;border:0;height:60rem" allow="clipboard-write" src="{form}"></iframe>\n'
                   '<script>\naddEventListener("message", function (e) {\n'
                   f'  if (e.origin === "{origin}" && e.data && e.data.type === "action-tally:height")\n'
                   '    document.getElementById("action-tally").style.height = e.data.height + "px";\n});\n</script>'),
        "origins": list(campaign.allowed_origins),
    }


def summary_page(store: TallyStore, settings, campaign: Campaign, request):
    """The printable summary for officials (``?target=``: for that one only), a page each, in
    the letter language and in English; 422 naming ``target`` if it names none of them.
    ``campaign`` is read whole: the summary greets each official with their salutation."""
    targets = chosen_targets(campaign, (request.query_params or {}).get("target"))
    summaries = official_summaries(campaign, current_totals(store, campaign), targets, settings.small_cell_min,
                                   settings.organisation_name)
    return _page("summary.html", root="../../", campaign=campaign, summaries=summaries,
                 organisation=settings.organisation_name)


def flagged_page(store: TallyStore, campaign: Campaign):
    """The campaign's flagged reports for review, with how to count a wrongly flagged one."""
    view = flagged_view(store, campaign, limit=_FLAGGED_SHOWN)
    return _page("flagged.html", root="../../", campaign=campaign, view=view, shown=_FLAGGED_SHOWN)
