"""The supporter's HTML pages: the form (with the action kit above it: see ``kit``), its
errors, thank-you, closed and problem pages, and the form post that leads from one to the other.

Each page is a whole document (no JavaScript needed; also what the iframe shows)
or, with ``?embed=1``, a fragment that ``embed.js`` puts into the partner's page.
"""
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timezone
from urllib.parse import quote, urlsplit

from markupsafe import Markup

from chalicelib.counting import abuse
from chalicelib.counting.intake import campaign_as_of, submit_report
from chalicelib.counting.shown import TOTALS_MEMORY_SECONDS, current_totals
from chalicelib.domain import clock
from chalicelib.domain.campaign import CAMPAIGN_MEMORY_SECONDS, Campaign, normalise_origin
from chalicelib.domain.errors import (
    ApiError,
    CampaignClosed,
    ServiceUnavailable,
    TooManyReports,
    ValidationFailed,
    shown,
)
from chalicelib.domain.report import parse_submission_id
from chalicelib.domain.totals import Tally, Totals
from chalicelib.storage import StorageUnavailable
from chalicelib.supporters.form_errors import (
    ACTION_LABELS,
    COUNTS,
    FIELD_LABELS,
    GENERAL,
    anchor,
    count_id,
    invalid_counts,
    official_id,
    supporter_errors,
)
from chalicelib.supporters.cases import continued_in
from chalicelib.supporters.form_fields import report_from_form, typed_counts
from chalicelib.supporters.kit import action_kit
from chalicelib.web import i18n, pages
from chalicelib.web.bodies import FORM, JSON, media_type, read_body, source_ip
from chalicelib.web.i18n import N_, Language
from chalicelib.web.outcomes import OUTCOME_LABELS

log = logging.getLogger(__name__)

_PROBLEMS = {
    "body_too_large": N_("The form was too long to send. Shorten your answers and try again."),
    "malformed_body": N_("Your browser sent the form in a way we could not read."),
    "service_unavailable": N_("The service is busy. Wait a moment, then send the form again."),
    "service_misconfigured": N_("The form is not available right now. Nothing was sent; please try again later."),
}
_PROBLEM = N_("Something went wrong with the form.")
# Reports refused for now (rate limit) or not confirmed (DynamoDB busy): the form
# comes back as it was sent, same submission id, so a resend counts at most once.
_RATE_LIMITED = N_("Many reports have come from your network in the last minute. Nothing was "
                   "recorded yet: please send this again in %(seconds)s seconds.")
_BUSY = N_("We could not confirm that your report was recorded: the service is busy. Please send "
           "it again in a few seconds; it will be counted only once.")
# Ends an email whose sample letter was too long for its mailto: link (chalicelib.supporters.kit).
_REST_NOTE = N_("[The rest of the letter is on %(url)s: copy it here before you send this email.]")
_SHARE_SUBJECT = N_("Take action: %(title)s")
_SHARE_BODY = N_("I took action for %(reference)s. Will you join me? %(url)s")


@dataclass(frozen=True)
class PageRequest:
    """What a page needs to know about the request that asked for it."""
    language: Language
    fragment: bool          # ?embed=1: content only, for embed.js
    share_url: str          # where "share this action" points
    extra_query: str        # embed/share, carried into the form's action and every link

    @classmethod
    def of(cls, request, campaign: Campaign | None) -> "PageRequest":
        params = request.query_params or {}
        language = i18n.language(i18n.negotiate(params.get("lang"), request.headers.get("accept-language"),
                                                campaign.languages if campaign else ()))
        fragment = params.get("embed") == "1"
        share = _allowed_page(params.get("share"), campaign)
        extra = ("&embed=1" if fragment else "") + (f"&share={quote(share, safe='')}" if share else "")
        return cls(language, fragment, share or _own_form_url(request), extra)

    @property
    def query(self) -> str:
        return f"lang={self.language.code}{self.extra_query}"


def _allowed_page(url, campaign):
    """A partner page's address, if it is on one of the campaign's allowed origins."""
    if not isinstance(url, str) or campaign is None or len(url) > 500:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    origin = normalise_origin(f"{parts.scheme}://{parts.netloc}")
    return url if origin and origin in campaign.allowed_origins and not parts.username else None


