"""The dashboard's offline tallies page: the campaign's tallies (counted or voided), a plain
form to enter one, and a CSV file to upload many (the API's rules and columns:
:mod:`chalicelib.staff.tallies`). No script: each POST checks that the browser sent it from
our own pages and carries the session's form token, as the new-campaign pages do.

The one-tally form carries a tally id made when the page was drawn, so the same form sent
twice (a double click, a reload after a slow answer) is counted once.
"""
import uuid

from chalice import Response

from chalicelib.counting.offline import enter_tallies
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.errors import ApiError, ServiceUnavailable, ValidationFailed
from chalicelib.domain.tallies import CSV_FIXED, MAX_CSV_ROWS, MAX_TALLY_PARTICIPANTS, csv_header, latest_acted_on
from chalicelib.domain.tallies import cell_number, parse_tally, parse_tally_csv
from chalicelib.staff import sessions
from chalicelib.staff.tallies import TALLY_CSV_BYTES, csv_body, offline_view
from chalicelib.staff.uploads import MULTIPART, form_parts
from chalicelib.storage import StorageUnavailable, TallyStore
from chalicelib.web import i18n, pages
from chalicelib.web.bodies import FORM, media_type, read_body

FORM_BODY_BYTES = 64 * 1024
UPLOAD_BODY_BYTES = TALLY_CSV_BYTES + 16 * 1024   # the file and the form's own fields
_FIELDS = ("tally_id", "source", "acted_on", "country", "participants")
_FORBIDDEN = "Send this form from the dashboard's own page: this request did not come from it. Nothing was stored."
_EXPIRED = ("This form has expired or did not come from the dashboard (its form token is missing or wrong): "
            "reload the page and send it again. Nothing was stored.")


def tallies_page(store: TallyStore, campaign: Campaign, request, now, *, values=None, errors=None, problem=None,
                 row_errors=None, status=200):
    """``GET /staff/dashboard/{id}/tallies`` (and the same page again with a POST's errors)."""
    values = values or {**{name: "" for name in _FIELDS}, "tally_id": str(uuid.uuid4()), "participants": "1"}
    values.setdefault("counts", {})
    entered = (request.query_params or {}).get("entered") if request is not None else None
    html = pages.render("staff/tallies.html", i18n.language(i18n.DEFAULT), pages.STAFF, root="../../",
                        campaign=campaign, offline=offline_view(store, campaign), values=values,
                        errors=errors or {}, problem=problem, row_errors=row_errors or {},
                        entered=entered if entered in ("1", "file") else None, header=",".join(csv_header(campaign)),
                        max_rows=MAX_CSV_ROWS, max_participants=MAX_TALLY_PARTICIPANTS,
                        today=latest_acted_on(now).isoformat(),
                        form_token=sessions.form_token(request.headers.get("cookie")))
    return pages.html_response(html, status, inlined=pages.STAFF)


def enter(store: TallyStore, settings, campaign: Campaign, request, now, entered_by: str):
    """``POST /staff/dashboard/{id}/tallies``: one tally from the form, or a CSV file (multipart);
    303 back to the page, or the page again with every error (nothing stored)."""
    def again(status, **context):
        return tallies_page(store, campaign, request, now, status=status, **context)

    if not sessions.same_origin(request):
        return again(403, problem=_FORBIDDEN)
    upload = media_type(request) == MULTIPART
    try:
        fields = _upload_fields(request) if upload else _form_fields(request)
    except ApiError as error:
        return again(error.status, problem=error.message)
    if not sessions.form_token_matches(request.headers.get("cookie"), fields.get("form_token")):
        return again(403, problem=_EXPIRED)
    values = {name: fields.get(name, "") for name in _FIELDS} if not upload else None
    try:
        if upload:
            content = csv_body(fields.get("file", b""))

            def parse(chosen):
                return parse_tally_csv(content, chosen, settings.max_count_per_action, now)
        else:
            values["counts"] = {name: fields[name] for name in fields if name.startswith("count.")}

            def parse(chosen):
                return [parse_tally(_body(values, chosen), chosen, settings.max_count_per_action, now)]
        enter_tallies(store, campaign.campaign_id, parse, entered_by=entered_by, now=now, republish=False)
    except ValidationFailed as failed:
        if upload:
            return again(422, problem="The file was not stored: correct these rows and send it again.",
                         row_errors=failed.fields)
        return again(422, values=values, errors=_by_control(failed.fields),
                     problem="The tally was not stored: correct the fields below.")
    except ApiError as error:
        return again(error.status, values=values, problem=error.message)
    except StorageUnavailable:
        return again(503, values=values, problem=ServiceUnavailable().message)
    return Response(body="", status_code=303, headers={"Location": f"tallies?entered={'file' if upload else '1'}",
                                                       "Cache-Control": "no-store"})


def _form_fields(request) -> dict:
    _, form = read_body(request, FORM_BODY_BYTES, accepted=(FORM,))
    return {name: values[0].strip() for name, values in form.items() if values}


def _upload_fields(request) -> dict:
    parts = form_parts(request, UPLOAD_BODY_BYTES)
    fields = {name: value.decode("utf-8", "replace").strip() for name, value in parts.items() if name != "file"}
    fields["file"] = parts.get("file", b"")
    return fields


def _body(values: dict, campaign: Campaign) -> dict:
    """The form's values as the API's JSON body (counts left empty are 0)."""
    body = {name: values[name] for name in ("tally_id", "source", "acted_on", "country") if values[name]}
    if values["participants"]:
        body["participants"] = cell_number(values["participants"])
    per_target = {}
    for target in campaign.target_ids:
        for action in campaign.actions:
            cell = values["counts"].get(f"count.{target}.{action}", "")
            per_target.setdefault(target, {})[action] = cell_number(cell or "0")
    body["per_target"] = per_target
    return body


def _by_control(fields: dict) -> dict:
    """The API's field names as the form's controls (``per_target.governor.letter`` is
    ``count.governor.letter``; errors about the counts as a whole, ``counts``)."""
    errors = {}
    for field, message in fields.items():
        if field.startswith("per_target."):
            name = "count." + field[len("per_target."):]
            errors[name if name.count(".") == 2 else "counts"] = message
        elif field in CSV_FIXED:
            errors[field] = message
        else:
            errors["counts"] = message
    return errors
