"""Structured JSON logs and CloudWatch metrics (Embedded Metric Format) for every invocation.

:func:`observe` registers Chalice middleware that, for each request, scheduled run or
stream batch, tags every log line with the request id and the campaign id, logs one
line saying what happened (route, status, duration; never bodies, headers, addresses
or stream records, so no personal data), counts report outcomes, scheduler runs and
stream batches, and writes the metrics as EMF lines that CloudWatch turns into
metrics. AWS Lambda Powertools formats both; it comes from AWS's Lambda layer (not the
zip) and is imported on the first invocation, not with app.py: docs/dependencies.md
gives its cost.
"""
import json
import logging
import os
import sys
import time

from chalicelib.domain.campaign import is_campaign_id

SERVICE = "action-tally"
NAMESPACE = "ActionTally"
REPORTS_ROUTE = "/campaigns/{campaign_id}/reports"
# A form post answers with a page, not a JSON error; for report intake each status
# has one error code (README, "HTTP API"), so the status names the reason.
_REASON_BY_STATUS = {400: "malformed_body", 404: "campaign_not_found", 410: "campaign_closed",
                     413: "body_too_large", 415: "unsupported_media_type", 422: "validation_failed",
                     503: "service_unavailable"}


class _Stdout:
    """Whatever ``sys.stdout`` is when a line is written (Lambda's, or a test's capture),
    so log lines and EMF lines, which Powertools prints, share one stream in order."""

    def write(self, text):
        return sys.stdout.write(text)

    def flush(self):
        sys.stdout.flush()


class _Powertools:
    """Powertools' logger and metrics, made on first use (importing it costs a cold start
    some milliseconds that a process which never logs need not pay)."""

    def __init__(self):
        self._made = None

    def __getattr__(self, name):
        if self._made is None:
            from aws_lambda_powertools import Logger, Metrics
            from aws_lambda_powertools.logging.filters import SuppressFilter
            from aws_lambda_powertools.metrics import MetricUnit, single_metric

            self._made = {"logger": Logger(service=SERVICE, stream=_Stdout()),
                          "metrics": Metrics(namespace=NAMESPACE, service=SERVICE), "MetricUnit": MetricUnit,
                          "single_metric": single_metric, "SuppressFilter": SuppressFilter}
        return self._made[name]


_powertools = _Powertools()
_routed = []   # the Chalice app whose logs go through Powertools' handler, once routed


