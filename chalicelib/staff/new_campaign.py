"""The dashboard's "New campaign from a case sheet": staff paste the sheet's text, review every
field of the draft in an editable form (each warning beside its field), and create the
campaign, which then shows its embed snippets. Plain forms and POSTs: the staff pages run no
script. Each POST checks that the browser sent it from our own pages and carries the
session's form token (see ``sessions.form_token``).

The importer is imported inside the function that uses it, never at module level (app.py
imports this module; the supporter routes must not pay for the importer).
"""
import re

from chalice import Response

from chalicelib.domain.campaign import ACTION_TYPES, LANGUAGE, MAX_LETTERS, MAX_PEOPLE, validate_campaign_id
from chalicelib.domain.errors import ApiError, Conflict, ServiceUnavailable
from chalicelib.domain.officials import MAX_COPIES, MAX_TARGETS
from chalicelib.staff import sessions
from chalicelib.staff.campaign_admin import save_campaign
from chalicelib.staff.drafts import draft_of
from chalicelib.storage import StorageUnavailable, TallyStore
from chalicelib.web import i18n, pages
from chalicelib.web.bodies import FORM, read_body

# The text may be 100 KB of UTF-8; percent-encoded in a form it is up to three times that.
PASTE_BODY_BYTES = 320 * 1024
# The review form holds the whole campaign (its case capped at 128 KiB stored), percent-encoded.
CREATE_BODY_BYTES = 512 * 1024
OFFICIAL_FIELDS = ("id", "name", "role", "salutation", "address", "emails", "phones", "faxes", "social",
                   "contact_url")
_LISTS = ("emails", "phones", "faxes")
_GROUPS = {"targets": MAX_TARGETS, "copies_to": MAX_COPIES, "people": MAX_PEOPLE}
_FORBIDDEN = "Send this form from the dashboard's own page: this request did not come from it. Nothing was changed."


def _page(template, status=200, **context):
    html = pages.render(f"staff/{template}", i18n.language(i18n.DEFAULT), pages.STAFF, **context)
    return pages.html_response(html, status, inlined=pages.STAFF)


def paste_page(request, error=None, status=200, text="", timezone="", root="", action="new-campaign"):
    """``GET /staff/new-campaign``: a text area for the case sheet, and its time zone."""
    return _page("new_campaign.html", status, root=root, action=action, error=error, text=text,
                 timezone=timezone, form_token=sessions.form_token(request.headers.get("cookie")))


def read_sheet(store: TallyStore, settings, request, now):
    """``POST /staff/new-campaign``: the pasted text read into the review form, or the paste page
    again with the reason (nothing is stored either way)."""
    form, refusal = _form(request, PASTE_BODY_BYTES)
    if refusal:
        return paste_page(request, *refusal)
    text, timezone = _value(form, "text", strip=False), _value(form, "timezone")
    try:
        answer = draft_of(store, settings, {"text": text, "timezone": timezone or None}, now)
    except ApiError as error:
        message = "; ".join(f"{field}: {why}" for field, why in error.fields.items() if field != "text")
        return paste_page(request, f"{error.message} {message}".strip() if error.code != "validation_failed"
                          else _first(error.fields), error.status, text, timezone)
    except StorageUnavailable:
        return paste_page(request, ServiceUnavailable().message, 503, text, timezone)
    values = values_of(answer["draft"], answer["suggested_id"])
    return review_page(request, values, answer["warnings"], {}, answer.get("follow_up"))


def create(store: TallyStore, settings, request, now):
    """``POST /staff/new-campaign/create``: the reviewed form through the PUT's validation; 303 to
    the new campaign's page, or the form again with each error beside its field."""
    form, refusal = _form(request, CREATE_BODY_BYTES)
    if refusal:
        return paste_page(request, *refusal, root="../", action="../new-campaign")
    values = values_from_form(form)
    warnings = _carried_warnings(form)
    body, rows = body_of(values)
    campaign_id = values["campaign_id"]
    try:
        validate_campaign_id(campaign_id).raise_if_any()   # before it names a key
        if store.get_campaign(campaign_id) is not None:
            raise Conflict("A campaign with this id exists already.", code="campaign_exists",
                           fields={"campaign_id": f"a campaign '{campaign_id}' exists already: choose another id "
                                                  "(this page creates campaigns; edit one with PUT)"})
        saved, _ = save_campaign(store, campaign_id, body, now, settings.report_shards, settings.default_timezone)
    except ApiError as error:
        errors = {_control(field, rows): message for field, message in reversed(list(error.fields.items()))}
        return review_page(request, values, warnings, errors, None, error.status, root="../",
                           problem=error.message)
    except StorageUnavailable:
        return review_page(request, values, warnings, {}, None, 503, root="../",
                           problem=ServiceUnavailable().message)
    return Response(body="", status_code=303, headers={"Location": f"../dashboard/{saved.campaign_id}",
                                                       "Cache-Control": "no-store"})


