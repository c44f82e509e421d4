"""What reading a case costs as it grows: ``GET /cases/{id}`` and the closed form page of the
case's first campaign (which looks for the open update), for cases of 1 to 50 campaigns.

    python -m bench.cases            # moto; prints a table, figures per request

Counted with :class:`bench.meter.RequestUnitMeter`: DynamoDB calls and read units per request
(eventually consistent index reads, consistent campaign reads), and the milliseconds this
process spent (moto's and the meter's own time taken out). The claim to check is O(case
length): one index query whatever the length, then one totals read per campaign.
"""
import sys
import time
from datetime import timedelta
from pathlib import Path

from chalice.test import Client

from bench.meter import RequestUnitMeter
from bench.units import synthetic_time
from bench.world import moto_world, open_seed_campaign
from chalicelib.runtime import process

ROOT = Path(__file__).resolve().parent.parent
LENGTHS = (1, 5, 20, 50)
REPEATS = 10


def run(lengths=LENGTHS, repeats=REPEATS) -> dict:
    """``{"lengths": [{campaigns, case: {...}, closed_page: {...}}]}``, per request."""
    return {"lengths": [_one(length, repeats) for length in lengths], "repeats": repeats}


def _one(length, repeats):
    import app

    with moto_world() as place, synthetic_time() as now:
        meter = RequestUnitMeter(peek=place.client())
        place.instrument(meter)
        first = open_seed_campaign("ua-1-00", now=now())
        with meter.measuring("setup"):
            _follow_ups(first, length - 1, now)
        last = "ua-1-00" if length == 1 else f"ua-1-{length - 1:02d}"
        with Client(app.app, stage_name="dev", project_dir=str(ROOT)) as client:
            case = _measure(client, meter, "case", f"/cases/{last}", repeats)
            now.moment = first.closes_at + timedelta(seconds=1)    # the first has closed, the rest not
            closed = _measure(client, meter, "closed page", "/campaigns/ua-1-00/form", repeats)
        return {"campaigns": length, "case": case, "closed_page": closed}


def _follow_ups(first, count, now):
    from tools.run_local import seed_body

    from chalicelib.staff.campaign_admin import save_campaign
    parent = first.campaign_id
    for index in range(1, count + 1):
        now.advance(1)
        body = {**seed_body(now(), 30 + index), "follow_up_of": parent}
        campaign, _ = save_campaign(process.store(), f"ua-1-{index:02d}", body, now(),
                                    process.settings().report_shards)
        parent = campaign.campaign_id


def _measure(client, meter, bucket, path, repeats):
    wall = 0.0
    with meter.measuring(bucket):
        for _ in range(repeats):
            started = time.perf_counter()
            response = client.http.get(path)
            wall += time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code} {response.body[:200]!r}")
    totals = meter.totals(bucket)
    ms = (wall - meter.backend[bucket] - meter.overhead[bucket]) / repeats * 1000
    return {"calls": totals["calls"] / repeats, "rru": totals["rru"] / repeats,
            "operations": {op: n / repeats for op, n in meter.operations(bucket).items()},
            "bytes": len(response.body), "client_ms": ms}


def table(results) -> str:
    rows = ["campaigns | GET /cases: calls, RRU, ms, bytes | closed page: calls, RRU, ms",
            "---|---|---"]
    for row in results["lengths"]:
        case, page = row["case"], row["closed_page"]
        rows.append(f"{row['campaigns']} | {case['calls']:.1f}, {case['rru']:.1f}, {case['client_ms']:.1f}, "
                    f"{case['bytes']:,} | {page['calls']:.1f}, {page['rru']:.1f}, {page['client_ms']:.1f}")
    return "\n".join(rows)


def main():
    results = run()
    print(table(results))
    for row in results["lengths"]:
        print(f"{row['campaigns']:>3} campaigns: GET /cases {row['case']['operations']}; closed page "
              f"{row['closed_page']['operations']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
