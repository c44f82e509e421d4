"""The supporter's HTML pages: the form, its errors, thank-you, closed and problem pages,
and the form post that leads from one to the other (for browsers without JavaScript)."""
import logging
import uuid

from chalicelib import clock, pages
from chalicelib.campaigns import Campaign
from chalicelib.errors import (ApiError, CampaignClosed, CampaignNotFound, ServiceUnavailable,
                               TooManyReports, ValidationFailed)
from chalicelib.intake import submit_report
from chalicelib.reports import parse_submission_id
from chalicelib.storage import StorageUnavailable
from chalicelib.tallying import current_totals
from chalicelib.web import FORM, read_body, report_from_form, source_ip

log = logging.getLogger(__name__)
_FIELD_LABELS = {"target": "Who did you contact", "actions": "What did you do", "country": "Country",
                 "name": "Name", "contact_email": "Email address", "consent": "Consent"}
_ACTION_LABELS = {"letter": "Letters", "email": "Emails", "fax": "Faxes", "call": "Phone calls",
                  "tweet": "Tweets"}
_LANGUAGE_NAMES = {"es": "Spanish", "en": "English", "fr": "French", "ar": "Arabic", "pt": "Portuguese"}
# Errors no field on the page can fix point at the send button, with advice.
_GENERAL = "send-report"
_GENERAL_MESSAGE = "Something in the form was out of date; check your answers and send it again."


def _field_id(field: str, campaign: Campaign) -> str:
    """Where an API field's error belongs on the page."""
    if field.startswith("actions."):
        action = field.split(".", 1)[1]
        return f"action_{action}" if action in campaign.actions else "actions"
    if field == "targets":
        return "target"
    return field if field in _FIELD_LABELS else _GENERAL


def _human_errors(fields: dict, campaign: Campaign, general_message=None) -> dict:
    errors = {_GENERAL: general_message} if general_message else {}
    for field, message in fields.items():
        field_id = _field_id(field, campaign)
        if field_id == _GENERAL:
            errors.setdefault(field_id, _GENERAL_MESSAGE)
            continue
        label = _ACTION_LABELS.get(field_id.removeprefix("action_")) or _FIELD_LABELS[field_id]
        errors.setdefault(field_id, f"{label}: {message}")
    return errors


def _deadline_facts(campaign):
    return {"deadline_iso": clock.format_public(campaign.deadline),
            "deadline_text": campaign.deadline.strftime("%d %B %Y, %H:%M UTC")}


def _context(campaign: Campaign, settings, values=None, errors=None, general_message=None):
    values = values or {}
    return {
        "campaign": campaign, "action_labels": _ACTION_LABELS, "max_count": settings.max_count_per_action,
        "letter_language": _LANGUAGE_NAMES.get(campaign.letter_language, campaign.letter_language),
        # A fresh id unless the supporter's own is valid: a resend of the same
        # report must keep its id, a broken id must not block them.
        "submission_id": parse_submission_id(values.get("submission_id")) or str(uuid.uuid4()),
        "values": {"targets": values.get("targets", []), "actions": values.get("actions", {}),
                   "country": values.get("country", ""), "name": values.get("name", ""),
                   "contact_email": values.get("contact_email", ""), "consent": values.get("consent")},
        "errors": _human_errors(errors or {}, campaign, general_message),
        "general_error": _GENERAL,
        **_deadline_facts(campaign),
    }


def form(campaign, settings, values=None, errors=None, status=200):
    html = pages.render("form.html", **_context(campaign, settings, values, errors))
    return pages.html_response(html, status, campaign.allowed_origins)


_BUSY_MESSAGE = ("We could not confirm that your report was recorded: the service is busy. "
                 "Please send it again in a few seconds; it will be counted only once.")


def _rate_limited_message(error: TooManyReports):
    return (f"Many reports have come from your network in the last minute. Nothing was recorded yet: "
            f"please send this again in {error.retry_after_seconds} seconds.")


def send_again(campaign, settings, values, error: ApiError, message: str):
    """The form as it was sent, with the same submission id, and why to send it again.

    Used when the report was refused for now (rate limit) or not confirmed
    (DynamoDB busy): a resend of the same id is counted at most once.
    """
    html = pages.render("form.html", **_context(campaign, settings, values, general_message=message))
    response = pages.html_response(html, error.status, campaign.allowed_origins)
    response.headers.update(error.headers)
    return response


def thanks(receipt, totals_view, status):
    campaign = receipt.campaign
    html = pages.render("thanks.html", campaign=campaign, report_id=receipt.report.report_id,
                        created=receipt.created, actions_total=receipt.report.actions_total,
                        totals=totals_view)
    return pages.html_response(html, status, campaign.allowed_origins)


def closed(campaign, totals_view, status=410):
    html = pages.render("closed.html", campaign=campaign, totals=totals_view, **_deadline_facts(campaign))
    return pages.html_response(html, status, campaign.allowed_origins)


def not_found(campaign_id):
    return pages.html_response(pages.render("not_found.html", campaign_id=campaign_id), 404)


def problem(error: ApiError):
    response = pages.html_response(pages.render("problem.html", message=error.message), error.status)
    response.headers.update(error.headers)
    return response


def post_form(store, settings, campaign_id, request):
    """A form post, answered with a page: thank-you, the form with errors, closed, or a problem."""
    values = {}
    try:
        _, fields = read_body(request, settings.max_body_bytes, accepted=(FORM,))
        values = report_from_form(fields)
        receipt = submit_report(store, settings, campaign_id, values, strict_fields=False,
                                client_ip=source_ip(request))
    except CampaignNotFound:
        return not_found(campaign_id)
    except CampaignClosed:
        campaign = store.get_campaign(campaign_id)
        return closed(campaign, current_totals(store, campaign).public_view(campaign))
    except ValidationFailed as error:
        return form(store.get_campaign(campaign_id), settings, values, error.fields, error.status)
    except TooManyReports as error:
        return send_again(store.get_campaign(campaign_id), settings, values, error,
                          _rate_limited_message(error))
    except StorageUnavailable:
        log.warning("storage unavailable", exc_info=True)
        return _busy(store, settings, campaign_id, values)
    except ApiError as error:
        return problem(error)
    try:
        totals = current_totals(store, receipt.campaign).public_view(receipt.campaign)
    except StorageUnavailable:
        totals = {"as_of": None}   # the report is recorded; only the running total is missing
    return thanks(receipt, totals, 201 if receipt.created else 200)


def _busy(store, settings, campaign_id, values):
    try:
        campaign = store.get_campaign(campaign_id)
    except StorageUnavailable:
        campaign = None
    if campaign is None or not values:
        return problem(ServiceUnavailable())
    return send_again(campaign, settings, values, ServiceUnavailable(), _BUSY_MESSAGE)