def _own_form_url(request):
    """This campaign's standalone form page, absolute, for sharing."""
    headers = request.headers
    host = headers.get("host", "localhost")
    local = host.split(":")[0] in ("localhost", "127.0.0.1")
    scheme = headers.get("x-forwarded-proto") or ("http" if local else "https")
    path = (request.context or {}).get("path") or ""
    return f"{scheme}://{host}{path.rsplit('/', 1)[0]}/form"


def _render(template, page: PageRequest, campaign, status, **context):
    language = page.language
    origins = campaign.allowed_origins if campaign else ()
    inlined = pages.FRAGMENT if page.fragment else pages.SUPPORTER
    html = pages.render(template, language, inlined, fragment=page.fragment, frame_origins=origins,
                        languages=[i18n.language(code) for code in i18n.SUPPORTED],
                        extra_query=page.extra_query, query=page.query,
                        campaign=campaign, action_labels={a: language.gettext(label) for a, label
                                                          in ACTION_LABELS.items()}, **context)
    return pages.html_response(html, status, origins, inlined)


def _deadline_facts(campaign: Campaign, language: Language) -> dict:
    """The deadline as ``<time>``: machine-readable, and written in the page's language."""
    return {"deadline": _moment_text(campaign.deadline, language)}


def _moment_text(moment, language: Language):
    text = language.gettext("%(date)s, %(time)s UTC") % {"date": language.date(moment), "time": language.time(moment)}
    return Markup('<time datetime="{}">{}</time>').format(clock.format_public(moment), text)


def _late_until(campaign: Campaign, settings, now):
    """When late reports end, if ``campaign`` takes them at ``now`` (past its deadline)."""
    if campaign.accepts_reports_at(now) or not campaign.takes_late_reports_at(now, settings.late_report_days):
        return None
    return campaign.late_reports_until(settings.late_report_days)


def form(campaign: Campaign, settings, page: PageRequest, values=None, errors=None, status=200,
         general_message=None, late_until=None, continues=None, continued=None):
    """The form below the action kit, fresh or (with ``values`` and API ``errors``) shown again
    to be corrected; ``general_message`` (already in the page's language) heads the errors when
    given. ``campaign`` is read whole: the kit shows its case, contacts and letters. Past the
    deadline, within its late days (``late_until``: when they end), the form asks whether the
    actions came before the deadline (chalicelib.counting.late), and links to the case's open
    update (``continues``, its form's URL; ``continued``, the update) as the closed page does."""
    values = values or {}
    language = page.language
    now = clock.now()
    token = values.get("form_token")
    try:
        if not abuse.usable_token(settings, campaign.campaign_id, token, now):
            token = abuse.issue_form_token(settings, campaign.campaign_id, now)
    except abuse.FormTokenSecretMissing as error:
        return problem(error, page)
    participants = values.get("participants")
    per_person = participants if isinstance(participants, int) and 1 <= participants <= settings.max_participants \
        else 1
    shown_errors = supporter_errors(errors or {}, campaign, language, settings.max_count_per_action * per_person,
                                    settings.max_participants)
    if general_message:
        shown_errors = {GENERAL: general_message, **shown_errors}
    rest_note = language.gettext(_REST_NOTE) % {"url": page.share_url}
    invalid = invalid_counts(errors or {}, campaign)
    return _render("form.html", page, campaign, status,
                   max_count=settings.max_count_per_action, max_participants=settings.max_participants,
                   kit=action_kit(campaign, language.code, rest_note), count_id=count_id, counts_field=COUNTS,
                   official_id=official_id, invalid=invalid,
                   summary=[p.strip() for p in campaign.summary.split("\n\n") if p.strip()],
                   letter_language=language.language_name(campaign.letter_language),
                   # A fresh id unless the supporter's own is valid: a resend of the same
                   # report must keep its id, a broken id must not block them.
                   submission_id=parse_submission_id(values.get("submission_id")) or str(uuid.uuid4()),
                   form_token=token, countries=language.countries(),
                   values=_shown_values(values),
                   errors=shown_errors, anchors={f: anchor(f, campaign, invalid) for f in shown_errors},
                   general_error=GENERAL, field_labels={f: language.gettext(label)
                                                        for f, label in FIELD_LABELS.items()},
                   late_until=_moment_text(late_until, language) if late_until else None,
                   continues=continues, continued=continued,
                   **_deadline_facts(campaign, language))


