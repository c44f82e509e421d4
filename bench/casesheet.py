"""Section 8: the case-sheet importer. Its time per sheet, in process (median of many reads
after one to warm up), over the sheets the tests check and UA 47.22; and what loading it
costs a cold start: ``import app`` never imports it (only the staff views that use it do,
inside the function), and ``import app`` with the importer loaded as well shows its cost.
"""
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from bench import cold_start

ROOT = Path(__file__).resolve().parent.parent
SHEETS = sorted((ROOT / "tests" / "casesheet" / "sheets").glob("*")) + [ROOT / "campaigns" / "ua-47-22.txt"]
WITH_IMPORTER = "import app, chalicelib.casesheet.reader"
NOW = datetime(2000, 1, 1, tzinfo=timezone.utc)   # before every sheet's deadline: no "has passed" path


def run(repeats=25, import_runs=7) -> dict:
    return {**times(repeats), **imports(import_runs)}


def times(repeats=25) -> dict:
    from chalicelib.casesheet.reader import read_case_sheet
    from chalicelib.domain.errors import ApiError

    per_sheet = {}
    for path in SHEETS:
        text = path.read_text(encoding="utf-8")
        samples = []
        for attempt in range(repeats + 1):
            started = time.perf_counter()
            try:
                read_case_sheet(text, NOW, "UTC")
            except ApiError:
                pass   # the outcome notices: refused, as they should be
            if attempt:
                samples.append((time.perf_counter() - started) * 1000)
        per_sheet[path.name] = round(statistics.median(samples), 3)
    return {"sheets": len(per_sheet), "repeats": repeats, "ms_per_sheet": per_sheet,
            "median_ms": round(statistics.median(per_sheet.values()), 3),
            "max_ms": round(max(per_sheet.values()), 3),
            "bytes_per_sheet_max": max(len(p.read_bytes()) for p in SHEETS)}


def imports(runs=7) -> dict:
    """Fresh interpreters, alternating: ``import app`` alone and with the importer loaded."""
    alone, loaded = [], []
    for _ in range(runs):
        for statement, samples in (("import app", alone), (WITH_IMPORTER, loaded)):
            _, found = cold_start._run(statement)
            names = statement.replace("import ", "").split(", ")
            samples.append(sum(found["top"].get(name, 0) for name in names) / 1000)
    return {"import_runs": runs, "app_import_ms": round(statistics.median(alone), 2),
            "app_with_importer_ms": round(statistics.median(loaded), 2),
            "importer_import_ms": round(statistics.median(loaded) - statistics.median(alone), 2),
            "app_imports_importer": _app_imports_importer()}


def _app_imports_importer() -> bool:
    """Whether ``import app`` brings in any module of chalicelib.casesheet (it must not)."""
    statement = "import sys, app; print(any(m.startswith('chalicelib.casesheet') for m in sys.modules))"
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed statement
        [sys.executable, "-c", statement], cwd=ROOT, capture_output=True, text=True, check=True)
    return result.stdout.strip() == "True"
