"""`make load` itself, small: its clients send what a real form sends, so the totals it
checks at the end count every report it saw accepted (tools/load.py exits 1 otherwise)."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.dynamodb_local, pytest.mark.slow]


def test_a_small_load_run_ends_with_totals_equal_to_the_accepted_reports():
    result = subprocess.run([sys.executable, "-m", "tools.load", "--requests", "120", "--clients", "4",  # noqa: S603
                             "--timeout", "120"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "-> EQUAL to the accepted reports" in result.stdout and "5xx answers: 0" in result.stdout
    accepted = int(result.stdout.split("accepted reports: ")[1].split()[0])
    assert accepted > 50, result.stdout