def _shown_values(values: dict) -> dict:
    """The supporter's answers, as the form shows them again (JSON bodies can hold anything)."""
    def text(name):
        value = values.get(name)
        return value if isinstance(value, str) else ""

    def count(value):
        return value if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    per_target = values.get("per_target")
    per_target = {str(t): {str(a): count(n) for a, n in counts.items()} for t, counts in per_target.items()
                  if isinstance(counts, dict)} if isinstance(per_target, dict) else {}
    participants = values.get("participants")
    return {"per_target": per_target, "participants": count(participants) if participants != 1 else "",
            "country": text("country").strip().upper(), "name": text("name"),
            "contact_email": text("contact_email"), "consent": values.get("consent") is True,
            "acted_before_deadline": values.get("acted_before_deadline") is True}


def thanks(receipt, totals: Totals, settings, page: PageRequest, status):
    campaign, language = receipt.campaign, page.language
    as_of = totals.as_of
    share = {"title": campaign.title, "reference": campaign.reference, "url": page.share_url}
    return _render("thanks.html", page, campaign, status, report_id=receipt.report.report_id,
                   created=receipt.created, actions_total=receipt.report.actions_total, late=receipt.report.late,
                   totals=totals.public_view(campaign, settings.small_cell_min),
                   as_of_time=language.time(as_of) if as_of else "",
                   as_of_date=language.date(as_of) if as_of else "",
                   share_url=page.share_url, form_url=f"form?{page.query}",
                   share_subject=language.gettext(_SHARE_SUBJECT) % share,
                   share_body=language.gettext(_SHARE_BODY) % share)


def send_again(campaign, settings, page: PageRequest, values, error: ApiError, message: str):
    """The form as it was sent, with the same submission id, and why to send it again."""
    response = form(campaign, settings, page, values, status=error.status, general_message=message)
    response.headers.update(error.headers)
    return response


def closed(campaign: Campaign, totals_view, page: PageRequest, status=410, continues: str | None = None,
           continued: Campaign | None = None):
    """The closed page: the final totals, the outcome if staff recorded one, and a link to the
    open update of the case (``continued``, whose form is at ``continues``) if there is one."""
    language, outcome = page.language, campaign.outcome
    return _render("closed.html", page, campaign, status, totals=totals_view, outcome=outcome,
                   outcome_label=language.gettext(OUTCOME_LABELS[outcome.status]) if outcome else "",
                   outcome_day=language.date(datetime.combine(outcome.on, time(12), timezone.utc)) if outcome else "",
                   outcome_note=[p.strip() for p in outcome.note.split("\n\n") if p.strip()] if outcome else [],
                   continued=continued, continues=continues, **_deadline_facts(campaign, language))


def _closed_page(store, settings, campaign, page: PageRequest, request, now, status):
    """:func:`closed`, with the case's open update found (a campaign of another case cannot be)."""
    url, update = _continuation(store, campaign, page, request, now)
    return closed(campaign, _public_totals(store, settings, campaign, now), page, status, url, update)


def _late_form(store, settings, campaign, page: PageRequest, request, now, late_until, values=None, errors=None):
    """The form past the deadline, within its late days: it asks, and links to the open update."""
    url, update = _continuation(store, campaign, page, request, now)
    return form(campaign, settings, page, values, errors, 422 if errors else 200, late_until=late_until,
                continues=url, continued=update)


def _continuation(store, campaign, page: PageRequest, request, now):
    """The form URL (in the page's language) and the campaign of the case's open update, or Nones."""
    update = continued_in(store, campaign, now)
    if update is None:
        return None, None
    return f"{_form_url_of(request, campaign, update.campaign_id)}?lang={page.language.code}", update


def _form_url_of(request, campaign: Campaign, other_id: str) -> str:
    """The standalone form page of campaign ``other_id``, absolute (a fragment lives in a partner's page)."""
    own = _own_form_url(request)
    return own.removesuffix(f"/{campaign.campaign_id}/form") + f"/{other_id}/form"


def not_found(campaign_id, page: PageRequest):
    return _render("not_found.html", page, None, 404, campaign_id=shown(campaign_id))


