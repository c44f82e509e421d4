"""The bench's printed table, built from its results (the same figures as results.json)."""

# Issue 15's figures from the run of 2026-11-28 (docs/benchmarks.md keeps that run's table),
# and its goals: (key, what, before, goal, which way is better).
GOALS = (
    ("write_units_per_report", "write units per accepted report, table + indexes + stream fold", 3.34, 1.05, "max"),
    ("read_units_per_report_intake", "read units per accepted report at intake", 1.98, 0.10, "max"),
    ("intake_ratio_app_over_bare", "intake throughput, app path / bare PutItem route", 0.15, 0.70, "min"),
    ("import_overhead_ms", "import app over import chalice, boto3 (ms, median)", 93, 40, "max"),
    ("zip_bytes", "deployment zip (KiB)", 1348 * 1024, 500 * 1024, "max"),
)
BEFORE_DATE = "2026-11-28"


def _goal_figures(units, overhead, cold, package):
    return {"write_units_per_report": units["write_units_per_report"],
            "read_units_per_report_intake": units["read_units_per_report_intake"],
            "intake_ratio_app_over_bare": overhead["throughput_ratio"],
            "import_overhead_ms": cold["extra_import_ms"],
            "zip_bytes": (package or {}).get("zip_bytes")}


def goals(results: dict) -> dict:
    """The five figures at the top level, and under ``dynamodb_local`` where that ran (import
    time and zip do not depend on the backend: the same figures)."""
    figures = _goal_figures(results["units"], results["overhead"], results["cold_start"], results.get("package"))
    out = {key: value for key, value in figures.items() if value is not None}
    if results.get("units_dynamodb_local") and results.get("overhead_dynamodb_local"):
        local = _goal_figures(results["units_dynamodb_local"], results["overhead_dynamodb_local"],
                              results["cold_start"], results.get("package"))
        out["dynamodb_local"] = {key: value for key, value in local.items() if value is not None}
    return out


def _shown(key, value):
    if value is None:
        return "-"
    if key == "zip_bytes":
        return f"{_n(value / 1024, 0)} KiB"
    if key == "import_overhead_ms":
        return f"+{_n(value, 0)} ms"
    return _n(value)


def _goals(results):
    rows = []
    local = results.get("dynamodb_local", {})
    for key, what, before, goal, way in GOALS:
        now = results.get(key)
        met = now is not None and (now <= goal if way == "max" else now >= goal)
        rows.append((what, f"{_shown(key, before)} -> {_shown(key, now)}",
                     f"DynamoDB Local {_shown(key, local.get(key))}; goal {'<=' if way == 'max' else '>='} "
                     f"{_shown(key, goal)}: {'met' if met else 'NOT met'}"))
    units = results["units"]
    rows.append(("  ... if no replay reached the container that recorded it",
                 _n(units["write_units_per_report_replays_elsewhere"]),
                 f"each replay's failed create-only put, 1 unit ({_n(units['replays'])} replays)"))
    return rows


def _n(value, digits=2):
    if value is None:
        return "-"
    if isinstance(value, float) and value.is_integer() and abs(value) >= 100:
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def _intake(units):
    per = units["per_accepted_report"]
    requests = units["requests"]
    total = sum(requests.values())
    rows = [(f"accepted reports ({_n(total)} requests: {_n(units['replays'])} replays, "
             f"{_n(sum(n for k, n in requests.items() if 'invalid' in k))} invalid, "
             f"{_n(units.get('flagged', 0))} bots, "
             f"{_n(sum(n for k, n in requests.items() if k.startswith('form')))} form posts)",
             _n(units["reports_accepted"]), ""),
            ("WRU per accepted report, table only", _n(per["wru_table"]), f"floor {_n(per['floor_wru'])}"),
            ("WRU per accepted report, with index writes", _n(per["wru_with_indexes"]),
             f"floor {_n(per['floor_wru'])}"),
            ("WRU per accepted report, with the stream fold", _n(units["write_units_per_report"]),
             f"the fold's {_n(units['fold']['wru_per_report'], 3)}")]
    rows += [(f"  {line['unit']}: {line['line']}", _n(line["per"], 3), "per accepted report") for line in per["lines"]]
    for kind, figures in units["per_kind"].items():
        rows.append((f"  one '{kind}' request", f"{_n(figures['wru_with_indexes'])} WRU, {_n(figures['rru'])} RRU",
                     f"{_n(figures['calls'])} calls, {_n(figures['client_ms'])} ms here"))
    rows.append(("report item size, mean / max (bytes)",
                 f"{_n(units['report_item_bytes_mean'], 0)} / {_n(units['report_item_bytes_max'])}",
                 f"stored with DynamoDB's overhead: {_n(units['stored_bytes_per_report'], 0)} B"))
    return rows


