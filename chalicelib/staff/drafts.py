"""``POST /staff/campaign-drafts``: a case sheet's text in, a campaign draft out; nothing stored.

The importer (``chalicelib.casesheet``) is imported inside the functions that use it, never
at module level: ``app.py`` imports this module, and the supporter routes must not pay for
the importer at a cold start (``make bench`` measures it).
"""
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.validation import FieldErrors, reject_unknown
from chalicelib.domain.zones import zone
from chalicelib.storage import TallyStore
from chalicelib.web.bodies import read_body
from chalicelib.web.responses import json_response

# The text may be 100 KB; JSON escapes (\u00e9, \n) can make its body up to six times that.
DRAFT_BODY_BYTES = 640 * 1024


def draft_response(store: TallyStore, settings, request, now):
    """200 ``{"draft", "warnings", "suggested_id", "follow_up"}``, or the contract's errors."""
    _, data = read_body(request, DRAFT_BODY_BYTES)
    return json_response(draft_of(store, settings, data, now))


def draft_of(store: TallyStore, settings, data, now) -> dict:
    """The importer's answer for a request body ``{"text": ..., "timezone": ...}``."""
    if not isinstance(data, dict):
        raise ValidationFailed({"body": 'must be a JSON object: {"text": "<the case sheet>"}'})
    errors = FieldErrors()
    reject_unknown(errors, data, ("text", "timezone"))
    timezone = data.get("timezone") or settings.default_timezone
    if not isinstance(timezone, str) or len(timezone) > 64 or zone(timezone.strip()) is None:
        errors.add("timezone", "must be an IANA time zone name such as America/Caracas")
    if "text" not in data:
        errors.add("text", "is required: the case sheet's text, as pasted")
    errors.raise_if_any()
    from chalicelib.casesheet.reader import read_case_sheet

    draft = read_case_sheet(data["text"], now, timezone.strip(),
                            find_campaign=lambda reference: campaign_with_reference(store, reference)).as_dict()
    if store.get_campaign(draft["suggested_id"]) is not None:
        draft["warnings"].append({"field": "campaign_id", "line": None, "message":
                                  f"a campaign '{draft['suggested_id']}' exists already: saving the draft under "
                                  "that id would change it; choose another id for a new campaign"})
    return draft


def campaign_with_reference(store: TallyStore, reference: str) -> str | None:
    """The id of the campaign whose reference is ``reference`` (``UA 47/22`` matches ``UA 47.22``):
    the id the importer suggests for it first, else any campaign with that reference."""
    from chalicelib.casesheet.reader import reference_key

    key = reference_key(reference)
    if key is None:
        return None
    conventional = store.get_campaign(f"ua-{key[0]}-{key[1]:02d}")
    if conventional is not None and reference_key(conventional.reference) == key:
        return conventional.campaign_id
    for state in ("open", "closed"):
        for campaign in store.campaigns(state):
            if reference_key(campaign.reference) == key and "FI" not in campaign.reference:
                return campaign.campaign_id
    return None
