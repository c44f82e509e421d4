"""The supporter's HTML form and the pages around it: what each needs to render."""
import uuid

from chalicelib import clock, pages
from chalicelib.campaigns import Campaign

_FIELD_LABELS = {"target": "Who did you contact", "actions": "What did you do", "country": "Country",
                 "name": "Name", "contact_email": "Email address", "consent": "Consent",
                 "submission_id": "Form", "body": "Form"}
_ACTION_LABELS = {"letter": "Letters", "email": "Emails", "fax": "Faxes", "call": "Phone calls",
                  "tweet": "Tweets"}
_LANGUAGE_NAMES = {"es": "Spanish", "en": "English", "fr": "French", "ar": "Arabic", "pt": "Portuguese"}


def _field_id(field: str) -> str:
    """Where an API field's error belongs on the page."""
    if field.startswith("actions."):
        return "action_" + field.split(".", 1)[1]
    return {"targets": "target"}.get(field, field)


def _human_errors(fields: dict) -> dict:
    errors = {}
    for field, message in fields.items():
        field_id = _field_id(field)
        label = _ACTION_LABELS.get(field_id.removeprefix("action_")) or _FIELD_LABELS.get(field_id, field_id)
        errors[field_id] = f"{label}: {message}"
    return errors


def _context(campaign: Campaign, settings, values=None, errors=None):
    values = values or {}
    return {
        "campaign": campaign, "action_labels": _ACTION_LABELS, "max_count": settings.max_count_per_action,
        "deadline_iso": clock.format_public(campaign.deadline),
        "deadline_text": campaign.deadline.strftime("%d %B %Y, %H:%M UTC"),
        "letter_language": _LANGUAGE_NAMES.get(campaign.letter_language, campaign.letter_language),
        "submission_id": values.get("submission_id") or str(uuid.uuid4()),
        "values": {"targets": values.get("targets", []), "actions": values.get("actions", {}),
                   "country": values.get("country", ""), "name": values.get("name", ""),
                   "contact_email": values.get("contact_email", ""), "consent": values.get("consent")},
        "errors": _human_errors(errors or {}),
    }


def form(campaign, settings, values=None, errors=None, status=200):
    html = pages.render("form.html", **_context(campaign, settings, values, errors))
    return pages.html_response(html, status, campaign.allowed_origins)


def thanks(campaign, receipt, totals_view, status):
    html = pages.render("thanks.html", campaign=campaign, report_id=receipt.report.report_id,
                        created=receipt.created, actions_total=receipt.report.actions_total,
                        totals=totals_view)
    return pages.html_response(html, status, campaign.allowed_origins)


def closed(campaign, totals_view, status=410):
    html = pages.render("closed.html", campaign=campaign, totals=totals_view,
                        deadline_iso=clock.format_public(campaign.deadline),
                        deadline_text=campaign.deadline.strftime("%d %B %Y, %H:%M UTC"))
    return pages.html_response(html, status, campaign.allowed_origins)


def not_found(campaign_id):
    return pages.html_response(pages.render("not_found.html", campaign_id=campaign_id), 404)
