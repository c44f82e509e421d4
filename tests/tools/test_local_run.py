"""`make run` as a user meets it: serves, tallies, stops on Ctrl-C, keeps its data."""
import json
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tools.local_server import MakeRun, free_port

pytestmark = [pytest.mark.dynamodb_local, pytest.mark.slow]
TOKEN = "local-test-token-0123456789abcdef"  # noqa: S105 - a throwaway token for a local test server


class LocalRun(MakeRun):
    """`make run` on free ports with its data in ``data_dir``, and a way to call it."""

    def __init__(self, data_dir, **extra_env):
        self.port, self.dynamodb_port = free_port(), free_port()
        env = {"PORT": str(self.port), "DYNAMODB_PORT": str(self.dynamodb_port), "CLOSE_INTERVAL_SECONDS": "1",
               "LOCAL_DATA_DIR": str(data_dir), "STAFF_TOKEN": TOKEN, **extra_env}
        try:
            super().__init__(Path(data_dir) / f"run-{self.port}.log", env)
        except RuntimeError as failed:
            raise AssertionError(str(failed)) from None

    def request(self, method, path, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=10) as response:  # noqa: S310 - http://127.0.0.1 only
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def stop(self):
        super().stop(timeout=20)


def _java_on(port):
    listing = subprocess.run(["ps", "-eo", "args"],  # noqa: S603, S607 - procps' ps from PATH, fixed argv
                             capture_output=True, text=True).stdout
    return any("DynamoDBLocal" in line and f"-port {port}" in line for line in listing.splitlines())


def _totals_when_counted(run, reports, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = run.request("GET", "/campaigns/ua-47-22/totals")
        totals = json.loads(body)
        if totals["reports"] == reports:
            return totals
        time.sleep(0.3)
    raise AssertionError(f"totals never reached {reports}: {totals}")


def _form_token(run):
    status, body = run.request("GET", "/campaigns/ua-47-22")
    assert status == 200
    return json.loads(body)["form_token"]


def test_make_run_serves_tallies_stops_and_keeps_data(tmp_path):
    submission = {"submission_id": str(uuid.uuid4()), "actions": {"letter": 1, "tweet": 2},
                  "targets": ["governor"], "country": "VE"}
    # A client that fills its form in no time: the fill-time check is off here.
    run = LocalRun(tmp_path, MIN_FILL_SECONDS="0")
    try:
        assert f"http://127.0.0.1:{run.port}/campaigns/ua-47-22/form" in run.output()
        status, page = run.request("GET", "/campaigns/ua-47-22/form")
        assert status == 200 and b"UA 47.22" in page
        seeded = json.loads(run.request("GET", "/campaigns/ua-47-22")[1])   # through the importer
        assert seeded["targets"][0]["emails"] == ["sgeneralcarabobo@gmail.com"]
        assert seeded["targets"][1]["salutation"] == "Dear Ambassador"
        assert seeded["letter"]["en"].startswith("Dear governor Rafael Lacava,")
        assert seeded["timezone"] == "America/Caracas" and seeded["deadline"].endswith("T03:59:59Z")
        submission["form_token"] = _form_token(run)
        later_token = _form_token(run)
        status, body = run.request("POST", "/campaigns/ua-47-22/reports", submission)
        assert status == 201
        report_id = json.loads(body)["report_id"]
        assert _totals_when_counted(run, 1)["actions_total"] == 3
        status, _ = run.request("GET", "/staff/campaigns/ua-47-22/totals",
                                headers={"Authorization": f"Bearer {TOKEN}"})
        assert status == 200
    finally:
        run.stop()
    assert run.process.returncode is not None
    assert not _java_on(run.dynamodb_port), "DynamoDB Local outlived make run"
    assert (tmp_path / "form-token-secret").stat().st_mode & 0o077 == 0

    again = LocalRun(tmp_path, MIN_FILL_SECONDS="0")
    try:
        status, body = again.request("POST", "/campaigns/ua-47-22/reports", submission)
        assert status == 200 and json.loads(body)["report_id"] == report_id
        # a form served before the restart is still good after it: the secret is kept
        second = dict(submission, submission_id=str(uuid.uuid4()), form_token=later_token)
        assert again.request("POST", "/campaigns/ua-47-22/reports", second)[0] == 201
        assert _totals_when_counted(again, 2)["reports"] == 2
    finally:
        again.stop()