def problem(error: ApiError, page: PageRequest):
    message = page.language.gettext(_PROBLEMS.get(error.code, _PROBLEM))
    response = _render("problem.html", page, None, error.status, message=message)
    response.headers.update(error.headers)
    return response


def form_response(store, settings, campaign_id, request):
    """``GET /campaigns/{id}/form``: the kit and the form, or the closed or not-found page."""
    now = clock.now()
    campaign = campaign_as_of(store, campaign_id, now, whole=True)
    page = PageRequest.of(request, campaign)
    if campaign is None:
        return not_found(campaign_id, page)
    late_until = _late_until(campaign, settings, now)
    if not campaign.accepts_reports_at(now) and late_until is None:
        return _closed_page(store, settings, campaign, page, request, now, 200)
    if late_until is not None:
        return _late_form(store, settings, campaign, page, request, now, late_until)
    return form(campaign, settings, page)


def _public_totals(store, settings, campaign, now):
    return current_totals(store, campaign, now, TOTALS_MEMORY_SECONDS).public_view(campaign, settings.small_cell_min)


def wants_page(request) -> bool:
    """A form post, or embed.js sending JSON and asking for the page to show next."""
    accept = request.headers.get("accept") or ""
    return media_type(request) == FORM or accept.split(",")[0].strip().startswith("text/html")


def post_form(store, settings, campaign_id, request):
    """A report answered with a page: thank-you, the form with errors, closed, or a problem."""
    now = clock.now()
    campaign = campaign_as_of(store, campaign_id, now)
    page = PageRequest.of(request, campaign)
    if campaign is None:
        return not_found(campaign_id, page)
    kind, values = None, {}
    try:
        kind, body = read_body(request, settings.max_body_bytes, accepted=(FORM, JSON))
        values = report_from_form(body) if kind == FORM else body
        if kind == FORM and values["country"]:
            values["country"] = i18n.country_code(values["country"])
        receipt = submit_report(store, settings, campaign_id, values, strict_fields=kind == JSON,
                                client_ip=source_ip(request), campaign=campaign)
    except CampaignClosed as refusal:
        campaign = store.recent_campaign(campaign_id, now, CAMPAIGN_MEMORY_SECONDS, whole=True)
        late_until = _late_until(campaign, settings, now)
        if refusal.late_until_text and late_until and isinstance(values, dict):   # the box left unticked
            return _late_form(store, settings, campaign, page, request, now, late_until, values, refusal.fields)
        return _closed_page(store, settings, campaign, page, request, now, 410)
    except ValidationFailed as error:
        if not isinstance(values, dict):
            return problem(ApiError("not an object", code="malformed_body"), page)
        if kind == FORM:   # show counts as typed: a blank stays blank, not 0
            values["per_target"] = typed_counts(body)
        return form(_whole(store, campaign_id, now) or campaign, settings, page, values, error.fields, error.status,
                    late_until=_late_until(campaign, settings, now))
    except TooManyReports as error:
        message = page.language.gettext(_RATE_LIMITED) % {"seconds": error.retry_after_seconds}
        return send_again(_whole(store, campaign_id, now), settings, page, values, error, message)
    except StorageUnavailable:
        log.warning("storage unavailable", exc_info=True)
        return _busy(store, settings, campaign_id, page, values, now)
    except ApiError as error:
        return problem(error, page)
    try:
        totals = current_totals(store, receipt.campaign, now, TOTALS_MEMORY_SECONDS)
    except StorageUnavailable:   # the report is recorded; only the running total is missing
        totals = Totals(receipt.campaign.campaign_id, Tally(), False, None)
    return thanks(receipt, totals, settings, page, 201 if receipt.created else 200)


def _whole(store, campaign_id, now):
    """The campaign with its case, for the form shown again (a report needs only the cheap read):
    remembered as the form page remembers it, else read."""
    return store.recent_campaign(campaign_id, now, CAMPAIGN_MEMORY_SECONDS, whole=True)


def _busy(store, settings, campaign_id, page, values, now):
    try:
        campaign = _whole(store, campaign_id, now)   # from memory, DynamoDB busy or not
    except StorageUnavailable:
        campaign = None
    if campaign is None or not isinstance(values, dict) or not values:
        return problem(ServiceUnavailable(), page)
    return send_again(campaign, settings, page, values, ServiceUnavailable(), page.language.gettext(_BUSY))
