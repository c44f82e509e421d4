"""Action Tally: routes and the scheduled job. All logic lives in chalicelib/."""
from chalice import Chalice, Rate

from chalicelib import clock, form_page
from chalicelib.auth import authenticate
from chalicelib.campaign_admin import save_campaign
from chalicelib.errors import CampaignNotFound
from chalicelib.intake import submit_report
from chalicelib.privacy import erase_supporter, parse_erasure_request
from chalicelib.runtime import settings, store
from chalicelib.tallying import current_totals, run_tally
from chalicelib.totals import staff_csv
from chalicelib.web import (FORM, JSON, csv_response, export_format, json_errors, json_response,
                            media_type, read_body, source_ip)

app = Chalice(app_name="action-tally")
ANY_BODY = ["*/*"]  # bodies are checked in chalicelib.web, so errors keep one shape


def _campaign(campaign_id):
    campaign = store().get_campaign(campaign_id)
    if campaign is None:
        raise CampaignNotFound(campaign_id)
    return campaign


def _require_staff():
    return authenticate(store(), app.current_request.headers.get("authorization"), clock.now())


@app.route("/campaigns/{campaign_id}", methods=["GET"])
@json_errors
def get_campaign(campaign_id):
    return json_response(_campaign(campaign_id).public_view(clock.now()))


@app.route("/campaigns/{campaign_id}/form", methods=["GET"])
@json_errors
def get_form(campaign_id):
    campaign = store().get_campaign(campaign_id)
    if campaign is None:
        return form_page.not_found(campaign_id)
    if not campaign.accepts_reports_at(clock.now()):
        return form_page.closed(campaign, current_totals(store(), campaign).public_view(campaign), 200)
    return form_page.form(campaign, settings())


@app.route("/campaigns/{campaign_id}/reports", methods=["POST"], content_types=ANY_BODY)
@json_errors
def post_report(campaign_id):
    request = app.current_request
    if media_type(request) == FORM:
        return form_page.post_form(store(), settings(), campaign_id, request)
    _, data = read_body(request, settings().max_body_bytes, accepted=(JSON, FORM))
    receipt = submit_report(store(), settings(), campaign_id, data, client_ip=source_ip(request))
    return json_response(receipt.body(), 201 if receipt.created else 200)


@app.route("/campaigns/{campaign_id}/totals", methods=["GET"])
@json_errors
def get_totals(campaign_id):
    campaign = _campaign(campaign_id)
    cache = f"public, max-age={settings().tally_interval_seconds}"
    return json_response(current_totals(store(), campaign).public_view(campaign),
                         headers={"Cache-Control": cache})


@app.route("/staff/campaigns/{campaign_id}", methods=["PUT"], content_types=ANY_BODY)
@json_errors
def put_campaign(campaign_id):
    _require_staff()
    _, data = read_body(app.current_request, settings().max_body_bytes)
    campaign, created = save_campaign(store(), campaign_id, data, clock.now(), settings().report_shards)
    return json_response(campaign.staff_view(clock.now()), 201 if created else 200)


@app.route("/staff/campaigns/{campaign_id}/totals", methods=["GET"])
@json_errors
def get_staff_totals(campaign_id):
    _require_staff()
    campaign = _campaign(campaign_id)
    view = current_totals(store(), campaign).staff_view(campaign)
    if export_format(app.current_request) == "csv":
        return csv_response(staff_csv(view), f"{campaign_id}-totals.csv")
    return json_response(view, headers={"Cache-Control": "no-store"})


@app.route("/staff/erasures", methods=["POST"], content_types=ANY_BODY)
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
    summary = run_tally(store(), settings(), clock.now())
    return {"folded": summary.folded, "closed": summary.closed, "erased": summary.erased}
