"""HTTP edges: reading request bodies and shaping responses, for ``app.py``."""
import functools
import json
import logging
import re
from urllib.parse import parse_qs

from chalice import Response

from chalicelib.domain.errors import (ApiError, BodyTooLarge, MalformedBody, ServiceUnavailable,
                               UnsupportedMediaType, ValidationFailed)
from chalicelib.storage import StorageUnavailable

log = logging.getLogger(__name__)
JSON, FORM = "application/json", "application/x-www-form-urlencoded"
_COUNT = re.compile(r"\s*(\d{1,6})\s*")


def json_response(body, status=200, headers=None) -> Response:
    return Response(body=json.dumps(body, ensure_ascii=False),
                    status_code=status,
                    headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def csv_response(text: str, filename: str) -> Response:
    return Response(body=text, status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def export_format(request, allowed=("json", "csv")) -> str:
    """The ``?format=`` a staff export asks for (json unless told)."""
    wanted = (request.query_params or {}).get("format", "json")
    if wanted not in allowed:
        raise ValidationFailed({"format": f"must be one of {', '.join(allowed)}"})
    return wanted


def error_response(error: ApiError) -> Response:
    return json_response(error.body(), error.status, error.headers)


def json_errors(view):
    """Answer ApiErrors with their JSON shape, and a busy DynamoDB with 503."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except ApiError as error:
            return error_response(error)
        except StorageUnavailable:
            log.warning("storage unavailable", exc_info=True)
            return error_response(ServiceUnavailable())
    return wrapper


def media_type(request) -> str:
    raw = request.headers.get("content-type") or JSON
    return raw.split(";")[0].strip().lower()


def source_ip(request) -> str | None:
    """The client's address as API Gateway saw it (not a header a client can forge).

    Used only within the request, for the rate limit; never stored or logged.
    """
    identity = (request.context or {}).get("identity") or {}
    return identity.get("sourceIp") or None


def read_body(request, max_bytes: int, accepted=(JSON,)):
    """The request body as ``(media type, data)``: a dict for JSON, a dict of lists for forms."""
    raw = request.raw_body or b""
    if len(raw) > max_bytes:
        raise BodyTooLarge(f"The body is {len(raw)} bytes; at most {max_bytes} are accepted.",
                           fields={"body": f"must be at most {max_bytes} bytes"})
    kind = media_type(request)
    if kind not in accepted:
        raise UnsupportedMediaType(f"Send the body as {' or '.join(accepted)}, not {kind}.",
                                   fields={"content-type": f"must be {' or '.join(accepted)}"})
    try:
        text = raw.decode("utf-8")
        if kind == FORM:
            return kind, parse_qs(text, keep_blank_values=True, max_num_fields=200)
        return kind, json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        what = "form data" if kind == FORM else "JSON"
        raise MalformedBody(f"The body is not valid UTF-8 {what}: {error}",
                            fields={"body": f"must be valid {what}"}) from None


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def report_from_form(form: dict) -> dict:
    """Turn the HTML form's fields into the JSON report shape.

    Forgiving where a person typed: blank counts are 0 and spaces are ignored.
    """
    def first(name):
        return (form.get(name) or [""])[0]

    actions = {}
    for key, values in form.items():
        if key.startswith("action_"):
            match = _COUNT.fullmatch(values[0])
            actions[key[len("action_"):]] = int(match.group(1)) if match else (values[0].strip() or 0)
    data = {"submission_id": first("submission_id"), "form_token": first("form_token"),
            "website": first("website"), "actions": actions,
            "targets": form.get("target", []), "country": first("country").strip(),
            "consent": first("consent").lower() in ("yes", "on", "true", "1")}
    for optional in ("name", "contact_email"):
        if first(optional).strip():
            data[optional] = first(optional)
    return data
