"""Action Tally: routes and the scheduled job. All logic lives in chalicelib/."""
from chalice import Chalice, Rate

from chalicelib.counting import abuse
from chalicelib.domain import clock
from chalicelib.staff import dashboard, review, sessions
from chalicelib.supporters import cors, form_page
from chalicelib.supporters.assets import static_file
from chalicelib.staff.auth import authenticate, gateway_decision
from chalicelib.staff.campaign_admin import save_campaign
from chalicelib.domain.errors import CampaignNotFound
from chalicelib.staff.exports import reports_response, totals_response
from chalicelib.counting.intake import submit_report
from chalicelib.runtime.observability import observe
from chalicelib.privacy.erasure import erase_supporter, parse_erasure_request
from chalicelib.runtime.process import notifier, settings, store
from chalicelib.counting.tallying import current_totals, run_tally
from chalicelib.web.bodies import FORM, JSON, json_errors, json_response, read_body, source_ip

app = Chalice(app_name="action-tally")
observe(app)   # JSON logs and EMF metrics for every request and scheduled run
ANY_BODY = ["*/*"]  # bodies are checked in chalicelib.web.bodies, so errors keep one shape


def _campaign(campaign_id):
    campaign = store().get_campaign(campaign_id)
    if campaign is None:
        raise CampaignNotFound(campaign_id)
    return campaign


# Every /staff route but the sign-in page carries one of these authorizers, which API
# Gateway (and `make run`, and the tests) runs before the view; the view checks again
# (see README, "Staff side").
@app.authorizer(ttl_seconds=0)
def staff_token(auth_request):
    return gateway_decision(authenticate, store(), auth_request.token, clock.now())


@app.authorizer(ttl_seconds=0, header="Cookie")
def staff_session(auth_request):
    return gateway_decision(sessions.session_staff, store(), auth_request.token, clock.now())


def _require_staff():
    return authenticate(store(), app.current_request.headers.get("authorization"), clock.now())


def _require_session():
    sessions.session_staff(store(), app.current_request.headers.get("cookie"), clock.now())


_for_partners = cors.partner_route(app, store)   # per-campaign CORS on public routes


@app.route("/campaigns/{campaign_id}", methods=["GET"])
@_for_partners
def get_campaign(campaign_id):
    view = _campaign(campaign_id).public_view(clock.now())
    if view["status"] == "open":
        view["form_token"] = abuse.issue_form_token(settings(), campaign_id, clock.now())
    return json_response(view, headers={"Cache-Control": "no-store"})


@app.route("/campaigns/{campaign_id}/form", methods=["GET"])
@_for_partners
def get_form(campaign_id):
    campaign = store().get_campaign(campaign_id)
    page = form_page.PageRequest.of(app.current_request, campaign)
    if campaign is None:
        return form_page.not_found(campaign_id, page)
    if not campaign.accepts_reports_at(clock.now()):
        return form_page.closed(campaign, current_totals(store(), campaign).public_view(campaign), page, 200)
    return form_page.form(campaign, settings(), page)


@app.route("/campaigns/{campaign_id}/reports", methods=["POST"], content_types=ANY_BODY)
@_for_partners
def post_report(campaign_id):
    request = app.current_request
    if form_page.wants_page(request):
        return form_page.post_form(store(), settings(), campaign_id, request)
    _, data = read_body(request, settings().max_body_bytes, accepted=(JSON, FORM))
    receipt = submit_report(store(), settings(), campaign_id, data, client_ip=source_ip(request))
    return json_response(receipt.body(), 201 if receipt.created else 200)


@app.route("/campaigns/{campaign_id}/totals", methods=["GET"])
@_for_partners
def get_totals(campaign_id):
    campaign = _campaign(campaign_id)
    cache = f"public, max-age={settings().tally_interval_seconds}"
    return json_response(current_totals(store(), campaign).public_view(campaign),
                         headers={"Cache-Control": cache})


@app.route("/campaigns/{campaign_id}", methods=["OPTIONS"])
@app.route("/campaigns/{campaign_id}/form", methods=["OPTIONS"])
@app.route("/campaigns/{campaign_id}/reports", methods=["OPTIONS"])
@app.route("/campaigns/{campaign_id}/totals", methods=["OPTIONS"])
@json_errors
def preflight(campaign_id):
    return cors.preflight(app.current_request, store().get_campaign(campaign_id))


@app.route("/embed.js", methods=["GET"])
def embed_js():
    return static_file("embed.js", app.current_request.headers.get("if-none-match"))


