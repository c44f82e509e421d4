"""HTTP answers: JSON and CSV bodies, the contract's error shape, and the decorator
that gives every view the same answers for our errors and a busy DynamoDB."""
import functools
import json
import logging

from chalice import Response

from chalicelib.domain.errors import ApiError, NothingUnderThatName, ServiceUnavailable, ValidationFailed
from chalicelib.storage import KeyOutOfBounds, StorageUnavailable

log = logging.getLogger(__name__)


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
    """Answer ApiErrors with their JSON shape, a busy DynamoDB with 503, and a key
    too long for DynamoDB (an id some check let through) with 404."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except ApiError as error:
            return error_response(error)
        except StorageUnavailable:
            log.warning("storage unavailable", exc_info=True)
            return error_response(ServiceUnavailable())
        except KeyOutOfBounds as error:   # the route's own check should have answered
            log.warning("identifier refused by storage: %s", error)
            return error_response(NothingUnderThatName())
    return wrapper
