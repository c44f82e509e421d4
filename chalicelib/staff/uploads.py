"""A file sent from a plain HTML form (``multipart/form-data``), read with the standard
library's own MIME parser: the dashboard's CSV upload needs no dependency."""
from email import policy
from email.parser import BytesParser

from chalicelib.domain.errors import BodyTooLarge, MalformedBody, UnsupportedMediaType

MULTIPART = "multipart/form-data"


def form_parts(request, max_bytes: int) -> dict:
    """The fields of a ``multipart/form-data`` body, ``{name: bytes}`` (a file's content as sent;
    a field named twice keeps its first value)."""
    raw = request.raw_body or b""
    if len(raw) > max_bytes:
        raise BodyTooLarge(f"The upload is {len(raw)} bytes; at most {max_bytes} are accepted.",
                           fields={"body": f"must be at most {max_bytes} bytes"})
    header = request.headers.get("content-type") or ""
    if header.split(";")[0].strip().lower() != MULTIPART:
        raise UnsupportedMediaType(f"Send the file as {MULTIPART}.", fields={"content-type": f"must be {MULTIPART}"})
    try:
        head = f"Content-Type: {header}\r\nMIME-Version: 1.0\r\n\r\n".encode("ascii")
    except UnicodeEncodeError:
        raise MalformedBody("The Content-Type header is not ASCII.", fields={"content-type": "must be ASCII"}) from None
    message = BytesParser(policy=policy.HTTP).parsebytes(head + raw)
    if not message.is_multipart() or message.defects:
        raise MalformedBody("The upload is not valid multipart form data.", fields={"body": "must be form data"})
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and name not in parts:
            payload = part.get_payload(decode=True)
            parts[name] = payload if isinstance(payload, bytes) else b""
    return parts