def review_page(request, values, warnings, errors, follow_up, status=200, root="", problem=None):
    by_control = {}
    for warning in warnings:
        by_control.setdefault(_control(warning["field"], None), []).append(warning)
    known = _controls(values)
    unplaced = [w for name, ws in by_control.items() if name not in known for w in ws]
    stray_errors = {name: message for name, message in errors.items() if name not in known}
    return _page("review.html", status, root=root, values=values, warnings=by_control, errors=errors,
                 unplaced=unplaced, stray_errors=stray_errors, all_warnings=warnings, follow_up=follow_up,
                 problem=problem, action_types=ACTION_TYPES, fields=OFFICIAL_FIELDS,
                 form_token=sessions.form_token(request.headers.get("cookie")))


# -- the form and the body -----------------------------------------------------------------

def values_of(body: dict, campaign_id: str) -> dict:
    """A draft body as the review form's values (lists one per line, officials and people as rows)."""
    values = {"campaign_id": campaign_id}
    for name in ("reference", "index", "issued_on", "title", "summary", "deadline", "timezone", "letter_language",
                 "follow_up_of"):
        values[name] = body.get(name) or ""
    values["languages"] = ", ".join(body.get("languages", []))
    values["actions"] = list(body.get("actions", []))
    values["allowed_origins"] = "\n".join(body.get("allowed_origins", []))
    values["people"] = [{"name": p.get("name", ""), "pronouns": p.get("pronouns", "")} for p in body.get("people", [])]
    for group in ("targets", "copies_to"):
        values[group] = [_official_values(official) for official in body.get(group, [])]
    values["letter"] = dict(body.get("letter", {}))
    values["letter_new"] = {"language": "", "text": ""}
    return values


def _official_values(official: dict) -> dict:
    row = {name: official.get(name) or "" for name in ("id", "name", "role", "salutation", "address", "contact_url")}
    for name in _LISTS:
        row[name] = "\n".join(official.get(name, []))
    row["social"] = "\n".join(f"{s['network']}: {s['handle']}" for s in official.get("social", []))
    return row


def values_from_form(form: dict) -> dict:
    """The review form as posted, as the same values :func:`values_of` makes (rows in form order)."""
    values = {"campaign_id": _value(form, "campaign_id")}
    for name in ("reference", "index", "issued_on", "title", "deadline", "timezone", "letter_language",
                 "follow_up_of", "languages"):
        values[name] = _value(form, name)
    values["summary"] = _value(form, "summary", strip=False).strip()
    values["allowed_origins"] = _value(form, "allowed_origins", strip=False).strip()
    values["actions"] = [action for action in form.get("actions", []) if action in ACTION_TYPES]
    values["people"] = [{"name": _value(form, f"people-{i}-name"), "pronouns": _value(form, f"people-{i}-pronouns")}
                        for i in range(_rows(form, "people"))]
    for group in ("targets", "copies_to"):
        values[group] = [{name: _value(form, f"{group}-{i}-{name}", strip=False).strip() for name in OFFICIAL_FIELDS}
                         for i in range(_rows(form, group))]
    values["letter"] = {}
    for key in form:
        code = key[len("letter-"):]
        if key.startswith("letter-") and LANGUAGE.fullmatch(code) and len(values["letter"]) < MAX_LETTERS + 1:
            values["letter"][code] = _value(form, key, strip=False).strip()
    values["letter_new"] = {"language": _value(form, "letter_new-language"),
                            "text": _value(form, "letter_new-text", strip=False).strip()}
    return values