def _reads(units):
    per, scheduler, fold = units["per_accepted_report"], units["scheduler"], units["fold"]
    fixed = scheduler["fixed_per_run"]
    return [
        ("RRU per accepted report at intake", _n(per["rru"]),
         "floor 0 (the campaign, the thank-you totals: a container remembers them 5 and 10 s)"),
        ("WRU per report, the stream fold", _n(fold["wru_per_report"], 3),
         f"{_n(fold['batches'])} batches, {_n(fold['wru_per_batch'])} WRU a batch, RRU {_n(fold['rru'], 3)}/report"),
        ("RRU per report at close (recount)", _n(units["close"]["rru"], 3),
         f"close exact: {units['close']['exact']} ({_n(units['close']['final_reports'])} reports)"),
        ("RRU per report, scheduled tally", _n(scheduler["variable_rru_per_report"], 3),
         f"over {scheduler['runs']} runs (it folds nothing now)"),
        ("scheduled tally fixed cost per run", f"{_n(fixed['rru'])} RRU, {_n(fixed['wru_with_indexes'])} WRU",
         f"{_n(fixed['calls'])} calls, once a minute per open campaign"),
        ("RRU per read of the live totals", _n(units["totals_read"]["rru"]), "campaign + provisional item"),
        ("RRU per view of the form page", _n(units["form_page_view"]["rru"]), ""),
    ]


def _overhead(overhead):
    app, bare = overhead["app"], overhead["bare"]
    return [
        (f"whole app path ({overhead['backend']}, {_n(app['requests'])} reports)",
         f"{_n(app['reports_per_second'], 0)} reports/s",
         f"{_n(app['ms_per_report'])} ms: {_n(app['client_ms_per_report'])} here + "
         f"{_n(app['backend_ms_per_report'])} backend, {_n(app['dynamodb_calls_per_report'])} calls"),
        (f"bare PutItem route ({_n(bare['requests'])} reports)", f"{_n(bare['reports_per_second'], 0)} reports/s",
         f"{_n(bare['ms_per_report'])} ms: {_n(bare['client_ms_per_report'])} here + "
         f"{_n(bare['backend_ms_per_report'])} backend, {_n(bare['dynamodb_calls_per_report'])} call"),
        ("app / bare, time per report", f"{_n(overhead['time_ratio'])}x",
         f"throughput ratio {_n(overhead['throughput_ratio'])}"),
        ("app / bare, this process only (no backend)", f"{_n(overhead['client_ratio'])}x",
         f"+{_n(overhead['client_ms_added'])} ms per report"),
    ]


def _close(close):
    rows = []
    for r in close["sizes"]:
        fold = r["fold"]
        rows.append((f"fold {_n(r['reports'])} reports from the stream ({close['backend']})",
                     f"{_n(fold['seconds'])} s",
                     f"{_n(fold['wru'])} WRU ({_n(fold['wru_per_report'], 4)}/report) in {fold['batches']} batches, "
                     f"handler {_n(fold['handler_seconds'])} s, {_n(fold['client_us_per_report'], 0)} us/report "
                     f"in it, exact: {r['fold_exact']}"))
        rows.append((f"close {_n(r['reports'])} reports ({close['backend']})", f"{_n(r['seconds'])} s",
                     f"{_n(r['rru'])} RRU ({_n(r['rru_per_report'], 3)}/report), "
                     f"{_n(r['client_us_per_report'], 0)} us/report here, exact: {r['exact']}"))
    rows.append(("fitted growth (log-log slope)",
                 f"close: time n^{_n(close['time_exponent'])}, RRU n^{_n(close['rru_exponent'])}",
                 f"this process only: n^{_n(close['client_time_exponent'])}; fold: time "
                 f"n^{_n(close['fold_time_exponent'])}, WRU n^{_n(close['fold_wru_exponent'])}; 1.0 = linear"))
    search = close.get("erasure_search")
    if search:
        per = _n(search["rru_per_report"], 3)
        rows.append((f"an erasure request's search of {_n(search['reports'])} reports", f"{_n(search['seconds'])} s",
                     f"{_n(search['rru'])} RRU ({per}/report), {_n(search['calls'])} calls"))
    return rows