@app.route("/staff/campaigns/{campaign_id}", methods=["PUT"], content_types=ANY_BODY, authorizer=staff_token)
@json_errors
def put_campaign(campaign_id):
    _require_staff()
    _, data = read_body(app.current_request, settings().max_body_bytes)
    campaign, created = save_campaign(store(), campaign_id, data, clock.now(), settings().report_shards)
    return json_response(campaign.staff_view(clock.now()), 201 if created else 200)


@app.route("/staff/campaigns/{campaign_id}/totals", methods=["GET"], authorizer=staff_token)
@json_errors
def get_staff_totals(campaign_id):
    _require_staff()
    return totals_response(store(), _campaign(campaign_id), app.current_request)


@app.route("/staff/campaigns/{campaign_id}/reports", methods=["GET"], authorizer=staff_token)
@json_errors
def get_staff_reports(campaign_id):
    _require_staff()
    return reports_response(store(), _campaign(campaign_id), app.current_request)


@app.route("/staff/campaigns/{campaign_id}/flagged", methods=["GET"], authorizer=staff_token)
@json_errors
def get_staff_flagged(campaign_id):
    _require_staff()
    return review.flagged_response(store(), _campaign(campaign_id), app.current_request)


@app.route("/staff/campaigns/{campaign_id}/reports/{report_ref}/reinstate", methods=["POST"],
           content_types=ANY_BODY, authorizer=staff_token)
@json_errors
def post_reinstatement(campaign_id, report_ref):
    staff = _require_staff()
    _, data = read_body(app.current_request, settings().max_body_bytes)
    return review.reinstatement_response(store(), campaign_id, report_ref, data, clock.now(), staff.label)


# -- the staff dashboard (browsers: a session cookie instead of the Bearer header) -------

@app.route("/staff/login", methods=["GET"])
def get_login():
    return dashboard.login_page()


@app.route("/staff/login", methods=["POST"], content_types=ANY_BODY)
def post_login():
    return dashboard.sign_in(store(), settings(), app.current_request, clock.now())


@app.route("/staff/logout", methods=["POST"], content_types=ANY_BODY, authorizer=staff_session)
@json_errors
def post_logout():
    return dashboard.sign_out(store(), app.current_request, clock.now())


@app.route("/staff/dashboard", methods=["GET"], authorizer=staff_session)
@json_errors
def get_dashboard():
    _require_session()
    return dashboard.campaign_list(store(), clock.now())


@app.route("/staff/dashboard/{campaign_id}", methods=["GET"], authorizer=staff_session)
@json_errors
def get_dashboard_campaign(campaign_id):
    _require_session()
    return dashboard.campaign_page(store(), _campaign(campaign_id), clock.now())


@app.route("/staff/dashboard/{campaign_id}/summary", methods=["GET"], authorizer=staff_session)
@json_errors
def get_dashboard_summary(campaign_id):
    _require_session()
    return dashboard.summary_page(store(), _campaign(campaign_id), clock.now())


@app.route("/staff/dashboard/{campaign_id}/flagged", methods=["GET"], authorizer=staff_session)
@json_errors
def get_dashboard_flagged(campaign_id):
    _require_session()
    return dashboard.flagged_page(store(), _campaign(campaign_id))


@app.route("/staff/dashboard/{campaign_id}/totals", methods=["GET"], authorizer=staff_session)
@json_errors
def get_dashboard_totals(campaign_id):
    _require_session()
    return totals_response(store(), _campaign(campaign_id), app.current_request)


@app.route("/staff/dashboard/{campaign_id}/reports", methods=["GET"], authorizer=staff_session)
@json_errors
def get_dashboard_reports(campaign_id):
    _require_session()
    return reports_response(store(), _campaign(campaign_id), app.current_request)


@app.route("/staff/erasures", methods=["POST"], content_types=ANY_BODY, authorizer=staff_token)
@json_errors
def post_erasure():
    staff = _require_staff()
    _, data = read_body(app.current_request, settings().max_body_bytes)
    record = erase_supporter(store(), parse_erasure_request(data), staff.label, clock.now())
    return json_response({"request_id": record.request_id, "reports_erased": record.reports_erased,
                          "erased_at": clock.format_public(record.erased_at)}, 201)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def tally(event):
    """Fold new reports into provisional totals; close campaigns past their deadline."""
    summary = run_tally(store(), settings(), clock.now(), notifier())
    return {"folded": summary.folded, "closed": summary.closed, "published": summary.published,
            "erased": summary.erased}
