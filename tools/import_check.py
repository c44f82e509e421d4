"""``make import-check``: how much of each case sheet the importer reads right.

Every sheet under ``tests/casesheet/sheets/`` (and the UA 47.22 seed, ``campaigns/ua-47-22.txt``)
has its expected reading in ``tests/casesheet/expected/<name>.json``, written and checked by
hand. This reads each sheet again and prints, per field kind (``targets.emails`` counts every
email of every target), fields right / fields expected, and the warnings found at the right
field and line. It fails (exit 1) when any kind is below MIN_KIND or all fields together
below MIN_OVERALL: the tests in ``tests/casesheet/`` then say which field went wrong.
"""
import json
import re
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from chalicelib.casesheet.reader import read_case_sheet, reference_key  # noqa: E402
from chalicelib.domain.errors import ApiError  # noqa: E402

EXPECTED = ROOT / "tests" / "casesheet" / "expected"
MIN_KIND = 0.90
MIN_OVERALL = 0.98


def flatten(value, path=""):
    """``{"targets": [{"emails": ["a"]}]}`` -> ``{"targets[0].emails[0]": "a"}``."""
    if isinstance(value, dict):
        items = {}
        for key, inner in value.items():
            items.update(flatten(inner, f"{path}.{key}" if path else key))
        return items
    if isinstance(value, list) and value and all(isinstance(v, (dict, list)) for v in value):
        items = {}
        for index, inner in enumerate(value):
            items.update(flatten(inner, f"{path}[{index}]"))
        return items
    return {path: value}


def kind(path: str) -> str:
    kind = re.sub(r"\[\d+\]", "", path)
    return "letter" if kind.startswith("letter.") else kind


def read(expected: dict):
    campaigns = expected.get("campaigns", {})

    def find(reference):
        return next((cid for ref, cid in campaigns.items() if reference_key(ref) == reference_key(reference)), None)

    text = (ROOT / expected["sheet"]).read_text(encoding="utf-8")
    now = datetime.fromisoformat(expected["now"].replace("Z", "+00:00"))
    try:
        return read_case_sheet(text, now, expected["timezone"], find).as_dict()
    except ApiError as error:
        return {"error": error.code}


def check(paths) -> tuple[Counter, Counter, list]:
    right, expected_counts, misses = Counter(), Counter(), []
    for path in paths:
        expected = json.loads(path.read_text(encoding="utf-8"))
        actual = read(expected)
        if "error" in expected:
            expected_counts["not_an_action"] += 1
            right["not_an_action"] += actual.get("error") == expected["error"]
            continue
        wanted = flatten({**expected["draft"], "suggested_id": expected["suggested_id"]})
        got = flatten({**actual.get("draft", {}), "suggested_id": actual.get("suggested_id")})
        for field, value in wanted.items():
            expected_counts[kind(field)] += 1
            if got.get(field) == value:
                right[kind(field)] += 1
            else:
                misses.append(f"{path.stem}: {field}: expected {value!r}, got {got.get(field)!r}")
        found = {(w["field"], w["line"]) for w in actual.get("warnings", [])}
        for field, line in expected["warnings"]:
            expected_counts["warnings"] += 1
            if (field, line) in found:
                right["warnings"] += 1
            else:
                misses.append(f"{path.stem}: warning on {field} (line {line}) missing")
    return right, expected_counts, misses


def main() -> int:
    paths = sorted(EXPECTED.glob("*.json"))
    right, expected, misses = check(paths)
    print(f"Case-sheet import: {len(paths)} sheets, fields right / fields expected, per field kind")
    for name in sorted(expected):
        print(f"  {name:<28} {right[name]:>4} / {expected[name]:<4} {right[name] / expected[name]:7.1%}")
    total_right, total = sum(right.values()), sum(expected.values())
    print(f"  {'all fields':<28} {total_right:>4} / {total:<4} {total_right / total:7.1%}")
    for miss in misses:
        print(f"  miss: {miss}")
    low = [name for name in expected if right[name] / expected[name] < MIN_KIND]
    if low or total_right / total < MIN_OVERALL:
        print(f"FAILED: below {MIN_KIND:.0%} for {', '.join(low) or 'no kind'}, or below {MIN_OVERALL:.0%} overall")
        return 1
    print(f"OK: every kind at least {MIN_KIND:.0%}, all fields at least {MIN_OVERALL:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