def _cold(cold, package):
    rows = [("import app (median)", f"{_n(cold['app_import_ms'], 0)} ms",
             f"bare 'import chalice, boto3': {_n(cold['bare_import_ms'], 0)} ms; +{_n(cold['extra_import_ms'], 0)} ms "
             f"(fastest: {_n(cold['app_import_ms_min'], 0)} vs {_n(cold['bare_import_ms_min'], 0)} ms)"),
            ("fresh process, import app", f"{_n(cold['app_process_ms'], 0)} ms",
             f"bare {_n(cold['bare_process_ms'], 0)} ms, empty {_n(cold['empty_process_ms'], 0)} ms, "
             f"{cold['runs']} runs"),
            ("... and what a first JSON report / form post imports",
             f"{_n(cold['first_json_report_process_ms'], 0)} / {_n(cold['first_form_post_process_ms'], 0)} ms",
             f"+{_n(cold['first_json_report_process_ms'] - cold['bare_process_ms'], 0)} / "
             f"+{_n(cold['first_form_post_process_ms'] - cold['bare_process_ms'], 0)} ms over the bare process "
             "(Powertools, the route's package; Jinja2 for the form)"),
            ("own time by package", ", ".join(f"{k} {v}" for k, v in list(cold["app_ms_by_package"].items())[:5]),
             "ms")]
    if package and "zip_bytes" in package:
        rows.append(("deployment.zip (chalice package)", f"{_n(package['zip_bytes'] / 1024, 0)} KiB",
                     f"{package['files']} files; " + ", ".join(f"{k} {_n(v / 1024, 0)} KiB"
                                                               for k, v in list(package["largest_parts"].items())[:4])))
    elif package:
        rows.append(("deployment.zip", "failed", package.get("error", "")[-200:]))
    return rows


def _page(page):
    rows = [("form page (en)", f"{_n(page['html_bytes'])} B, {page['requests']} request(s)",
             f"gzip {_n(page['html_gzip_bytes'])} B; assets {len(page['assets'])} own, "
             f"{len(page['external_assets'])} external; total {_n(page['total_bytes'])} B")]
    languages = page.get("languages")
    if languages:
        rows += [(f"  {code}", f"{_n(p['total_bytes'])} B, {p['requests']} request(s)",
                  f"gzip {_n(p['total_gzip_bytes'])} B; {p['letters_shown']} letter(s), "
                  f"{p['mailto_links']} mailto: link(s)") for code, p in languages["by_language"].items()]
        rows.append(("  budget", f"{_n(languages['budget_bytes'])} B",
                     f"{'within' if languages['within_budget'] else 'OVER'}; heaviest {languages['heaviest']}"))
    return rows


def _cost(cost):
    rows = [(f"  {name}", f"${_n(value)}", "") for name, value in cost["lines"].items()]
    rows.append(("per million accepted reports (posts only)", f"${_n(cost['posts_total'])}", ""))
    rows += [(f"  {name}", f"${_n(value)}", "") for name, value in cost["form_view_lines"].items()]
    a = cost["assumptions"]
    rows += [("with one form page view per report", f"${_n(cost['total_with_one_form_view'])}",
              f"HTTP API instead of REST: ${_n(cost['total_with_http_api'])}"),
             ("scheduler, per open campaign per day", f"${_n(cost['scheduler_per_open_campaign_day'], 4)}", ""),
             ("assumed", f"{a['lambda_billed_ms_per_json_post']} ms billed per JSON post",
              f"{a['lambda_memory_mb']} MB = {a['lambda_memory_mb'] / a['full_vcpu_mb']:.2f} vCPU, "
              f"{a['dynamodb_round_trip_ms']} ms per DynamoDB call"),
             ("prices", f"{cost['region']}, as of {cost['prices_as_of']}",
              "list prices, see bench/prices.py; re-check")]
    return rows