class _Lazy:
    """``logger`` and ``metrics`` as this module (and its tests) name them."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attribute):
        return getattr(getattr(_powertools, self._name), attribute)


logger = _Lazy("logger")
metrics = _Lazy("metrics")


def _stage() -> str:
    return os.environ.get("STAGE") or "local"


def _route_through_the_json_handler(chalice_log: logging.Logger) -> None:
    json_handler = logger.registered_handler
    SuppressFilter = _powertools.SuppressFilter
    # Chalice gave its own logger (the app's name) a text handler; its lines about
    # unhandled errors are to be JSON like the rest.
    for handler in list(chalice_log.handlers):
        chalice_log.removeHandler(handler)
    chalice_log.addHandler(json_handler)
    chalice_log.setLevel(logging.INFO)
    modules = logging.getLogger("chalicelib")
    if json_handler in modules.handlers:
        return
    modules.addHandler(json_handler)
    modules.setLevel(logging.INFO)
    # Lambda's root handler would print each line again, as text (Powertools does the
    # same for its own logger, and likewise spares pytest's capturing handlers).
    for handler in logging.root.handlers:
        if type(handler).__module__ != "_pytest.logging":
            handler.addFilter(SuppressFilter("chalicelib"))


def count(name: str, value: int = 1, **dimensions: str) -> None:
    """Add ``value`` to metric ``name``; with ``dimensions`` it is written at once, on its own."""
    count_unit = _powertools.MetricUnit.Count
    if not dimensions:
        metrics.add_metric(name=name, unit=count_unit, value=value)
        return
    with _powertools.single_metric(name=name, unit=count_unit, value=value, namespace=NAMESPACE,
                                   default_dimensions={"service": SERVICE, "stage": _stage()}) as metric:
        for key, dimension in dimensions.items():
            metric.add_dimension(name=key, value=dimension)


def report_flagged(reason: str) -> None:
    """A recorded report set aside from the totals (for abuse checks to call)."""
    count("ReportsFlagged", reason=reason)


def totals_published(campaign_id: str, version: int) -> None:
    """Final totals were published (once per campaign and version)."""
    count("TotalsPublished")
    logger.info("final totals published", extra={"campaign_id": campaign_id, "version": version})


def _rejection_reason(response) -> str:
    try:
        return json.loads(response.body)["error"]["code"]
    except (TypeError, ValueError, KeyError):
        return _REASON_BY_STATUS.get(response.status_code, f"http_{response.status_code}")


def _count_report_outcome(response) -> None:
    status = response.status_code
    if status == 201:
        count("ReportsAccepted")
    elif status == 200:
        count("ReportsReplayed")
    else:
        count("ReportsRejected", reason=_rejection_reason(response))


def _begin(request_id) -> float:
    if _routed and _routed[0] is not None:
        _route_through_the_json_handler(_routed.pop())
    metrics.clear_default_dimensions()   # else clearing re-adds a stage read before, as a clash
    metrics.clear_metrics()     # anything counted outside an invocation is not this one's
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(request_id=request_id)
    metrics.set_default_dimensions(stage=_stage())
    return time.perf_counter()


def _finish(level, message, fields, started, exc_info=False) -> None:
    fields["duration_ms"] = round((time.perf_counter() - started) * 1000)
    logger.log(level, message, extra=fields, exc_info=exc_info)
    if metrics.metric_set:
        metrics.flush_metrics()
    logger.thread_safe_clear_keys()


def _observe_request(request, get_response):
    context = request.context or {}
    lambda_context = getattr(request, "lambda_context", None)
    started = _begin(context.get("requestId") or getattr(lambda_context, "aws_request_id", None))
    campaign_id = (request.uri_params or {}).get("campaign_id")
    # Only an id a campaign can have: the path holds whatever a client typed (kilobytes,
    # or an email address in the wrong box), and no log line carries personal data.
    if is_campaign_id(campaign_id):
        logger.thread_safe_append_keys(campaign_id=campaign_id)
    route = context.get("resourcePath")
    response = None
    try:
        response = get_response(request)
        if route == REPORTS_ROUTE and request.method == "POST":
            _count_report_outcome(response)
        return response
    finally:
        status = response.status_code if response is not None else 500
        _finish(logging.ERROR if status >= 500 else logging.INFO, "request",
                {"method": request.method, "route": route, "status": status}, started)


def _observe_schedule(event, get_response):
    started = _begin(getattr(event.context, "aws_request_id", None))
    count("SchedulerRuns")
    try:
        summary = get_response(event)
    except Exception:
        count("SchedulerFailures")
        _finish(logging.ERROR, "scheduled run failed", {}, started, exc_info=True)
        raise
    closed = list((summary or {}).get("closed", []))
    if closed:
        count("CampaignsClosed", len(closed))
    _finish(logging.INFO, "scheduled run", {
        "campaigns_rebuilt": len((summary or {}).get("rebuilt", [])), "campaigns_closed": closed}, started)
    return summary


def _observe_stream(event, get_response):
    started = _begin(getattr(event.context, "aws_request_id", None))
    records = len(event.to_dict().get("Records") or [])
    try:
        response = get_response(event)
    except Exception:
        count("StreamBatchFailures")
        _finish(logging.ERROR, "stream batch failed", {"records": records}, started, exc_info=True)
        raise
    count("StreamRecords", records)
    _finish(logging.INFO, "stream batch", {"records": records}, started)
    return response


def observe(app) -> None:
    """Log and measure every request, scheduled run and stream batch of ``app``
    (Powertools is set up at the first of them)."""
    _routed.append(app.log)
    app.register_middleware(_observe_request, "http")
    app.register_middleware(_observe_schedule, "scheduled")
    app.register_middleware(_observe_stream, "dynamodb")
