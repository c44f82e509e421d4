"""The simulations behind docs/scale.md: 10,000 reports a second on AWS, on paper.

Inputs are the bench's measured figures (units per report, item sizes, CPU time
per report read at close) where it has them, and AWS's published limits:

* a DynamoDB partition serves at most 1,000 write units and 3,000 read units a
  second; a report shard (``REPORTS#<campaign>#<n>``) is one item collection,
  which DynamoDB may split for heat now that the table has no local secondary
  index, but need not at once: so one shard is counted on one partition's
  throughput, as before;
* Lambda gives a full vCPU at 1,769 MB and a proportional share below;
  a function scales by at most 1,000 execution environments every 10 seconds.

``python -m bench.scale_sim`` prints the tables with the figures of the last
``make bench`` (``bench/results.json``), or with typical ones if it has not run.
"""
import json
import math
import random
import uuid
from collections import Counter
from pathlib import Path

from chalicelib.domain.report import shard_for

PARTITION_WRU = 1000
PARTITION_RRU = 3000
FULL_VCPU_MB = 1769
QUERY_PAGE_BYTES = 1024 * 1024
# A strongly consistent 1 MB page costs 256 read units: a partition serves about 12 pages a second.
PAGE_SECONDS = 256 / PARTITION_RRU
RESULTS = Path(__file__).resolve().parent / "results.json"
TYPICAL = {"wru_partition_per_report": 1.0, "campaign_reads_per_report": 1.1, "totals_reads_per_report": 0.34,
           "report_item_bytes": 210, "client_us_per_report_read": 90.0, "lambda_ms_per_post": 12,
           "fold_us_per_report": 300.0, "fold_wru_per_batch": 2.0}
FOLD_BATCH = 1000   # runtime.config.STREAM_BATCH: records per batch when the stream is busy


def poisson_tail(mean: float, limit: float) -> float:
    """P(X > limit) for X ~ Poisson(mean), summed in log space."""
    k = math.floor(limit) + 1
    total, term_k = 0.0, k
    while term_k < mean + 40 * math.sqrt(mean) + 50:
        total += math.exp(term_k * math.log(mean) - mean - math.lgamma(term_k + 1))
        term_k += 1
    return min(1.0, total)


def shard_load(rate=10_000, shard_counts=(4, 8, 16, 20, 24, 32, 48, 64), wru_per_report=2.0,
               seconds=10, seed=10):
    """Write units per shard per second at ``rate`` reports a second.

    Simulated: ``seconds`` of real submission ids (random UUIDs) hashed by the
    app's own :func:`shard_for`, per second and shard. Computed: the chance that
    a given shard-second goes over a partition's 1,000 units when arrivals are
    Poisson, and the throttled shard-seconds that makes in an hour at that rate.
    """
    rng = random.Random(seed)   # noqa: S311 - reproducible sample ids, not a secret
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(rate * seconds)]
    rows = []
    for shards in shard_counts:
        peak = 0
        for second in range(seconds):
            counts = Counter(shard_for(i, shards) for i in ids[second * rate:(second + 1) * rate])
            peak = max(peak, max(counts.values()))
        mean = rate / shards
        p_over = poisson_tail(mean, PARTITION_WRU / wru_per_report)
        rows.append({"shards": shards, "mean_wru_per_shard_second": mean * wru_per_report,
                     "simulated_peak_wru": peak * wru_per_report,
                     "p_shard_second_over_limit": p_over,
                     "throttled_shard_seconds_per_hour": p_over * shards * 3600})
    return rows


def shards_needed(rate, wru_per_report, per_hour=0.01):
    """The fewest shards for which throttled shard-seconds stay under ``per_hour``."""
    shards = max(1, math.ceil(rate * wru_per_report / PARTITION_WRU))
    while poisson_tail(rate / shards, PARTITION_WRU / wru_per_report) * shards * 3600 > per_hour:
        shards += 1
    return shards