def _scale(scale):
    needed = scale["shards_needed"]
    fold = scale["stream_fold"]
    big = scale["recount"][-2]
    return [("shards needed (<0.01 throttled shard-s/hour)",
             ", ".join(f"{_n(float(rate), 0)}/s: {n}" for rate, n in needed.items()), "REPORT_SHARDS is 4 today"),
            (f"stream fold at {_n(scale['rate'])}/s", f"{_n(fold['batches_per_second'], 0)} batches/s",
             f"{_n(fold['seconds_per_batch'])} s each at 512 MB (a stream shard takes "
             f"{_n(fold['records_per_second_per_shard'], 0)}/s), {_n(fold['totals_wru_per_second'], 0)} WRU/s "
             "on the totals item"),
            (f"close of {_n(big['reports'])} reports",
             ", ".join(f"{k}: {_n(v, 0)} s" for k, v in big.items() if k != "reports"),
             "tally timeout 300 s, max 900 s")]


def table(results: dict) -> str:
    sections = [(f"Goals (issue 15): before ({BEFORE_DATE}) -> now", lambda r: _goals(results), "units"),
                ("1. Write units per report", _intake, "units"),
                ("1b. Write units per report on DynamoDB Local", _intake, "units_dynamodb_local"),
                ("2. Read units", _reads, "units"),
                ("2b. Read units on DynamoDB Local", _reads, "units_dynamodb_local"),
                ("3. Intake overhead", _overhead, "overhead"),
                ("3b. Intake overhead on DynamoDB Local", _overhead, "overhead_dynamodb_local"),
                ("4. Stream fold and close as they grow", _close, "close"),
                ("6. Form page weight", lambda u: _page(u["page"]), "units"),
                ("7. Cost per million reports (USD)", _cost, "cost"),
                ("8. Case-sheet importer", _importer, "case_sheet_import"),
                ("9. Reading a case (GET /cases, the closed page's link)", _cases, "cases"),
                ("Scale on paper (docs/scale.md)", _scale, "scale")]
    out = []
    for title, build, key in sections:
        if results.get(key):
            out.append(_section(title, build(results[key])))
        if key == "close" and results.get("cold_start"):
            out.append(_section("5. Cold start and package", _cold(results["cold_start"], results.get("package"))))
    out.append(_section("Wall time per section", [(name, f"{_n(s, 1)} s", "") for name, s in results["wall"].items()]))
    return "\n\n".join(out)


def _importer(figures):
    rows = [(f"read one case sheet, median over {figures['sheets']} sheets (in process)",
             f"{_n(figures['median_ms'], 1)} ms", f"slowest {_n(figures['max_ms'], 1)} ms")]
    rows += [(f"  {name}", f"{_n(ms, 1)} ms", f"median of {figures['repeats']}")
             for name, ms in figures["ms_per_sheet"].items()]
    rows += [("import app (median, fresh interpreters)", f"{_n(figures['app_import_ms'], 1)} ms",
              "the supporter routes' cold start"),
             ("import app with the importer loaded", f"{_n(figures['app_with_importer_ms'], 1)} ms",
              f"the importer: {_n(figures['importer_import_ms'], 1)} ms, paid by staff views only"),
             ("import app imports the importer", "yes" if figures["app_imports_importer"] else "no", "must be no")]
    return rows


def _cases(figures):
    rows = []
    for row in figures["lengths"]:
        case, page = row["case"], row["closed_page"]
        rows.append((f"case of {row['campaigns']}: GET /cases", f"{_n(case['calls'], 1)} calls",
                     f"{_n(case['rru'], 1)} RRU, {_n(case['client_ms'], 1)} ms, {_n(case['bytes'])} bytes"))
        rows.append((f"case of {row['campaigns']}: the first's closed page", f"{_n(page['calls'], 1)} calls",
                     f"{_n(page['rru'], 1)} RRU, {_n(page['client_ms'], 1)} ms"))
    return rows


def _section(title, rows):
    width = max([len(label) for label, _, _ in rows] + [len(title)])
    value_width = max(len(value) for _, value, _ in rows)
    lines = [title, "-" * len(title)]
    lines += [f"{label:<{width}}  {value:>{value_width}}  {note}".rstrip() for label, value, note in rows]
    return "\n".join(lines)
