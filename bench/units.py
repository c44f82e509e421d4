"""Sections 1, 2 and 6: request units per report through the whole app, the stream fold's,
the scheduler's and readers' units, and the form page, on one campaign in moto (or
DynamoDB Local).

Every request goes through the real path: ``chalice.test.Client`` builds an API
Gateway event, the app parses, validates, checks idempotency, stores and
answers. Time is synthetic (reports arrive at ``rate`` per second) so that the
table's stream reaches the fold function once a batching window (as Lambda's event
source mapping hands it over: tools/stream_poller.py, whose reads are not billed,
as Lambda's are not), the scheduled tally runs once a minute as it would, and the
campaign closes at its real deadline; nothing else is faked. The app runs in one
process, as one Lambda container: what a container remembers (the campaign, the
totals, the receipts of the reports it recorded) it remembers for every request.
"""
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, redirect_stdout
from datetime import datetime, timedelta, timezone
from pathlib import Path

from chalice.test import Client

from bench import page_weight, traffic
from bench.meter import RequestUnitMeter
from bench.world import CAMPAIGN, REGION, TABLE, moto_world, open_seed_campaign
from bench.billing import write_units
from chalicelib.counting import abuse
from chalicelib.domain import clock
from chalicelib.runtime import process
from chalicelib.runtime.config import STREAM_BATCH
from tools.stream_poller import StreamPoller

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 1, 10, 12, 0, tzinfo=timezone.utc)
INTAKE = ("json new", "form new", "json replay", "form replay", "json invalid", "form invalid",
          "json flagged", "form flagged")
FILL_SECONDS = 45   # how long a supporter takes between the page and sending it
FLOOR_WRU = 1.0   # one item, written once
FOLD_WINDOW = STREAM_BATCH["maximum_batching_window_in_seconds"]


class LogSink:
    """Stands in for stdout, where the app writes its JSON log and metric lines as Lambda's
    would go to CloudWatch Logs: counts their bytes per bucket of the meter, keeps nothing."""

    def __init__(self, meter):
        self.meter = meter
        self.bytes = Counter()

    def write(self, text):
        self.bytes[self.meter.bucket] += len(text.encode("utf-8"))
        return len(text)

    def flush(self):
        pass


class SyntheticClock:
    """``chalicelib.domain.clock.now`` for the run: moved by hand, never by the wall clock."""

    def __init__(self, moment=START):
        self.moment = moment

    def __call__(self):
        return self.moment

    def advance(self, seconds):
        self.moment += timedelta(seconds=seconds)


@contextmanager
def synthetic_time(moment=START):
    real, fake = clock.now, SyntheticClock(moment)
    clock.now = fake
    try:
        yield fake
    finally:
        clock.now = real


def run(accepted=10_000, rate=20.0, world=moto_world, parts=1):
    """All figures of sections 1, 2 and 6 from campaigns that receive ``accepted`` reports.

    With ``parts`` above one, as many processes each run a campaign of their own (in a world
    of their own, with their own supporters), and their counts are added up: per-report
    figures are the same, the wall time is shorter on a machine with cores to spare.
    """
    shares = [accepted // parts + (1 if i < accepted % parts else 0) for i in range(parts)]
    if parts == 1:
        pieces = [_part(accepted, rate, world, 0)]
    else:
        with ProcessPoolExecutor(parts) as pool:
            pieces = list(pool.map(_part, shares, [rate] * parts, [world] * parts, range(parts)))
    return _summary(*_merge(pieces))


def _part(accepted, rate, world, part):
    with world() as place, synthetic_time() as now:
        meter = RequestUnitMeter(peek=place.client())
        place.instrument(meter)
        logs = LogSink(meter)
        with meter.measuring("setup"):
            open_seed_campaign(now=now())
        with Client(_app(), stage_name="dev", project_dir=str(ROOT)) as client, redirect_stdout(logs):
            observed = {"wall": Counter(), "bytes": Counter()}
            stream = _Stream(client, meter, StreamPoller(TABLE, REGION, place.endpoint_url))
            statuses, runs = _send(client, meter, now, accepted, rate, observed, stream, seed=47 + part)
            runs += _settle(client, meter, now, stream)
            observed["fold_batches"] = stream.batches
            reads = _reads(client, meter)
            page = page_weight.measure(client, f"/campaigns/{CAMPAIGN}/form?lang=en")
            page["languages"] = page_weight.measure_languages(client, f"/campaigns/{CAMPAIGN}/form")
            views = _views(client, meter, observed)
            final = _close(client, meter, now)
        observed["log_bytes"] = logs.bytes
        return meter.export(), accepted, statuses, runs, reads, page, final, observed, views


class _Stream:
    """The table's stream handed to the fold function as Lambda would, each time ``deliver`` is
    called (once a batching window), its calls billed under "fold"."""

    def __init__(self, client, meter, poller):
        self.client, self.meter, self.poller, self.batches = client, meter, poller, 0

    def deliver(self):
        with self.meter.measuring("fold"):
            self.batches += self.poller.deliver(lambda event, _: self.client.lambda_.invoke("fold", event))


def _merge(pieces):
    """One set of figures from the parts' (see :func:`run`)."""
    meter = RequestUnitMeter.merged([piece[0] for piece in pieces])
    statuses, observed = {}, {"wall": Counter(), "bytes": Counter(), "log_bytes": Counter()}
    observed["fold_batches"] = sum(piece[7]["fold_batches"] for piece in pieces)
    for piece in pieces:
        for kind, codes in piece[2].items():
            for code, n in codes.items():
                statuses.setdefault(kind, {}).setdefault(code, 0)
                statuses[kind][code] += n
        for name in ("wall", "bytes", "log_bytes"):
            observed[name].update(piece[7][name])
    finals = [piece[6] for piece in pieces]
    final = {"reports": sum(f.get("reports") or 0 for f in finals),
             "final": all(f.get("final") is True for f in finals)}
    return (meter, sum(p[1] for p in pieces), statuses, sum(p[3] for p in pieces), sum(p[4] for p in pieces),
            pieces[0][5], final, observed, sum(p[8] for p in pieces), len(pieces))


def _app():
    import app

    return app.app


def _tally(client):
    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                            resources=["arn:aws:events:us-east-1:1:rule/tally"])
    client.lambda_.invoke("tally", event)


