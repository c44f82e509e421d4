"""Quiet abuse checks: a honeypot field, a minimum fill time and a signed, expiring form token;
and, for a report a person sends, the size of the group it speaks for.

A report that fails a check is still answered like any other (a bot learns
nothing) but stored flagged, out of the totals, for staff to review.

A group's report (``participants``) can multiply a count by hundreds, so one that speaks
for more than GROUP_REVIEW_THRESHOLD people and leaves no way to reach its sender (an
email kept with consent) is stored flagged ``large_group``: staff count it by
reinstating it, as any wrongly flagged report.

A form token is ``<issued, unix milliseconds>.<HMAC-SHA256>`` over the campaign id
and the issue time, keyed with ``FORM_TOKEN_SECRET``: it cannot be made for
another campaign or another time without the secret, and it carries the
moment the form was served, from which the fill time is measured.
"""
import base64
import hashlib
import hmac
import logging
import re
from datetime import datetime, timezone

from chalicelib.domain.errors import ServiceMisconfigured

log = logging.getLogger(__name__)

HONEYPOT_FIELD = "website"   # a field people never see and bots like to fill
HONEYPOT, TOO_FAST, BAD_TOKEN, EXPIRED_TOKEN = "honeypot", "too_fast", "bad_token", "expired_token"
LARGE_GROUP = "large_group"
MIN_SECRET_LENGTH = 32
_TOKEN = re.compile(r"^(\d{1,15})\.([A-Za-z0-9_-]{43})$")
_CLOCK_SKEW_SECONDS = 60   # a token "from the future" by more than this is forged


_missing_logged = False


class FormTokenSecretMissing(ServiceMisconfigured):
    """The deployment has no usable FORM_TOKEN_SECRET (see docs/deploy.md, "Secrets"): the form and
    report routes answer 503 ``service_misconfigured`` rather than sign with a weak key."""


def _secret(settings) -> bytes:
    global _missing_logged
    secret = settings.form_token_secret or ""
    if len(secret) < MIN_SECRET_LENGTH:
        if not _missing_logged:   # once per process: the 5xx alarm counts the rest
            _missing_logged = True
            log.error("configuration error: FORM_TOKEN_SECRET is %s; it must be at least %d random "
                      "characters. Form and report routes answer 503 service_misconfigured until it is "
                      "set (docs/deploy.md, Secrets).", "too short" if secret else "unset", MIN_SECRET_LENGTH)
        raise FormTokenSecretMissing()
    return secret.encode("utf-8")


def _signature(secret: bytes, campaign_id: str, issued: int) -> str:
    mac = hmac.new(secret, f"form-token:v1:{campaign_id}:{issued}".encode("utf-8"), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode("ascii").rstrip("=")


def issue_form_token(settings, campaign_id: str, now: datetime) -> str:
    """A fresh token for a form about to be shown for ``campaign_id``."""
    issued = int(now.timestamp() * 1000)
    return f"{issued}.{_signature(_secret(settings), campaign_id, issued)}"


def token_issued_at(settings, campaign_id: str, token) -> datetime | None:
    """When a genuine token for ``campaign_id`` was issued; None if it is not one."""
    match = _TOKEN.match(token) if isinstance(token, str) else None
    if match is None:
        return None
    issued = int(match.group(1))
    expected = _signature(_secret(settings), campaign_id, issued)
    if not hmac.compare_digest(expected, match.group(2)):
        return None
    try:
        return datetime.fromtimestamp(issued / 1000, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def usable_token(settings, campaign_id: str, token, now: datetime) -> bool:
    """Whether ``token`` is genuine and not expired (worth keeping in a re-shown form)."""
    issued = token_issued_at(settings, campaign_id, token)
    age = (now - issued).total_seconds() if issued else None
    return age is not None and -_CLOCK_SKEW_SECONDS <= age <= settings.form_token_ttl_seconds


def flag_reason(settings, campaign_id: str, data: dict, now: datetime) -> str | None:
    """Why a (valid) report looks automated, or None. The first failing check wins."""
    if str(data.get(HONEYPOT_FIELD) or "").strip():
        return HONEYPOT
    issued = token_issued_at(settings, campaign_id, data.get("form_token"))
    if issued is None:
        return BAD_TOKEN
    age = (now - issued).total_seconds()
    if age < -_CLOCK_SKEW_SECONDS:
        return BAD_TOKEN
    if age > settings.form_token_ttl_seconds:
        return EXPIRED_TOKEN
    if age < settings.min_fill_seconds:
        return TOO_FAST
    return None


def group_review_reason(settings, report) -> str | None:
    """``large_group`` if ``report`` speaks for more people than staff count unseen, else None."""
    if report.participants > settings.group_review_threshold and not report.has_contact:
        return LARGE_GROUP
    return None
