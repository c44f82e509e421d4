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
# The group of counts, one fieldset per official; v1's fields (an older page's post) land here too.
COUNTS = "counts"

ACTION_LABELS = {"letter": N_("Letters"), "email": N_("Emails"), "fax": N_("Faxes"),
                 "call": N_("Phone calls"), "tweet": N_("Social media posts")}
FIELD_LABELS = {"name": N_("Name"), "contact_email": N_("Email address")}


def count_id(target: str, action: str) -> str:
    """The id of the count of ``action`` sent to ``target`` (actions have no hyphen, so it is one)."""
    return f"count-{target}-{action}"


def official_id(target: str) -> str:
    """The id of one official's counts, a group with one error for all of them (as GOV.UK's
    date input has one for its day, month and year)."""
    return f"counts-{target}"


def invalid_counts(api_fields: dict, campaign: Campaign) -> list:
    """The ids of the count inputs the API's errors name, in page order."""
    named = set(api_fields)
    return [count_id(t, a) for t in campaign.target_ids for a in campaign.actions if f"per_target.{t}.{a}" in named]

_COUNTS = N_("Enter how many times you acted, for at least one official")
_COUNT = N_("%(official)s: enter each count as a whole number from 0 to %(max)s")
_PARTICIPANTS = N_("Enter how many people took part, you included: a whole number from 1 to %(max)s, "
                   "or leave it empty if it was only you")
_COUNTRY = N_("Select your country from the list, or leave it empty")
_NAME = N_("Enter your name in 100 characters or fewer, on one line")
_EMAIL = N_("Enter an email address in the correct format, like name@example.org")
_NAME_CONSENT = N_("Tick the box to let us keep your name, or leave the name empty")
_EMAIL_CONSENT = N_("Tick the box to let us keep your email address, or leave it empty")
_GENERAL = N_("Something in the form was out of date. Check your answers and send it again.")
_LATE = N_("Tick the box if you took these actions before the deadline: only those can still be counted")
LATE_FIELD = "acted_before_deadline"


def field_id(api_field: str, campaign: Campaign) -> str:
    """The form field an API error field belongs to."""
    parts = api_field.split(".")
    if parts[0] == "per_target" and len(parts) == 3 and parts[1] in campaign.target_ids \
            and parts[2] in campaign.actions:
        return official_id(parts[1])
    if parts[0] in ("per_target", "actions", "targets"):
        return COUNTS
    if api_field in ("participants", "country", "name", "contact_email", LATE_FIELD):
        return api_field
    return GENERAL


def anchor(field: str, campaign: Campaign, invalid=()) -> str:
    """The id a summary link points at: the first input of a group (of an official's counts,
    the first one in error), GOV.UK style."""
    if field == COUNTS:
        return count_id(campaign.target_ids[0], campaign.actions[0])
    if field.startswith("counts-"):
        prefix = "count-" + field[len("counts-"):] + "-"
        return next((i for i in invalid if i.startswith(prefix) and "-" not in i[len(prefix):]),
                    prefix + campaign.actions[0])
    return field


def supporter_errors(api_fields: dict, campaign: Campaign, language: Language, max_count: int,
                     max_participants: int = 500) -> dict:
    """``{form field id: message}`` for the API's ``{field: message}``, in page order."""
    by_field = {}
    for api_field, message in api_fields.items():
        by_field.setdefault(field_id(api_field, campaign), message)
    order = ([COUNTS] + [official_id(t) for t in campaign.target_ids]
             + ["participants", "country", "name", "contact_email", LATE_FIELD, GENERAL])
    limits = {"max": language.number(max_count), "max_participants": language.number(max_participants)}
    return {field: _message(field, by_field[field], language, limits, campaign)
            for field in order if field in by_field}


def _message(field, api_message, language, limits, campaign):
    _ = language.gettext
    if field == COUNTS:
        return _(_COUNTS)
    if field.startswith("counts-"):
        return _(_COUNT) % {"official": campaign.target(field[len("counts-"):]).name, "max": limits["max"]}
    if field == "participants":
        return _(_PARTICIPANTS) % {"max": limits["max_participants"]}
    if field == "country":
        return _(_COUNTRY)
    if field == "name":
        return _(_NAME_CONSENT if api_message == NEEDS_CONSENT else _NAME)
    if field == "contact_email":
        return _(_EMAIL_CONSENT if api_message == NEEDS_CONSENT else _EMAIL)
    if field == LATE_FIELD:
        return _(_LATE)
    return _(_GENERAL)