def _timed(client, meter, observed, bucket, method, path, source_ip="127.0.0.1", **kwargs):
    with meter.measuring(bucket), traffic.from_address(source_ip):
        started = time.perf_counter()
        response = getattr(client.http, method)(path, **kwargs)
        observed["wall"][bucket] += time.perf_counter() - started
    observed["bytes"][bucket] += len(response.body)
    return response


def _send(client, meter, now, accepted, rate, observed, stream, seed=47):
    """The supporters' requests, with the table's stream folded once a batching window and the
    scheduled tally once a synthetic minute."""
    statuses, runs = {}, 0
    minute = now().replace(second=0, microsecond=0)
    folded = now()
    def token():   # what the supporter's form page carried, served FILL_SECONDS ago
        return abuse.issue_form_token(process.settings(), CAMPAIGN, now() - timedelta(seconds=FILL_SECONDS))

    for request in traffic.stream(CAMPAIGN, accepted, token=token, seed=seed):
        now.advance(1 / rate)
        if now() - folded >= timedelta(seconds=FOLD_WINDOW):
            folded = now()
            stream.deliver()
        if now() - minute >= timedelta(minutes=1):
            minute += timedelta(minutes=1)
            with meter.measuring("tally"):
                _tally(client)
            runs += 1
        response = _timed(client, meter, observed, request.kind, "post", request.path, request.source_ip,
                          headers=request.headers, body=request.body)
        statuses.setdefault(request.kind, {}).setdefault(response.status_code, 0)
        statuses[request.kind][response.status_code] += 1
    return statuses, runs


def _settle(client, meter, now, stream):
    """After the last report: the stream folded to its end, a run, then an idle one (the fixed cost)."""
    now.advance(FOLD_WINDOW)
    stream.deliver()
    now.advance(process.settings().settle_seconds + 1)
    with meter.measuring("tally"):
        _tally(client)
    now.advance(process.settings().tally_interval_seconds)
    with meter.measuring("tally idle"):
        _tally(client)
    return 1


def _reads(client, meter, repeats=10):
    with meter.measuring("totals read"):
        for _ in range(repeats):
            client.http.get(f"/campaigns/{CAMPAIGN}/totals")
    return repeats


def _views(client, meter, observed, repeats=20):
    for _ in range(repeats):
        _timed(client, meter, observed, "form page", "get", f"/campaigns/{CAMPAIGN}/form")
    return repeats


def _close(client, meter, now):
    campaign = process.store().get_campaign(CAMPAIGN)
    now.moment = campaign.closes_at + timedelta(seconds=process.settings().settle_seconds + 1)
    with meter.measuring("close"):
        _tally(client)
    return client.http.get(f"/campaigns/{CAMPAIGN}/totals").json_body


def _per(totals, n):
    return {key: (value / n if isinstance(value, (int, float)) else {k: v / n for k, v in value.items()})
            for key, value in totals.items() if not key.endswith("_seconds")}


