"""schemathesis against `make run` on 127.0.0.1: no 5xx, and every answer as
openapi.yaml says (status, content type, headers, body schema), both for what the
document allows (positive mode) and for what it forbids (negative mode), with the
hostile strings of tests/api/hostile.dict mixed in."""
import http.client
import json
import os
import subprocess
import sys
import uuid
from collections import defaultdict
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.tools.test_local_run import TOKEN, LocalRun

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.dynamodb_local, pytest.mark.slow]
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
# Checks, their exceptions (each with its reason) and the bounds on examples and time.
CONFIG = ROOT / "schemathesis.toml"


def test_the_running_app_answers_as_its_openapi_document_says(tmp_path):
    # A low limit, so that 429 answers are met and checked too.
    run = LocalRun(tmp_path, RATE_LIMIT_PER_MINUTE="60")
    try:
        _a_chunked_body_is_read_whole(run.port)
        # Staff routes are fuzzed signed in both ways (token and dashboard session); signing
        # out would end the session half-way, so the sign-out route gets a run of its own, last.
        staff = {"STAFF_TOKEN": TOKEN, "STAFF_SESSION": _session_id(run.port)}
        all_but_sign_out, sign_out = ("--exclude-path", SIGN_OUT), ("--include-path", SIGN_OUT)
        results = [_schemathesis(run.port, tmp_path, "allowed", staff, "--mode", "positive", *all_but_sign_out),
                   _schemathesis(run.port, tmp_path, "forbidden", staff, "--mode", "negative", *all_but_sign_out),
                   _schemathesis(run.port, tmp_path, "sign-out", staff, "--mode", "positive", *sign_out)]
        banner = run.output()
    finally:
        run.stop()
    assert "Rate limit:     60 reports per minute per client and campaign" in banner   # make run honours it
    answered = _statuses_by_route(banner)   # signed in, for real (the gateway's 401s are not logged)
    for route, signed_in in (("/staff/dashboard/{campaign_id}", 200), ("/staff/campaigns/{campaign_id}/totals", 200),
                             (SIGN_OUT, 303)):
        assert signed_in in answered[route], (route, answered[route])
    assert _longest_path(banner) > 3000, "the hostile ids were never sent"
    for name, result in results:
        report = _failures(tmp_path / f"{name}.xml")
        assert result.returncode == 0, report + result.stdout[-5000:] + result.stderr[-3000:]
        assert "passed" in result.stdout or "No issues found" in result.stdout, result.stdout[-3000:]


SIGN_OUT = "/staff/logout"


def _schemathesis(port, tmp_path, name, staff, *options):
    result = subprocess.run(  # noqa: S603 - a fixed argv of our own, no shell
        [str(SCHEMATHESIS), "--config-file", str(CONFIG), "--no-color", "run", str(ROOT / "openapi.yaml"),
         "--url", f"http://127.0.0.1:{port}", *options,
         "--report", "junit", "--report-junit-path", str(tmp_path / f"{name}.xml")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env={**os.environ, **staff})
    return name, result


def _statuses_by_route(log):
    """What the service answered on each route, from its request log lines."""
    answered = defaultdict(set)
    for line in log.splitlines():
        if line.startswith("{") and '"route"' in line:
            record = json.loads(line)
            answered[record["route"]].add(record.get("status"))
    return answered


def _longest_path(log):
    """The longest request path in the server's access log lines (``"GET /path HTTP/1.1" 404``)."""
    paths = [line.split('"')[1].split(" ")[1] for line in log.splitlines()
             if line.startswith("[") and line.count('"') >= 2 and " HTTP/" in line]
    return max(map(len, paths), default=0)


def _session_id(port):
    """Sign in as the dashboard's form does; the session cookie's value."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", "/staff/login", body=f"token={TOKEN}",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 303, response.status
    name, value = response.getheader("Set-Cookie").split(";")[0].split("=", 1)
    assert name == "staff_session"
    return value


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