def hot_items(rate=10_000, campaign_reads=1.3, totals_reads=0.3, rru_per_read=1.0, lambda_ms=12,
              cache_seconds=(0, 1, 5)):
    """Reads a second of the items reports read (``*_reads`` per accepted report without a
    container's memory): the campaign (every post) and the provisional totals (a form post's
    thank-you page), against a partition's 3,000. Remembered, one read per warm container."""
    concurrency = rate * lambda_ms / 1000
    rows = []
    for item, share in (("campaign", campaign_reads), ("provisional totals", totals_reads)):
        for cache in cache_seconds:
            reads = rate * share if cache == 0 else min(rate * share, concurrency / cache)
            for consistent in (True, False):
                units = reads * rru_per_read * (1 if consistent else 0.5)
                rows.append({"item": item, "cache_seconds": cache, "consistent": consistent,
                             "reads_per_second": reads, "rru_per_second": units,
                             "share_of_partition": units / PARTITION_RRU})
    return {"concurrency": concurrency, "rows": rows}


def read_seconds(items, item_bytes, client_us, memory_mb, workers=1):
    """Seconds to Query and count ``items`` report items: each worker reads its shards' pages
    one after another (a partition serves ~12 strongly consistent 1 MB pages a second) while
    its CPU parses them at Lambda's CPU share for ``memory_mb``."""
    per_worker = items / workers
    cpu_share = min(1.0, memory_mb / FULL_VCPU_MB)
    cpu = per_worker * client_us / 1e6 / cpu_share
    pages = per_worker * item_bytes / QUERY_PAGE_BYTES
    return max(cpu, pages * PAGE_SECONDS) + min(cpu, pages * PAGE_SECONDS) * 0.1   # little overlap in one thread


def recount(client_us, item_bytes, sizes=(100_000, 1_000_000, 10_000_000, 30_000_000),
            setups=(("512 MB, one loop (today)", 512, 1), ("1,769 MB, one loop", 1769, 1),
                    ("1,769 MB per shard, 32 invocations", 1769, 32))):
    """Close time (the recount) for campaigns of ``sizes`` reports, in each setup."""
    return [{"reports": n, **{name: read_seconds(n, item_bytes, client_us, memory, workers)
                              for name, memory, workers in setups}} for n in sizes]


def stream_fold(rate, us_per_report, wru_per_batch, memory_mb=512, batch=FOLD_BATCH):
    """The stream fold at ``rate`` reports a second: full batches, one invocation and one write
    to the campaign's provisional totals item each, whatever the number of stream shards."""
    batches = rate / batch
    cpu_share = min(1.0, memory_mb / FULL_VCPU_MB)
    seconds = batch * us_per_report / 1e6 / cpu_share
    return {"batches_per_second": batches, "seconds_per_batch": seconds,
            "concurrent_invocations": batches * seconds,
            # one invocation at a time per stream shard (ParallelizationFactor 1): what one shard takes
            "records_per_second_per_shard": batch / seconds,
            "totals_wru_per_second": batches * wru_per_batch}


def measured_inputs(results: dict | None) -> dict:
    """The simulation's inputs from a bench run's results (typical figures where absent)."""
    inputs = dict(TYPICAL)
    if not results:
        return inputs
    units = results.get("units") or {}
    if units:
        lines = {line["line"]: line["per"] for line in units["per_accepted_report"]["lines"]}
        # What lands on a report's shard partition: the report item (and, on a table made before
        # the stream fold, its LSI entry; replays' failed puts included).
        inputs["wru_partition_per_report"] = sum(
            line["per"] for line in units["per_accepted_report"]["lines"]
            if "REPORTS" in line["line"] and (line["unit"] == "WRU" or "(LSI)" in line["line"]))
        inputs["fold_wru_per_batch"] = units["fold"]["wru_per_batch"]
        inputs["report_item_bytes"] = units["report_item_bytes_mean"]
        # Without a container's memory every post would read the campaign, and every form post
        # the provisional totals; the bench's container remembers them (its measured reads).
        requests = units["requests"]
        inputs["campaign_reads_per_report"] = sum(requests.values()) / units["reports_accepted"]
        inputs["totals_reads_per_report"] = sum(n for kind, n in requests.items()
                                                if kind.startswith("form")) / units["reports_accepted"]
        inputs["campaign_reads_measured"] = lines.get("GetItem CAMPAIGN/CAMPAIGN", 0.0)
    close = (results.get("close") or {}).get("sizes")
    if close:
        inputs["client_us_per_report_read"] = close[-1]["client_us_per_report"]
        inputs["fold_us_per_report"] = close[-1]["fold"]["client_us_per_report"]
    cost = results.get("cost") or {}
    if cost:
        inputs["lambda_ms_per_post"] = cost["assumptions"]["lambda_billed_ms_per_json_post"]
    return inputs