def _client_ms(meter, observed, bucket, n):
    """Milliseconds per request this process spent (the meter's own work and moto's taken out)."""
    return (observed["wall"][bucket] - meter.backend[bucket] - meter.overhead[bucket]) / n * 1000


def _summary(meter, accepted, statuses, runs, reads, page, final, observed, views, idle_runs=1):
    requests = {kind: sum(codes.values()) for kind, codes in statuses.items()}
    per_kind = {kind: {"requests": n, "statuses": statuses[kind], **_per(meter.totals(kind), n),
                       "client_ms": _client_ms(meter, observed, kind, n),
                       "response_bytes": observed["bytes"][kind] / n,
                       "log_bytes": observed["log_bytes"][kind] / n}
                for kind, n in requests.items()}
    intake = _sum_totals(meter, [kind for kind in INTAKE if kind in requests])
    lines = _lines(meter, [kind for kind in INTAKE if kind in requests], accepted)
    tally, idle = meter.totals("tally"), meter.totals("tally idle")   # one idle run per campaign
    variable_rru = (tally["rru"] - runs * idle["rru"] / idle_runs) / accepted
    close = meter.totals("close")
    fold = meter.totals("fold")
    report_sizes = meter.sizes.get("PutItem REPORTS/*", [0])
    replays = sum(n for kind, n in requests.items() if "replay" in kind)
    per = _per(intake, accepted)
    fold_wru = fold["wru_with_indexes"] / accepted
    # A replay this container did not record costs its create-only put's failed condition,
    # billed on the stored item (under 1 KB: one unit), where here it costs nothing.
    replays_elsewhere = replays * write_units(max(report_sizes)) / accepted
    return {
        "write_units_per_report": per["wru_with_indexes"] + fold_wru,
        "write_units_per_report_replays_elsewhere": per["wru_with_indexes"] + fold_wru + replays_elsewhere,
        "read_units_per_report_intake": per["rru"],
        "fold": {**_per(fold, accepted), "batches": observed["fold_batches"], "wru_per_report": fold_wru,
                 "lines": _lines(meter, ["fold"], accepted),
                 "wru_per_batch": fold["wru_with_indexes"] / max(1, observed["fold_batches"])},
        "reports_accepted": accepted,
        "requests": requests,
        "replays": replays,
        "flagged": sum(n for kind, n in requests.items() if "flagged" in kind),
        "per_kind": per_kind,
        "per_accepted_report": {**per, "floor_wru": FLOOR_WRU, "lines": lines},
        "report_item_bytes_mean": sum(report_sizes) / len(report_sizes),
        "report_item_bytes_max": max(report_sizes),
        "stored_bytes_per_report": sum(meter.totals(k)["stored_bytes"] for k in ("json new", "form new"))
        / accepted,
        "scheduler": {
            "runs": runs, "fixed_per_run": _per(idle, idle_runs),
            "operations_per_idle_run": {op: n / idle_runs for op, n in meter.operations("tally idle").items()},
            "variable_rru_per_report": variable_rru, "wru_per_run": tally["wru_with_indexes"] / runs,
        },
        "totals_read": {**_per(meter.totals("totals read"), reads), "lines": _lines(meter, ["totals read"], reads)},
        "form_page_view": {**_per(meter.totals("form page"), views),
                           "client_ms": _client_ms(meter, observed, "form page", views),
                           "response_bytes": observed["bytes"]["form page"] / views,
                           "log_bytes": observed["log_bytes"]["form page"] / views},
        "close": {**_per(close, accepted), "lines": _lines(meter, ["close"], accepted),
                  "final_reports": final.get("reports"), "final": final.get("final"),
                  "exact": final.get("reports") == accepted and final.get("final") is True},
        "page": page,
    }


def _sum_totals(meter, buckets):
    total = {"calls": 0, "wru_table": 0, "wru_indexes": {}, "wru_with_indexes": 0, "rru": 0, "stored_bytes": 0}
    for bucket in buckets:
        part = meter.totals(bucket)
        for key in ("calls", "wru_table", "wru_with_indexes", "rru", "stored_bytes"):
            total[key] += part[key]
        for name, value in part["wru_indexes"].items():
            total["wru_indexes"][name] = total["wru_indexes"].get(name, 0) + value
    return total


def _lines(meter, buckets, n):
    """Units per line, summed over ``buckets`` and divided by ``n``: what each kind of call costs."""
    summed = {}
    for bucket in buckets:
        for unit, line, value in meter.lines(bucket):
            summed[(unit, line)] = summed.get((unit, line), 0) + value
    return [{"unit": unit, "line": line, "per": value / n}
            for (unit, line), value in sorted(summed.items(), key=lambda kv: (kv[0][0], -kv[1]))]
