"""Action Tally: the routes, the scheduled job and the stream fold, and nothing else. Each
view hands the request to the package that owns it (docs/architecture.md says which),
loaded when a view first needs it (chalicelib.runtime.lazy)."""
from chalice import Chalice, Rate

from chalicelib.domain import clock
from chalicelib.runtime.config import STREAM_BATCH, deployed_stream_arn
from chalicelib.runtime.lazy import lazy
from chalicelib.runtime.observability import observe
from chalicelib.runtime.process import notifier, settings, store
from chalicelib.supporters import cors
from chalicelib.web import identifiers
from chalicelib.web.bodies import bodies_checked_here
from chalicelib.web.responses import json_errors

api, form_page, assets, cases = (lazy(f"chalicelib.supporters.{name}") for name in (
    "api", "form_page", "assets", "cases"))
campaign_admin, dashboard, drafts, erasure, exports, new_campaign, review, sessions, auth, outcomes = (
    lazy(f"chalicelib.staff.{name}") for name in (
        "campaign_admin", "dashboard", "drafts", "erasure", "exports", "new_campaign", "review", "sessions", "auth",
        "outcomes"))
tallies, tally_page = lazy("chalicelib.staff.tallies"), lazy("chalicelib.staff.tally_page")
folding, tallying = lazy("chalicelib.counting.folding"), lazy("chalicelib.counting.tallying")

app = Chalice(app_name="action-tally")
observe(app)   # JSON logs and EMF metrics for every request, scheduled run and stream batch
ANY_BODY = ["*/*"]  # bodies are checked in chalicelib.web.bodies, so errors keep one shape


# Every /staff route but the sign-in page carries one of these authorizers, which API
# Gateway (and `make run`, and the tests) runs before the view; the view checks again
# (see docs/staff.md).
@app.authorizer(ttl_seconds=0)
def staff_token(auth_request):
    return auth.gateway_decision(auth.authenticate, store(), auth_request.token, clock.now())


@app.authorizer(ttl_seconds=0, header="Cookie")
def staff_session(auth_request):
    return auth.gateway_decision(sessions.session_staff, store(), auth_request.token, clock.now())


def _require_staff():
    return auth.authenticate(store(), app.current_request.headers.get("authorization"), clock.now())


def _require_session():
    return sessions.session_staff(store(), app.current_request.headers.get("cookie"), clock.now())


def _campaign(campaign_id):
    return identifiers.existing_campaign(store(), campaign_id)


_for_partners = cors.partner_route(app, store)   # per-campaign CORS on public routes


# -- supporters and partner pages ---------------------------------------------------------

@app.route("/campaigns/{campaign_id}", methods=["GET"])
@_for_partners
def get_campaign(campaign_id):
    return api.campaign_response(store(), settings(), campaign_id)


@app.route("/campaigns/{campaign_id}/form", methods=["GET"])
@_for_partners
def get_form(campaign_id):
    return form_page.form_response(store(), settings(), campaign_id, app.current_request)


@app.route("/campaigns/{campaign_id}/reports", methods=["POST"], content_types=ANY_BODY)
@_for_partners
def post_report(campaign_id):
    if form_page.wants_page(app.current_request):
        return form_page.post_form(store(), settings(), campaign_id, app.current_request)
    return api.report_response(store(), settings(), campaign_id, app.current_request)


@app.route("/campaigns/{campaign_id}/totals", methods=["GET"])
@_for_partners
def get_totals(campaign_id):
    return api.totals_response(store(), settings(), campaign_id)


@app.route("/cases/{campaign_id}", methods=["GET"])
@_for_partners
def get_case(campaign_id):
    return cases.case_response(store(), settings(), campaign_id)


@app.route("/campaigns/{campaign_id}", methods=["OPTIONS"])
@app.route("/cases/{campaign_id}", methods=["OPTIONS"])
@app.route("/campaigns/{campaign_id}/form", methods=["OPTIONS"])
@app.route("/campaigns/{campaign_id}/reports", methods=["OPTIONS"])
@app.route("/campaigns/{campaign_id}/totals", methods=["OPTIONS"])
@json_errors
def preflight(campaign_id):
    return cors.preflight(app.current_request, store(), campaign_id)


@app.route("/embed.js", methods=["GET"])
def embed_js():
    return assets.static_file("embed.js", app.current_request.headers.get("if-none-match"))


# -- staff: the JSON API (Authorization: Bearer <staff token>) ---------------------------

@app.route("/staff/campaigns/{campaign_id}", methods=["PUT"], content_types=ANY_BODY, authorizer=staff_token)
@json_errors
def put_campaign(campaign_id):
    staff = _require_staff()
    return campaign_admin.campaign_response(store(), settings(), campaign_id, app.current_request, clock.now(),
                                            f"staff token: {staff.label}")


@app.route("/staff/campaigns/{campaign_id}/outcome", methods=["PUT"], content_types=ANY_BODY,
           authorizer=staff_token)
@json_errors
def put_outcome(campaign_id):
    staff = _require_staff()
    return outcomes.outcome_response(store(), campaign_id, app.current_request, clock.now(),
                                     f"staff token: {staff.label}")