def body_of(values: dict) -> tuple[dict, dict]:
    """The PUT body the form's values make, and for each group which form row each item came from."""
    body = {name: values[name] for name in ("reference", "title", "deadline")}
    for name in ("index", "issued_on", "summary", "timezone", "letter_language", "follow_up_of"):
        if values[name]:
            body[name] = values[name]
    body["languages"] = [code for code in re.split(r"[\s,]+", values["languages"]) if code]
    body["actions"] = values["actions"]
    body["allowed_origins"] = _lines(values["allowed_origins"])
    rows = {}
    people = [(i, p) for i, p in enumerate(values["people"]) if p["name"] or p["pronouns"]]
    body["people"] = [{"name": p["name"], "pronouns": p["pronouns"]} for _, p in people]
    rows["people"] = [i for i, _ in people]
    for group in ("targets", "copies_to"):
        kept = [(i, row) for i, row in enumerate(values[group]) if any(row.values())]
        body[group] = [_official_body(row) for _, row in kept]
        rows[group] = [i for i, _ in kept]
    letters = {code: text for code, text in values["letter"].items() if text}
    if values["letter_new"]["text"]:
        letters[values["letter_new"]["language"] or "?"] = values["letter_new"]["text"]
    body["letter"] = letters
    return body, rows


def _official_body(row: dict) -> dict:
    official = {name: row[name] for name in ("id", "name", "role", "salutation", "address", "contact_url")
                if row[name]}
    for name in _LISTS:
        official[name] = _lines(row[name])
    official["social"] = []
    for line in _lines(row["social"]):
        network, _, handle = line.partition(":") if ":" in line else ("x", "", line)
        official["social"].append({"network": network.strip().lower(), "handle": handle.strip()})
    return official


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _control(field: str, rows: dict | None) -> str:
    """A contract field path (``targets[1].social[0].handle``) as the form control it belongs to
    (``targets-1-social``); ``rows`` maps body items back to their form rows."""
    match = re.match(r"^(targets|copies_to|people)\[(\d+)\](?:\.(\w+))?", field)
    if match:
        group, index, name = match.group(1), int(match.group(2)), match.group(3)
        if rows is not None and index < len(rows.get(group, [])):
            index = rows[group][index]
        return f"{group}-{index}-{name}" if name else f"{group}-{index}"
    match = re.match(r"^letter\.(.+)$", field)
    if match:
        return f"letter-{match.group(1)}" if LANGUAGE.fullmatch(match.group(1)) else "letter_new-language"
    return re.split(r"[.\[]", field)[0]


def _controls(values: dict) -> set:
    names = {"campaign_id", "reference", "index", "issued_on", "title", "summary", "deadline", "timezone",
             "letter_language", "languages", "actions", "allowed_origins", "follow_up_of", "people", "targets",
             "copies_to", "letter", "letter_new-language", "letter_new-text"}
    names |= {f"people-{i}-{n}" for i in range(len(values["people"]) + 1) for n in ("name", "pronouns")}
    for group in ("targets", "copies_to"):
        for i in range(len(values[group]) + 1):
            names |= {f"{group}-{i}"} | {f"{group}-{i}-{n}" for n in OFFICIAL_FIELDS}
    names |= {f"letter-{code}" for code in values["letter"]}
    return names


# -- plumbing --------------------------------------------------------------------------------

def _form(request, limit):
    """The posted form, or (message, status) when the request may not go on."""
    if not sessions.same_origin(request):
        return None, (_FORBIDDEN, 403)
    try:
        _, form = read_body(request, limit, accepted=(FORM,))
    except ApiError as error:
        return None, (error.message, error.status)
    if not sessions.form_token_matches(request.headers.get("cookie"), _value(form, "form_token")):
        return None, ("This form has expired or did not come from the dashboard (its form token is missing or "
                      "wrong): reload the page and send it again. Nothing was changed.", 403)
    return form, None


def _value(form, name, strip=True) -> str:
    value = (form.get(name) or [""])[0]
    return value.strip() if strip else value


def _rows(form, group) -> int:
    try:
        count = int(_value(form, f"{group}-rows") or 0)
    except ValueError:
        count = 0
    return max(0, min(count, _GROUPS[group] + 1))


def _first(fields: dict) -> str:
    field, message = next(iter(fields.items()))
    return f"The case sheet's {field} {message}." if field == "text" else f"{field}: {message}"


def _carried_warnings(form) -> list[dict]:
    """The importer's warnings, carried through the review form in hidden fields."""
    warnings = []
    for i in range(min(int(_value(form, "warnings") or 0) if _value(form, "warnings").isdigit() else 0, 200)):
        line = _value(form, f"warning-{i}-line")
        warnings.append({"field": _value(form, f"warning-{i}-field"), "message": _value(form, f"warning-{i}-message"),
                         "line": int(line) if line.isdigit() else None})
    return [w for w in warnings if w["field"] and w["message"]]
