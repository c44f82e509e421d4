"""Section 4: what folding a campaign's reports from the stream, and closing it, cost as it
grows (1k, 10k, 100k reports); and what one erasure request's search of them costs.

Reports are seeded through the storage layer's own ``record_report`` (so each
item is exactly what intake stores), batched 25 to a request through a client
the meter does not count; only the seeding skips the create-only condition,
which fresh ids pass anyway. Their stream records are then folded as Lambda would
hand them over (batches of the mapping's size, tools/stream_poller.py, whose reads
are free as Lambda's are) by :func:`chalicelib.counting.folding.fold_batch`; the close
is :func:`chalicelib.counting.tallying.close_campaign`; both metered, and timed minus
the meter's own work.
"""
import io
import math
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stdout
from datetime import timedelta

from bench.meter import RequestUnitMeter
from bench.traffic import Supporters
from bench.units import START, synthetic_time
from bench.world import REGION, TABLE, local_world, moto_world, open_seed_campaign
from chalicelib.counting.folding import fold_batch
from chalicelib.counting.tallying import close_campaign
from chalicelib.privacy import erasure
from chalicelib.runtime import process
from chalicelib.storage import TallyStore
from tools.stream_poller import StreamPoller

_SPREAD = timedelta(days=30)   # reports arrive over the campaign's month


class _Batched:
    """A table stand-in for seeding: ``record_report``'s put, sent in batches of 25."""

    def __init__(self, batch):
        self._batch = batch

    def put_item(self, Item, **_condition):
        self._batch.put_item(Item=Item)


def default_world():
    """DynamoDB Local where Java is installed (AWS's own engine, 1 MB pages, and far quicker
    than moto at reading 100,000 items back); moto otherwise."""
    return local_world if shutil.which("java") else moto_world


def run(sizes=(1_000, 10_000, 100_000), world=None):
    """Seconds, units and exactness of closing a campaign of each size."""
    with (world or default_world())() as place, synthetic_time() as now, redirect_stdout(io.StringIO()):
        meter = RequestUnitMeter(peek=place.client())
        place.instrument(meter)
        store = TallyStore(place.table())
        supporters = Supporters(seed=4)
        stream = StreamPoller(TABLE, REGION, place.endpoint_url)
        _close_one(place, meter, store, stream, supporters, now, 100, "warm-up")   # clients, connections; not reported
        results = [_close_one(place, meter, store, stream, supporters, now, n, f"close-{n}") for n in sizes]
        search = _erasure_search(meter, store, now, sum(sizes) + 100)
    reports = [r["reports"] for r in results]
    return {"backend": place.backend, "sizes": results, "erasure_search": search,
            "time_exponent": fitted_exponent(reports, [r["seconds"] for r in results]),
            "client_time_exponent": fitted_exponent(reports, [r["client_seconds"] for r in results]),
            "rru_exponent": fitted_exponent(reports, [r["rru"] for r in results]),
            "fold_time_exponent": fitted_exponent(reports, [r["fold"]["seconds"] for r in results]),
            "fold_wru_exponent": fitted_exponent(reports, [r["fold"]["wru"] for r in results])}


def _close_one(world, meter, store, stream, supporters, now, n, campaign_id):
    campaign = open_seed_campaign(campaign_id, now=START)
    seed_seconds = _seed(world, campaign, supporters, n)
    fold = _fold(meter, store, stream, now, n, f"fold-{n}")
    now.moment = campaign.closes_at + timedelta(seconds=process.settings().settle_seconds + 1)
    with meter.measuring(campaign_id):
        started = time.perf_counter()
        totals = close_campaign(store, store.get_campaign(campaign_id), now())
        wall = time.perf_counter() - started
    seconds = wall - meter.overhead[campaign_id]
    spent = meter.totals(campaign_id)
    return {
        "reports": n, "exact": totals.tally.reports == n, "seed_seconds": seed_seconds,
        "seconds": seconds, "backend_seconds": spent["backend_seconds"],
        "client_seconds": seconds - spent["backend_seconds"],
        "client_us_per_report": (seconds - spent["backend_seconds"]) / n * 1e6,
        "rru": spent["rru"], "rru_per_report": spent["rru"] / n,
        "wru": spent["wru_with_indexes"], "calls": spent["calls"],
        "operations": meter.operations(campaign_id),
        "fold": fold, "fold_exact": store.get_provisional(campaign_id).tally.reports == n,
    }


def _fold(meter, store, stream, now, n, bucket):
    """The campaign's stream records folded as Lambda hands them over; what it cost.

    Reading the stream (GetRecords, and parsing its answers) is Lambda's poller's work on
    AWS, not the function's: the handler's own time is measured apart from it."""
    handler = f"{bucket} handler"
    inside = [0.0]

    def fold(event, _):
        with meter.measuring(handler):
            began = time.perf_counter()
            try:
                return fold_batch(store, event, now())
            finally:
                inside[0] += time.perf_counter() - began

    with meter.measuring(bucket):
        started = time.perf_counter()
        batches = stream.deliver(fold)
        wall = time.perf_counter() - started
    spent, reading = meter.totals(handler), meter.totals(bucket)
    seconds = wall - meter.overhead[bucket] - meter.overhead[handler]
    handler_seconds = inside[0] - meter.overhead[handler]
    return {"batches": batches, "seconds": seconds, "handler_seconds": handler_seconds,
            "wru": spent["wru_with_indexes"] + reading["wru_with_indexes"], "rru": spent["rru"] + reading["rru"],
            "calls": spent["calls"], "wru_per_report": (spent["wru_with_indexes"] + reading["wru_with_indexes"]) / n,
            "client_us_per_report": (handler_seconds - spent["backend_seconds"]) / n * 1e6}


def _erasure_search(meter, store, now, reports):
    """One supporter's erasure request, worked on at once: it reads every report stored here."""
    with meter.measuring("erasure"):
        started = time.perf_counter()
        done = erasure.erase_supporter_now(store, "nobody@example.org", "bench", now())
        wall = time.perf_counter() - started
    spent = meter.totals("erasure")
    return {"reports": reports, "seconds": wall - meter.overhead["erasure"], "rru": spent["rru"],
            "rru_per_report": spent["rru"] / reports, "calls": spent["calls"], "erased": done.reports_erased}


def _seed(world, campaign, supporters, n):
    """Store ``n`` reports, from a few threads when the backend is a server of its own."""
    started = time.perf_counter()
    reports = [(supporters.report_input(), uuid.UUID(int=i).hex, START + _SPREAD * (i / n)) for i in range(n)]
    writers = 3 if world.endpoint_url else 1
    tables = [world.uncounted_table() for _ in range(writers)]
    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(_write, [campaign] * writers, tables, [reports[i::writers] for i in range(writers)]))
    return time.perf_counter() - started


def _write(campaign, table, reports):
    with table.batch_writer() as batch:
        seeding = TallyStore(_Batched(batch))
        for report, report_id, received_at in reports:
            seeding.record_report(campaign, report, report_id, received_at)


def fitted_exponent(xs, ys):
    """The slope of the least-squares line through (log x, log y): y grows like x to this power."""
    points = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y > 0]
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
