"""schemathesis against `make run` on 127.0.0.1: no 5xx, and every answer as
openapi.yaml says (status, content type, headers, body schema)."""
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_local_run import TOKEN, LocalRun

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.dynamodb_local, pytest.mark.slow]
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
# A report is valid only with its campaign's own action types and targets, and
# a campaign only with a deadline in the future; no schema can say that, so a
# schema-valid request may rightly be refused with 422.
NOT_EXPRESSIBLE = "positive_data_acceptance"


def test_the_running_app_answers_as_its_openapi_document_says(tmp_path):
    # A low limit, so that 429 answers are met and checked too.
    run = LocalRun(tmp_path, RATE_LIMIT_PER_MINUTE="60")
    try:
        result = subprocess.run(  # noqa: S603 - a fixed argv of our own, no shell
            [str(SCHEMATHESIS), "run", str(ROOT / "openapi.yaml"), "--url", f"http://127.0.0.1:{run.port}",
             "--header", f"Authorization: Bearer {TOKEN}", "--checks", "all",
             "--exclude-checks", NOT_EXPRESSIBLE, "--max-examples", "25", "--max-time", "60",
             "--workers", "1", "--request-timeout", "10", "--no-color",
             "--report", "junit", "--report-junit-path", str(tmp_path / "schemathesis.xml")],
            cwd=tmp_path, capture_output=True, text=True, timeout=300)
        banner = run.output()
    finally:
        run.stop()
    assert "Rate limit:     60 reports per minute per client and campaign" in banner   # make run honours it
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
    assert "passed" in result.stdout or "No issues found" in result.stdout, result.stdout[-3000:]
