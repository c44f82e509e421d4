"""Section 4: what closing a campaign costs as it grows (1k, 10k, 100k reports).

Reports are seeded through the storage layer's own ``record_report`` (so each
item is exactly what intake stores), batched 25 to a request through a client
the meter does not count; only the seeding skips the create-only condition,
which fresh ids pass anyway. The close itself is
:func:`chalicelib.counting.tallying.close_campaign`, metered, and timed minus the
meter's own work.
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
from bench.world import local_world, moto_world, open_seed_campaign
from chalicelib.counting.tallying import close_campaign
from chalicelib.runtime import process
from chalicelib.storage import TallyStore

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
        _close_one(place, meter, store, supporters, now, 100, "warm-up")   # clients and connections; not reported
        results = [_close_one(place, meter, store, supporters, now, n, f"close-{n}") for n in sizes]
    reports = [r["reports"] for r in results]
    return {"backend": place.backend, "sizes": results,
            "time_exponent": fitted_exponent(reports, [r["seconds"] for r in results]),
            "client_time_exponent": fitted_exponent(reports, [r["client_seconds"] for r in results]),
            "rru_exponent": fitted_exponent(reports, [r["rru"] for r in results])}


def _close_one(world, meter, store, supporters, now, n, campaign_id):
    campaign = open_seed_campaign(campaign_id, now=START)
    seed_seconds = _seed(world, campaign, supporters, n)
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
    }


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
