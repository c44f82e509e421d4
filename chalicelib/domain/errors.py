"""Errors that become HTTP answers of one shape:
``{"error": {"code": ..., "message": ..., "fields": {...}}}``."""

_SHOWN = 64   # what a message repeats of a value a client sent: the longest id there is


def shown(value) -> str:
    """``value`` as a message may repeat it: a client can send kilobytes."""
    value = str(value)
    return value if len(value) <= _SHOWN else value[:_SHOWN] + "…"


class ApiError(Exception):
    """An error a client caused or can act on; never a 5xx for bad input."""

    status = 400
    code = "bad_request"

    def __init__(self, message, *, fields=None, headers=None, code=None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})

    def body(self):
        error = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        return {"error": error}


class MalformedBody(ApiError):
    status, code = 400, "malformed_body"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"

    def __init__(self, message="Staff only: send a valid staff token as 'Authorization: Bearer <token>', "
                               "or sign in to the dashboard at /staff/login."):
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="action-tally"'})


class NotFound(ApiError):
    status, code = 404, "not_found"


class CampaignNotFound(NotFound):
    code = "campaign_not_found"

    def __init__(self, campaign_id):
        super().__init__(f"There is no campaign '{shown(campaign_id)}'.", fields={"campaign_id": "unknown campaign"})


class ReportUnknown(NotFound):
    code = "report_not_found"

    def __init__(self, campaign_id, report_ref):
        super().__init__(f"Campaign '{shown(campaign_id)}' has no report '{shown(report_ref)}'; nothing was changed.",
                         fields={"report_ref": "unknown report id or submission id"})


class NothingUnderThatName(NotFound):
    """An identifier too long for any key to hold (storage refused it before asking DynamoDB)."""

    def __init__(self):
        super().__init__("There is nothing under that name: it is longer than any identifier can be.")


class Conflict(ApiError):
    status, code = 409, "conflict"


class ReportNotFlagged(Conflict):
    """Only a flagged report can be reinstated; ``message`` says what the report is instead."""
    code = "report_not_flagged"


class ReportAlreadyReinstated(Conflict):
    code = "report_already_reinstated"


class CampaignClosed(ApiError):
    status, code = 410, "campaign_closed"

    def __init__(self, campaign_id, deadline_text, late_until_text=None):
        if late_until_text:   # within its late days: a report of actions before the deadline is taken
            super().__init__(
                f"Campaign '{campaign_id}' closed at {deadline_text}. If you took these actions before then, "
                f"send the report with \"acted_before_deadline\": true (until {late_until_text}).",
                fields={"acted_before_deadline": "required after the deadline: true if you acted before it"})
        else:
            super().__init__(
                f"Campaign '{campaign_id}' closed at {deadline_text}; reports are no longer accepted."
            )
        self.late_until_text = late_until_text


class BodyTooLarge(ApiError):
    status, code = 413, "body_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class ValidationFailed(ApiError):
    """One or more fields are wrong; ``fields`` says which and why."""

    status, code = 422, "validation_failed"

    def __init__(self, fields, message=None):
        names = ", ".join(sorted(fields))
        super().__init__(message or f"Some fields are not valid: {names}.", fields=fields)


class TooManyReports(ApiError):
    """One client sent more reports to one campaign than the rate limit allows."""

    status, code = 429, "rate_limited"

    def __init__(self, retry_after_seconds: int):
        super().__init__(
            "Too many reports from your network for this campaign in the last minute; nothing was "
            f"recorded. Send it again in {retry_after_seconds} seconds.",
            headers={"Retry-After": str(retry_after_seconds)},
        )
        self.retry_after_seconds = retry_after_seconds


class ServiceUnavailable(ApiError):
    status, code = 503, "service_unavailable"

    # DynamoDB may have applied a write whose answer was lost, so the message
    # cannot promise that nothing was recorded; a resend with the same
    # submission_id is what makes the outcome exactly once.
    def __init__(self, retry_after_seconds=2):
        super().__init__(
            "The service is busy and could not confirm the request. Retry shortly: a report sent "
            "again with the same submission_id is counted once.",
            headers={"Retry-After": str(retry_after_seconds)},
        )


class ServiceMisconfigured(ApiError):
    """The deployment lacks a setting it cannot work without; logged for whoever deployed it."""

    status, code = 503, "service_misconfigured"

    def __init__(self):
        super().__init__("The form is not available right now: the service is not fully set up. "
                         "Nothing was recorded; please try again later.")


class NotAnAction(ApiError):
    """A case sheet's text that asks for no action (an outcome notice), or reads as no case sheet."""

    status, code = 422, "not_an_action"

    def __init__(self, message):
        super().__init__(message, fields={"text": "asks for no action"})
