"""Section 5: what a cold start pays to import the app, and how big the deployment zip is.

Each measurement is a fresh interpreter (``python -X importtime``), alternating
the app and the bare ``import chalice, boto3`` it is compared with; medians
over the runs.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = "import app"
BARE = "import chalice, boto3"
# A cold start then imports what its first invocation needs (app.py loads route packages
# lazily, and observability Powertools at the first invocation): a JSON report, a form post.
FIRST_JSON = ("import app; app.api.report_response; "
              "import aws_lambda_powertools.logging.logger, aws_lambda_powertools.metrics")
FIRST_FORM = FIRST_JSON + "; app.form_page.post_form"


def import_times(stderr: str) -> dict:
    """From ``-X importtime`` output: cumulative microseconds of each top-level import, and
    the microseconds spent in each top-level package's own modules (``self`` times summed)."""
    top, by_package = {}, Counter()
    for line in stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        own, cumulative, name = line[len("import time:"):].split("|")
        if not cumulative.strip().isdigit():
            continue   # the header line
        by_package[name.strip().split(".")[0]] += int(own)
        if not name.startswith("  ") and name.strip():
            top[name.strip()] = int(cumulative)
    return {"top": top, "by_package": by_package}


def _run(statement):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - this interpreter, with one of our fixed statements
        [sys.executable, "-X", "importtime", "-c", statement], cwd=ROOT, env=environment,
        capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    return wall, import_times(result.stderr)


def imports(runs=7) -> dict:
    samples = {APP: [], BARE: [], "pass": [], FIRST_JSON: [], FIRST_FORM: []}
    packages = Counter()
    for _ in range(runs):
        for statement in (APP, BARE, "pass", FIRST_JSON, FIRST_FORM):
            wall, times = _run(statement)
            names = statement.replace("import ", "").split(", ") if statement in (APP, BARE) else []
            samples[statement].append((wall, sum(times["top"].get(name, 0) for name in names) / 1000))
            if statement == APP:
                for name, micros in times["by_package"].items():
                    packages[name] += micros / 1000 / runs
    wall = {k: statistics.median(w for w, _ in v) * 1000 for k, v in samples.items()}
    import_ms = {k: statistics.median(ms for _, ms in v) for k, v in samples.items()}
    fastest = {k: min(ms for _, ms in v) for k, v in samples.items()}
    return {
        "runs": runs,
        "app_import_ms": import_ms[APP], "bare_import_ms": import_ms[BARE],
        "extra_import_ms": import_ms[APP] - import_ms[BARE],
        "app_import_ms_min": fastest[APP], "bare_import_ms_min": fastest[BARE],
        "app_process_ms": wall[APP], "bare_process_ms": wall[BARE], "empty_process_ms": wall["pass"],
        "first_json_report_process_ms": wall[FIRST_JSON], "first_form_post_process_ms": wall[FIRST_FORM],
        "app_ms_by_package": {name: round(ms, 1) for name, ms in packages.most_common(8)},
    }


def package(stage="prod") -> dict:
    """``chalice package``: the deployment zip's size, files, and the largest top-level parts."""
    chalice = Path(sys.executable).parent / "chalice"
    with tempfile.TemporaryDirectory() as out:
        environment = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
        started = time.perf_counter()
        result = subprocess.run(  # noqa: S603 - the virtualenv's own chalice, fixed arguments
            [str(chalice), "package", "--stage", stage, out], cwd=ROOT, env=environment,
            capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            return {"error": (result.stdout + result.stderr)[-2000:]}
        path = Path(out) / "deployment.zip"
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
        parts = Counter()
        for info in infos:
            parts[info.filename.split("/", 1)[0] if "/" in info.filename else info.filename] += info.compress_size
        return {"zip_bytes": path.stat().st_size, "files": len(infos),
                "unzipped_bytes": sum(info.file_size for info in infos),
                "largest_parts": dict(parts.most_common(6)), "seconds": time.perf_counter() - started}
