"""Section 4: what closing a campaign costs as it grows (1k, 10k, 100k reports).

Reports are seeded through the storage layer's own ``record_report`` (so each
item is exactly what intake stores), batched 25 to a request through a client
the meter does not count; only the seeding skips the create-only condition,
which fresh ids pass anyway. The close itself is
:func:`chalicelib.tallying.close_campaign`, metered, and timed minus the
meter's own work.
"""
import math
import time
import uuid
from datetime import timedelta

from bench.meter import RequestUnitMeter
from bench.traffic import Supporters
from bench.units import START, synthetic_time
from bench.world import moto_world, open_seed_campaign
from chalicelib import runtime
from chalicelib.storage import TallyStore
from chalicelib.tallying import close_campaign

_SPREAD = timedelta(days=30)   # reports arrive over the campaign's month


class _Batched:
    """A table stand-in for seeding: ``record_report``'s put, sent in batches of 25."""

    def __init__(self, batch):
        self._batch = batch

    def put_item(self, Item, **_condition):
        self._batch.put_item(Item=Item)


def run(sizes=(1_000, 10_000, 100_000)):
    """Seconds, units and exactness of closing a campaign of each size."""
    results = []
    with moto_world() as world, synthetic_time() as now:
        meter = RequestUnitMeter(peek=world.client())
        world.instrument(meter)
        store = TallyStore(world.table())
        supporters = Supporters(seed=4)
        for n in sizes:
            campaign = open_seed_campaign(f"close-{n}", now=START)
            seed_seconds = _seed(world, campaign, supporters, n)
            now.moment = campaign.closes_at + timedelta(seconds=runtime.settings().settle_seconds + 1)
            bucket = f"close {n}"
            with meter.measuring(bucket):
                started = time.perf_counter()
                totals = close_campaign(store, store.get_campaign(campaign.campaign_id), now())
                wall = time.perf_counter() - started
            seconds = wall - meter.overhead[bucket]
            spent = meter.totals(bucket)
            results.append({
                "reports": n, "exact": totals.tally.reports == n, "seed_seconds": seed_seconds,
                "seconds": seconds, "backend_seconds": spent["backend_seconds"],
                "client_seconds": seconds - spent["backend_seconds"],
                "client_us_per_report": (seconds - spent["backend_seconds"]) / n * 1e6,
                "rru": spent["rru"], "rru_per_report": spent["rru"] / n,
                "wru": spent["wru_with_indexes"], "calls": spent["calls"],
                "operations": meter.operations(bucket),
            })
    reports = [r["reports"] for r in results]
    return {"sizes": results,
            "time_exponent": fitted_exponent(reports, [r["seconds"] for r in results]),
            "client_time_exponent": fitted_exponent(reports, [r["client_seconds"] for r in results]),
            "rru_exponent": fitted_exponent(reports, [r["rru"] for r in results])}


def _seed(world, campaign, supporters, n):
    started = time.perf_counter()
    with world.uncounted_table().batch_writer() as batch:
        seeding = TallyStore(_Batched(batch))
        for i in range(n):
            seeding.record_report(campaign, supporters.report_input(), uuid.UUID(int=i).hex,
                                  START + _SPREAD * (i / n))
    return time.perf_counter() - started


def fitted_exponent(xs, ys):
    """The slope of the least-squares line through (log x, log y): y grows like x to this power."""
    points = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y > 0]
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
