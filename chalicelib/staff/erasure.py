"""``POST /staff/erasures``: a staff request to erase one supporter's personal data
(the erasing itself is :mod:`chalicelib.privacy.erasure`'s)."""
from chalicelib.domain import clock
from chalicelib.privacy.erasure import erase_supporter, parse_erasure_request
from chalicelib.storage import TallyStore
from chalicelib.web.bodies import read_body
from chalicelib.web.responses import json_response


def erasure_response(store: TallyStore, settings, request, token_label: str, now):
    """201 with the erasure's audit record id (proof for the person), how many reports, and when."""
    _, data = read_body(request, settings.max_body_bytes)
    record = erase_supporter(store, parse_erasure_request(data), token_label, now)
    return json_response({"request_id": record.request_id, "reports_erased": record.reports_erased,
                          "erased_at": clock.format_public(record.erased_at)}, 201)
