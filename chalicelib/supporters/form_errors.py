"""What a supporter reads when a field of the form is wrong: GOV.UK-style messages
that say how to fix it, in the page's language, and where on the page each belongs.

The API's own messages (``chalicelib.domain.report``) stay terse and English for
developers; this maps each API field to its supporter wording.
"""
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.report import NEEDS_CONSENT
from chalicelib.web.i18n import N_, Language

# Errors no field on the page can fix (a broken hidden id) point at the send button.
GENERAL = "send-report"

ACTION_LABELS = {"letter": N_("Letters"), "email": N_("Emails"), "fax": N_("Faxes"),
                 "call": N_("Phone calls"), "tweet": N_("Tweets")}
FIELD_LABELS = {"name": N_("Name"), "contact_email": N_("Email address")}
_TARGETS = N_("Select at least one official you contacted")
_ACTIONS = N_("Enter how many times you acted, for at least one kind of action")
_COUNT = N_("%(action)s: enter a whole number from 0 to %(max)s")
_COUNTRY = N_("Select your country from the list, or leave it empty")
_NAME = N_("Enter your name in 100 characters or fewer, on one line")
_EMAIL = N_("Enter an email address in the correct format, like name@example.org")
_NAME_CONSENT = N_("Tick the box to let us keep your name, or leave the name empty")
_EMAIL_CONSENT = N_("Tick the box to let us keep your email address, or leave it empty")
_GENERAL = N_("Something in the form was out of date. Check your answers and send it again.")


def field_id(api_field: str, campaign: Campaign) -> str:
    """The form field an API error field belongs to."""
    if api_field.startswith("actions."):
        action = api_field.split(".", 1)[1]
        return f"action_{action}" if action in campaign.actions else "actions"
    if api_field == "targets":
        return "target"
    if api_field in ("actions", "country", "name", "contact_email"):
        return api_field
    return GENERAL


def anchor(field: str, campaign: Campaign) -> str:
    """The id a summary link points at: the first input of a group, GOV.UK style."""
    if field == "actions":
        return f"action_{campaign.actions[0]}"
    return field


def supporter_errors(api_fields: dict, campaign: Campaign, language: Language, max_count: int) -> dict:
    """``{form field id: message}`` for the API's ``{field: message}``, in page order."""
    by_field = {}
    for api_field, message in api_fields.items():
        by_field.setdefault(field_id(api_field, campaign), message)
    order = (["target", "actions"] + [f"action_{a}" for a in campaign.actions]
             + ["country", "name", "contact_email", GENERAL])
    return {field: _message(field, by_field[field], language, max_count)
            for field in order if field in by_field}


def _message(field, api_message, language, max_count):
    _ = language.gettext
    if field == "target":
        return _(_TARGETS)
    if field == "actions":
        return _(_ACTIONS)
    if field.startswith("action_"):
        label = _(ACTION_LABELS.get(field.removeprefix("action_"), field))
        return _(_COUNT) % {"action": label, "max": language.number(max_count)}
    if field == "country":
        return _(_COUNTRY)
    if field == "name":
        return _(_NAME_CONSENT if api_message == NEEDS_CONSENT else _NAME)
    if field == "contact_email":
        return _(_EMAIL_CONSENT if api_message == NEEDS_CONSENT else _EMAIL)
    return _(_GENERAL)
