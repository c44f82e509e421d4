"""Request bodies: their size, media type and encoding checked before anything reads them."""
import json
from urllib.parse import parse_qs

from chalicelib.domain.errors import BodyTooLarge, MalformedBody, UnsupportedMediaType, shown

JSON, FORM = "application/json", "application/x-www-form-urlencoded"
ANY_MEDIA_TYPE = ["*/*"]


def bodies_checked_here(app) -> None:
    """Let every route of ``app`` take any ``Content-Type``. Chalice refuses a type the route
    does not list, even on a GET that has no body, with a 415 of its own shape repeating the
    whole header; :func:`read_body` checks the bodies that matter, in the API's shape."""
    for methods in app.routes.values():
        for route in methods.values():
            route.content_types = ANY_MEDIA_TYPE


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
        raise UnsupportedMediaType(f"Send the body as {' or '.join(accepted)}, not {shown(kind)}.",
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