@app.route("/staff/campaign-drafts", methods=["POST"], content_types=ANY_BODY, authorizer=staff_token)
@json_errors
def post_campaign_draft():
    _require_staff()
    return drafts.draft_response(store(), settings(), app.current_request, clock.now())


@app.route("/staff/campaigns/{campaign_id}/totals", methods=["GET"], authorizer=staff_token)
@json_errors
def get_staff_totals(campaign_id):
    _require_staff()
    return exports.totals_response(store(), _campaign(campaign_id), app.current_request)


@app.route("/staff/campaigns/{campaign_id}/reports", methods=["GET"], authorizer=staff_token)
@json_errors
def get_staff_reports(campaign_id):
    _require_staff()
    return exports.reports_response(store(), _campaign(campaign_id), app.current_request)


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
    return review.reinstatement_response(store(), settings(), campaign_id, report_ref, app.current_request,
                                         clock.now(), staff.label)


@app.route("/staff/campaigns/{campaign_id}/tallies", methods=["POST"], content_types=ANY_BODY, authorizer=staff_token)
@json_errors
def post_tallies(campaign_id):
    staff = _require_staff()
    return tallies.tallies_response(store(), settings(), campaign_id, app.current_request, clock.now(), staff.label)


@app.route("/staff/erasures", methods=["POST"], content_types=ANY_BODY, authorizer=staff_token)
@json_errors
def post_erasure():
    staff = _require_staff()
    return erasure.erasure_response(store(), settings(), app.current_request, staff.label, clock.now())


@app.route("/staff/erasures/{request_id}", methods=["GET"], authorizer=staff_token)
@json_errors
def get_erasure(request_id):
    _require_staff()
    return erasure.erasure_status_response(store(), request_id)


# -- staff: the dashboard (browsers: a session cookie instead of the Bearer header) -------

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
    return dashboard.campaign_page(store(), _campaign(campaign_id), clock.now(), app.current_request)


@app.route("/staff/new-campaign", methods=["GET"], authorizer=staff_session)
@json_errors
def get_new_campaign():
    _require_session()
    return new_campaign.paste_page(app.current_request)


@app.route("/staff/new-campaign", methods=["POST"], content_types=ANY_BODY, authorizer=staff_session)
@json_errors
def post_new_campaign():
    _require_session()
    return new_campaign.read_sheet(store(), settings(), app.current_request, clock.now())


@app.route("/staff/new-campaign/create", methods=["POST"], content_types=ANY_BODY, authorizer=staff_session)
@json_errors
def post_new_campaign_create():
    _require_session()
    return new_campaign.create(store(), settings(), app.current_request, clock.now())


@app.route("/staff/dashboard/{campaign_id}/summary", methods=["GET"], authorizer=staff_session)
@json_errors
def get_dashboard_summary(campaign_id):
    _require_session()
    campaign = identifiers.existing_campaign(store(), campaign_id, whole=True)
    return dashboard.summary_page(store(), settings(), campaign, app.current_request)


@app.route("/staff/dashboard/{campaign_id}/flagged", methods=["GET"], authorizer=staff_session)
@json_errors
def get_dashboard_flagged(campaign_id):
    _require_session()
    return dashboard.flagged_page(store(), _campaign(campaign_id))


@app.route("/staff/dashboard/{campaign_id}/tallies", methods=["GET"], authorizer=staff_session)
@json_errors
def get_dashboard_tallies(campaign_id):
    _require_session()
    return tally_page.tallies_page(store(), _campaign(campaign_id), app.current_request, clock.now())


@app.route("/staff/dashboard/{campaign_id}/tallies", methods=["POST"], content_types=ANY_BODY, authorizer=staff_session)
@json_errors
def post_dashboard_tallies(campaign_id):
    staff = _require_session()
    return tally_page.enter(store(), settings(), _campaign(campaign_id), app.current_request, clock.now(), staff.label)


@app.route("/staff/dashboard/{campaign_id}/totals", methods=["GET"], authorizer=staff_session)
@json_errors
def get_dashboard_totals(campaign_id):
    _require_session()
    return exports.totals_response(store(), _campaign(campaign_id), app.current_request)


@app.route("/staff/dashboard/{campaign_id}/reports", methods=["GET"], authorizer=staff_session)
@json_errors
def get_dashboard_reports(campaign_id):
    _require_session()
    return exports.reports_response(store(), _campaign(campaign_id), app.current_request)


# -- the scheduled job and the stream ------------------------------------------------------

@app.schedule(Rate(1, unit=Rate.MINUTES))
def tally(event):
    """Fold new reports into provisional totals; close campaigns past their deadline."""
    return tallying.run_tally(store(), settings(), clock.now(), notifier()).as_dict()


@app.on_dynamodb_record(stream_arn=deployed_stream_arn(), name="fold", **STREAM_BATCH)
def fold(event):
    """Fold a batch of the table's stream into the campaigns' provisional totals."""
    return folding.fold_batch(store(), event.to_dict(), clock.now()).response()


bodies_checked_here(app)   # after every route: Chalice would refuse some Content-Types in its own shape
