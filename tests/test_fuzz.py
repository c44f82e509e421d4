"""schemathesis against `make run` on 127.0.0.1: no 5xx, and every answer as
openapi.yaml says (status, content type, headers, body schema)."""
import http.client
import subprocess
import uuid
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.test_local_run import TOKEN, LocalRun

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.dynamodb_local, pytest.mark.slow]
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
# Checks, their exceptions (each with its reason) and the bounds on examples and time.
CONFIG = ROOT / "schemathesis.toml"


def test_the_running_app_answers_as_its_openapi_document_says(tmp_path):
    # A low limit, so that 429 answers are met and checked too.
    run = LocalRun(tmp_path, RATE_LIMIT_PER_MINUTE="60")
    try:
        _a_chunked_body_is_read_whole(run.port)
        result = subprocess.run(  # noqa: S603 - a fixed argv of our own, no shell
            [str(SCHEMATHESIS), "--config-file", str(CONFIG), "--no-color", "run", str(ROOT / "openapi.yaml"),
             "--url", f"http://127.0.0.1:{run.port}", "--header", f"Authorization: Bearer {TOKEN}",
             "--report", "junit", "--report-junit-path", str(tmp_path / "schemathesis.xml")],
            cwd=tmp_path, capture_output=True, text=True, timeout=300)
        banner = run.output()
    finally:
        run.stop()
    assert "Rate limit:     60 reports per minute per client and campaign" in banner   # make run honours it
    report = _failures(tmp_path / "schemathesis.xml")
    assert result.returncode == 0, report + result.stdout[-5000:] + result.stderr[-3000:]
    assert "passed" in result.stdout or "No issues found" in result.stdout, result.stdout[-3000:]


def _failures(junit):
    """The failing cases from schemathesis's report: stdout alone is too long to read."""
    if not junit.exists():
        return ""
    failures = ElementTree.parse(junit).getroot().iter("failure")  # noqa: S314 - our own run's report
    return "\n\n".join((failure.text or failure.get("message", ""))[:3000] for failure in failures) + "\n"


def _a_chunked_body_is_read_whole(port):
    """As through API Gateway; and the next request on the connection is not the chunks."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = f"submission_id={uuid.uuid4()}&action_letter=1&target=governor".encode()
    connection.request("POST", "/campaigns/ua-47-22/reports", body=iter([body[:10], body[10:]]),
                       headers={"Content-Type": "application/x-www-form-urlencoded"}, encode_chunked=True)
    response = connection.getresponse()
    assert response.status == 201, response.read()[:500]
    response.read()
    connection.request("GET", "/campaigns/ua-47-22")
    assert connection.getresponse().status == 200
    connection.close()
