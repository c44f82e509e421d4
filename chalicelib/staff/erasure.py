"""``POST /staff/erasures`` and ``GET /staff/erasures/{request_id}``: a staff request to erase
one supporter's personal data, and how far it got (the erasing itself is
:mod:`chalicelib.privacy.erasure`'s, done by the scheduled job)."""
from chalicelib.domain import clock
from chalicelib.domain.errors import NotFound
from chalicelib.privacy.erasure import parse_erasure_request, request_erasure
from chalicelib.storage import ErasureRequest, TallyStore
from chalicelib.web.bodies import read_body
from chalicelib.web.responses import json_response


class ErasureRequestNotFound(NotFound):
    code = "erasure_request_not_found"

    def __init__(self, request_id):
        super().__init__(f"There is no erasure request '{request_id}'.",
                         fields={"request_id": "unknown erasure request"})


def erasure_response(store: TallyStore, settings, request, token_label: str, now):
    """202 with the request's id (proof for the person, and where to follow it) and its status."""
    _, data = read_body(request, settings.max_body_bytes)
    erasure = request_erasure(store, parse_erasure_request(data), token_label, now)
    return json_response(erasure_view(erasure), 202,
                         headers={"Location": f"/staff/erasures/{erasure.request_id}"})


def erasure_status_response(store: TallyStore, request_id: str):
    """200 with the request's status and how many reports were erased so far."""
    erasure = store.get_erasure_request(request_id) if request_id.isalnum() and len(request_id) <= 64 else None
    if erasure is None:
        raise ErasureRequestNotFound(request_id)
    return json_response(erasure_view(erasure))


def erasure_view(erasure: ErasureRequest) -> dict:
    """What staff see of a request: never the address, nor its hash."""
    return {"request_id": erasure.request_id, "status": erasure.status, "reports_erased": erasure.reports_erased,
            "requested_at": clock.format_public(erasure.requested_at),
            "finished_at": clock.format_public(erasure.finished_at) if erasure.finished_at else None}
