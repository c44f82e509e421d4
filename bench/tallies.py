"""Offline tallies: what a CSV import costs (300 rows by default: moto's transactions take
time in proportion to the table, so more rows measure moto, not the code), and what listing a campaign's tallies
costs beside a campaign's reports, on moto, metered (:mod:`bench.meter`).

Listing reads the campaign's ``TALLIES#<id>`` partition (one entry per tally, written in
the tally's own transaction): it costs what the tallies weigh, whatever the number of
reports. The alternative it replaces, reading every report to find the offline ones, is
measured beside it, for a campaign of ``reports`` supporters' reports."""
import io
import time
import uuid
from contextlib import redirect_stdout

from bench.meter import RequestUnitMeter
from bench.world import moto_world, open_seed_campaign
from chalicelib.counting.offline import enter_tallies
from chalicelib.domain import clock
from chalicelib.domain.report import parse_report
from chalicelib.domain.tallies import parse_tally_csv
from chalicelib.runtime import process


def run(rows=300, reports=1_000) -> dict:
    with moto_world() as place, redirect_stdout(io.StringIO()):
        meter = RequestUnitMeter(peek=place.client())
        place.instrument(meter)
        now = clock.now()
        campaign = open_seed_campaign(now=now)
        store = process.store()
        _seed_reports(place, campaign, reports, now)
        content = _file(campaign, rows, now)
        settings = process.settings()
        started = time.perf_counter()
        with meter.measuring("import"):
            entered = enter_tallies(store, campaign.campaign_id, lambda chosen: parse_tally_csv(
                content, chosen, settings.max_count_per_action, now), entered_by="bench", now=now)
        import_seconds = time.perf_counter() - started - meter.overhead["import"]
        with meter.measuring("list"):
            listed = store.tally_entries(campaign.campaign_id)
        with meter.measuring("every report"):
            every = sum(1 for report in store.stored_reports(campaign) if report.offline)
        exact = entered.created == rows == len(listed) == every
        spent = {bucket: meter.totals(bucket) for bucket in ("import", "list", "every report")}
        return {
            "rows": rows, "reports_beside": reports, "exact": exact, "csv_bytes": len(content.encode()),
            "import": {"seconds_moto": round(import_seconds, 2), "calls": meter.operations("import"),
                       "wru": spent["import"]["wru_table"], "wru_per_tally": spent["import"]["wru_table"] / rows},
            "list_tallies": {"rru": spent["list"]["rru"], "calls": spent["list"]["calls"]},
            "read_every_report": {"rru": spent["every report"]["rru"], "calls": spent["every report"]["calls"]},
        }


def _seed_reports(place, campaign, reports, now):
    """Supporters' reports, written straight to the table (uncounted): what listing must not read."""
    from chalicelib.storage import TallyStore
    seeding = TallyStore(place.uncounted_table())
    for _ in range(reports):
        body = {"submission_id": str(uuid.uuid4()), "per_target": {campaign.target_ids[0]: {campaign.actions[0]: 1}},
                "country": "MX"}
        seeding.record_report(campaign, parse_report(body, campaign, 50), uuid.uuid4().hex, now)


def _file(campaign, rows, now) -> str:
    target, action = campaign.target_ids[0], campaign.actions[0]
    lines = [f"source,acted_on,country,participants,{target}.{action}"]
    lines += [f"School {n} letter-writing morning,{now.date().isoformat()},ES,25,{20 + n % 7}" for n in range(rows)]
    return "\r\n".join(lines) + "\r\n"


if __name__ == "__main__":
    import json
    print(json.dumps(run(), indent=1))
