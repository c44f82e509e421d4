"""Section 7: what a million accepted reports cost at AWS list prices, from the measured figures.

Everything per report is measured by the other sections (requests, request
units, bytes stored and sent, the CPU time this process spent). Two things
cannot be measured here and are assumptions in :mod:`bench.prices`: how much
slower Lambda's CPU share at 512 MB is than this machine's core, and how long a
DynamoDB round trip takes from Lambda.
"""
import math

from bench import prices

MILLION = 1_000_000
GB = 1e9


def lambda_ms(client_ms: float, dynamodb_calls: float) -> float:
    """Billed milliseconds of one invocation: this process's CPU time at Lambda's CPU share,
    plus the DynamoDB round trips, rounded up to the next millisecond."""
    cpu_share = min(1.0, prices.LAMBDA_MEMORY_MB / prices.FULL_VCPU_MB)
    return math.ceil(client_ms / cpu_share + dynamodb_calls * prices.DYNAMODB_ROUND_TRIP_MS)


def per_million_reports(units: dict) -> dict:
    """Dollars per million accepted reports, line by line, from :func:`bench.units.run`'s results."""
    p = prices.PRICES
    accepted = units["reports_accepted"]
    kinds = units["per_kind"]
    requests = sum(kind["requests"] for kind in kinds.values()) / accepted     # posts per accepted report
    gb_seconds = sum(kind["requests"] * lambda_ms(kind["client_ms"], kind["calls"]) / 1000
                     for kind in kinds.values()) / accepted * prices.LAMBDA_MEMORY_MB / 1024
    sent_bytes = sum(kind["requests"] * kind["response_bytes"] for kind in kinds.values()) / accepted
    logged_bytes = sum(kind["requests"] * kind.get("log_bytes", 0) for kind in kinds.values()) / accepted
    intake = units["per_accepted_report"]
    rru = intake["rru"] + units["scheduler"]["variable_rru_per_report"] + units["close"]["rru"]
    view = units["form_page_view"]
    view_ms = lambda_ms(view["client_ms"], view["calls"])
    lines = {
        "API Gateway REST, report posts": requests * p["api_gateway_rest_per_million_requests"],
        "Lambda requests, report posts": requests * p["lambda_per_million_requests"],
        "Lambda duration, report posts": gb_seconds * MILLION * p["lambda_per_gb_second"],
        "DynamoDB writes (table, indexes, stream fold)": (
            (intake["wru_with_indexes"] + units["fold"]["wru_per_report"]) * p["dynamodb_per_million_wru"]),
        "DynamoDB reads (intake, tally, close)": rru * p["dynamodb_per_million_rru"],
        "DynamoDB storage, per month kept": intake["stored_bytes"] * MILLION / GB * p["dynamodb_per_gb_month"],
        "Data transfer out, report answers": sent_bytes * MILLION / GB * p["data_transfer_out_per_gb"],
        "CloudWatch Logs, the app's log lines": logged_bytes * MILLION / GB * p["cloudwatch_logs_per_gb_ingested"],
        "AWS WAF, report posts inspected (packaged templates)": requests * p["waf_per_million_requests"],
    }
    views = {
        "API Gateway REST, form page": p["api_gateway_rest_per_million_requests"],
        "Lambda requests + duration, form page": (
            p["lambda_per_million_requests"]
            + view_ms / 1000 * prices.LAMBDA_MEMORY_MB / 1024 * MILLION * p["lambda_per_gb_second"]),
        "DynamoDB reads, form page": view["rru"] * p["dynamodb_per_million_rru"],
        "Data transfer out, form page": view["response_bytes"] * MILLION / GB * p["data_transfer_out_per_gb"],
        "CloudWatch Logs, form page": view.get("log_bytes", 0) * MILLION / GB * p["cloudwatch_logs_per_gb_ingested"],
        "AWS WAF, form page": p["waf_per_million_requests"],
    }
    posts_total = sum(lines.values())
    rest_to_http = (p["api_gateway_rest_per_million_requests"] - p["api_gateway_http_per_million_requests"])
    return {
        "lines": lines, "posts_total": posts_total,
        "form_view_lines": views, "form_view_total": sum(views.values()),
        "total_with_one_form_view": posts_total + sum(views.values()),
        "total_with_http_api": posts_total + sum(views.values()) - rest_to_http * (requests + 1),
        "assumptions": {"requests_per_accepted_report": requests, "log_bytes_per_accepted_report": logged_bytes,
                        "lambda_billed_ms_per_json_post": lambda_ms(kinds["json new"]["client_ms"],
                                                                    kinds["json new"]["calls"]),
                        "lambda_billed_ms_per_form_view": view_ms,
                        "lambda_memory_mb": prices.LAMBDA_MEMORY_MB, "full_vcpu_mb": prices.FULL_VCPU_MB,
                        "dynamodb_round_trip_ms": prices.DYNAMODB_ROUND_TRIP_MS,
                        "form_views_per_report": 1},
        "scheduler_per_open_campaign_day": _scheduler_day(units["scheduler"]["fixed_per_run"]),
        "prices": p, "prices_as_of": prices.AS_OF, "region": prices.REGION, "sources": prices.SOURCES,
    }


def _scheduler_day(fixed: dict) -> float:
    """The tally's fixed cost for one open campaign over a day of runs once a minute (Lambda
    duration not included: it is dominated by the reports it reads, which are counted above)."""
    p = prices.PRICES
    runs = 24 * 60
    per_run = (fixed["rru"] * p["dynamodb_per_million_rru"] + fixed["wru_with_indexes"] * p["dynamodb_per_million_wru"]
               + p["lambda_per_million_requests"])
    return runs * per_run / MILLION