def run(results: dict | None = None, rate=10_000) -> dict:
    inputs = measured_inputs(results)
    wru = inputs["wru_partition_per_report"]
    return {
        "rate": rate, "inputs": inputs,
        "shard_load": shard_load(rate, wru_per_report=wru),
        "shards_needed": {r: shards_needed(r, wru) for r in (2_000 / 60, 1_000, 5_000, 10_000, 20_000)},
        "hot_items": hot_items(rate, inputs["campaign_reads_per_report"], inputs["totals_reads_per_report"],
                               lambda_ms=inputs["lambda_ms_per_post"]),
        "recount": recount(inputs["client_us_per_report_read"], inputs["report_item_bytes"]),
        "stream_fold": stream_fold(rate, inputs["fold_us_per_report"], inputs["fold_wru_per_batch"]),
        "lambda": {"concurrency": rate * inputs["lambda_ms_per_post"] / 1000,
                   "seconds_to_scale_from_zero": math.ceil(rate * inputs["lambda_ms_per_post"] / 1000 / 1000) * 10},
    }


def _markdown(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown(figures: dict) -> str:
    """The tables of docs/scale.md."""
    inputs = figures["inputs"]
    shard_rows = [(r["shards"], f"{r['mean_wru_per_shard_second']:,.0f}", f"{r['simulated_peak_wru']:,.0f}",
                   f"{r['p_shard_second_over_limit']:.1e}", f"{r['throttled_shard_seconds_per_hour']:.2g}")
                  for r in figures["shard_load"]]
    hot_rows = [(r["item"], r["cache_seconds"] or "none", "strong" if r["consistent"] else "eventual",
                 f"{r['reads_per_second']:,.0f}", f"{r['rru_per_second']:,.0f}", f"{r['share_of_partition']:.0%}")
                for r in figures["hot_items"]["rows"]]
    setups = [k for k in figures["recount"][0] if k != "reports"]
    recount_rows = [(f"{r['reports']:,}", *(_seconds(r[k]) for k in setups)) for r in figures["recount"]]
    fold = figures["stream_fold"]
    return "\n\n".join([
        "Inputs: " + ", ".join(f"{k} = {v:,.4g}" if isinstance(v, float) else f"{k} = {v}"
                                for k, v in inputs.items()),
        f"Write units per shard at {figures['rate']:,} reports/s:",
        _markdown(["shards", "mean WRU/s per shard", "simulated peak WRU/s (10 s)", "P(shard-second > 1,000)",
                   "throttled shard-seconds per hour"], shard_rows),
        "Shards needed: " + ", ".join(f"{float(rate):,.0f}/s → {n}" for rate, n in figures["shards_needed"].items()),
        f"Hot items at {figures['rate']:,} reports/s (Lambda concurrency {figures['hot_items']['concurrency']:,.0f}):",
        _markdown(["item", "cache (s)", "read", "reads/s", "RRU/s", "of one partition"], hot_rows),
        "Close (recount) time:",
        _markdown(["reports", *setups], recount_rows),
        f"The stream fold at {figures['rate']:,}/s: {fold['batches_per_second']:,.0f} batches a second of "
        f"{FOLD_BATCH:,} records, {_seconds(fold['seconds_per_batch'])} each at 512 MB "
        f"({fold['concurrent_invocations']:,.1f} invocations at once; one stream shard takes "
        f"{fold['records_per_second_per_shard']:,.0f} records a second), "
        f"{fold['totals_wru_per_second']:,.0f} WRU/s on the campaign's provisional totals item",
    ])


def _seconds(value):
    return f"{value:,.1f} s" if value < 10 else f"{value:,.0f} s"


def main():
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else None
    print(markdown(run(results)))


if __name__ == "__main__":
    main()
