"""`make load`: a bounded load run against `make run` on loopback.

Starts its own `make run` (DynamoDB Local in a temporary directory, free
ports, the scheduler every 2 s), creates a campaign, and lets concurrent
clients send a fixed number of requests: new reports, replays of reports
already accepted, and bad requests. Each client first reads the campaign, as
the form and embed.js do, and sends the signed form token it got with every
report (the server's minimum fill time is 1 s here, and waited out once);
without one, reports are stored flagged and not counted. Each client speaks from its own loopback
address (127.0.0.2, 127.0.0.3, ...), so each has its own rate limit. Then it
moves the deadline a few seconds ahead (as few as a deadline moved earlier
may be: DEADLINE_NOTICE), waits for the scheduled job to
publish the final totals, and checks them against the reports accepted.

Prints throughput, p50/p95/p99 latency and counts per outcome; exits 1 on any
5xx or a total that does not match. `make run` serves one request at a time
(Chalice keeps the current request on the app object, as one Lambda container
does), so the figures are those of a single container.
"""
import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from chalicelib.domain.campaign import earliest_earlier_deadline
from tools.local_server import MakeRun, free_port

ROOT = Path(__file__).resolve().parent.parent
ACTIONS = ("letter", "email", "fax", "call", "tweet")
TARGETS = ("governor", "ambassador")
MIN_FILL_SECONDS = 1   # the server's; clients wait it out once, after reading their form token


def _parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=int(os.environ.get("LOAD_REQUESTS", 2000)))
    parser.add_argument("--clients", type=int, default=int(os.environ.get("LOAD_CLIENTS", 16)))
    parser.add_argument("--replays", type=float, default=0.10, help="share of requests that are replays")
    parser.add_argument("--bad", type=float, default=0.10, help="share of requests that are bad")
    parser.add_argument("--rate-limit", default=os.environ.get("RATE_LIMIT_PER_MINUTE", "1000"),
                        help="RATE_LIMIT_PER_MINUTE for the server (the limiter reads and writes on every "
                             "report; at the default it rarely refuses one)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("LOAD_SEED", 47)))
    parser.add_argument("--timeout", type=float, default=300, help="give up after this many seconds")
    return parser.parse_args(argv)


class Server:
    """`make run` in a child process, with its data in a temporary directory, stopped however the run ends."""

    def __init__(self, rate_limit):
        self.data_dir = Path(tempfile.mkdtemp(prefix="action-tally-load-"))
        self.port = free_port()
        self.token = secrets.token_urlsafe(32)
        env = {"PORT": str(self.port), "DYNAMODB_PORT": str(free_port()), "LOCAL_DATA_DIR": str(self.data_dir),
               "STAFF_TOKEN": self.token, "CLOSE_INTERVAL_SECONDS": "2", "SETTLE_SECONDS": "2",
               "RATE_LIMIT_PER_MINUTE": str(rate_limit), "MIN_FILL_SECONDS": str(MIN_FILL_SECONDS)}
        try:
            self.run = MakeRun(self.data_dir / "run.log", env, ready_timeout=120)
        except RuntimeError as failed:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            sys.exit(str(failed))

    def stop(self):
        self.run.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


class Client(threading.Thread):
    """One supporter's browser (or one school's network): its own address and connection."""

    def __init__(self, number, port, campaign_id, plan, results):
        super().__init__(name=f"client-{number}", daemon=True)
        self.address = f"127.0.0.{number + 2}"
        self.port, self.campaign_id, self.plan, self.results = port, campaign_id, plan, results
        self.accepted = {}      # submission id -> (report_id, body)
        self.random = random.Random(number)  # noqa: S311 - a repeatable load mix, not a secret
        self.connection = None
        self.form_token = None

    def read_form_token(self):
        """What the form page or embed.js gets: the campaign, with a signed form token."""
        status, campaign = _request(self.port, "GET", f"/campaigns/{self.campaign_id}")
        if status != 200 or "form_token" not in campaign:
            sys.exit(f"could not read the campaign's form token: {status} {campaign}")
        self.form_token = campaign["form_token"]

    def run(self):
        for kind in self.plan:
            method = getattr(self, f"_{kind}")
            method()
        if self.connection:
            self.connection.close()

    def _new(self):
        body = {"submission_id": str(uuid.uuid4()), "form_token": self.form_token,
                "actions": {action: self.random.randint(0, 3) for action in self.random.sample(ACTIONS, 2)},
                "targets": self.random.sample(TARGETS, self.random.randint(1, 2)),
                "country": self.random.choice(["MX", "VE", "ES", "FR", ""])}
        body["actions"][ACTIONS[0]] = body["actions"].get(ACTIONS[0], 0) + 1   # at least one action
        status, answer = self._send_report(json.dumps(body), "new")
        if status == 201:
            self.accepted[body["submission_id"]] = (answer["report_id"], body)

    def _replay(self):
        if not self.accepted:
            return self._new()
        submission_id = self.random.choice(sorted(self.accepted))
        report_id, body = self.accepted[submission_id]
        status, answer = self._send_report(json.dumps(body), "replay")
        if status == 200 and answer.get("report_id") != report_id:
            self.results.record("replay answered another report", 0)

    def _bad(self):
        choice = self.random.randrange(4)
        if choice == 0:
            self._send_report("{not json", "bad")
        elif choice == 1:
            self._send_report(json.dumps({"submission_id": str(uuid.uuid4()), "actions": {"letter": 99},
                                          "targets": ["governor"]}), "bad")
        elif choice == 2:
            self._send_report(json.dumps({"submission_id": "x", "actions": {"letter": 1},
                                          "targets": ["nobody"]}), "bad")
        else:
            self._send_report("letter=1", "bad", content_type="text/plain")

    def _send_report(self, body, kind, content_type="application/json"):
        """Send until an answer arrives (a real client retries a lost answer with the same body)."""
        for attempt in range(3):
            started = time.perf_counter()
            try:
                status, raw = self._post(f"/campaigns/{self.campaign_id}/reports", body, content_type)
            except (OSError, http.client.HTTPException):
                self.connection = None
                self.results.record("connection error (resent)", time.perf_counter() - started)
                continue
            self.results.record(f"{kind} {status}", time.perf_counter() - started)
            try:
                return status, json.loads(raw)
            except ValueError:
                return status, {}
        return None, {}

    def _post(self, path, body, content_type):
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30,
                                                         source_address=(self.address, 0))
        self.connection.request("POST", path, body=body.encode(), headers={"Content-Type": content_type})
        response = self.connection.getresponse()
        return response.status, response.read()


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.outcomes = Counter()
        self.latencies = []

    def record(self, outcome, seconds):
        with self.lock:
            self.outcomes[outcome] += 1
            if seconds:
                self.latencies.append(seconds)


def _request(port, method, path, body=None, token=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    answer = response.status, json.loads(response.read() or b"null")
    connection.close()
    return answer


def _campaign_body(deadline):
    from tools.run_local import seed_body   # UA 47.22 as `make run` seeds it, through the importer

    body = seed_body(deadline, 1)
    body["deadline"] = deadline.isoformat()
    return body


def _plans(args):
    rng = random.Random(args.seed)  # noqa: S311 - a repeatable load mix, not a secret
    kinds = rng.choices(["new", "replay", "bad"], weights=[1 - args.replays - args.bad, args.replays, args.bad],
                        k=args.requests)
    return [kinds[number::args.clients] for number in range(args.clients)]


def _percentile(values, share):
    return statistics.quantiles(values, n=100, method="inclusive")[share - 1] * 1000


def main(argv=None):
    args = _parse_args(argv)
    server = Server(args.rate_limit)
    try:
        return _run(args, server)
    finally:
        server.stop()


def _run(args, server):
    campaign_id = f"load-{uuid.uuid4().hex[:8]}"
    now = datetime.now(timezone.utc)
    status, answer = _request(server.port, "PUT", f"/staff/campaigns/{campaign_id}",
                              _campaign_body(now + timedelta(days=1)), server.token)
    if status != 201:
        sys.exit(f"could not create the load campaign: {status} {answer}")

    results = Results()
    clients = [Client(number, server.port, campaign_id, plan, results) for number, plan in enumerate(_plans(args))]
    for client in clients:
        client.read_form_token()
    time.sleep(MIN_FILL_SECONDS + 0.5)   # people take longer; reports sent sooner are flagged too_fast
    started = time.perf_counter()
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=max(1.0, args.timeout - (time.perf_counter() - started)))
    elapsed = time.perf_counter() - started
    if any(client.is_alive() for client in clients):
        print(f"gave up after {args.timeout:.0f} s", file=sys.stderr)
        return 1

    accepted = [body for client in clients for _, body in client.accepted.values()]
    expected = Counter()
    for body in accepted:
        expected.update({action: count for action, count in body["actions"].items() if count})
    final = _final_totals(server, campaign_id)

    sent = sum(results.outcomes.values())
    server_errors = sum(count for outcome, count in results.outcomes.items() if outcome.split()[-1].startswith("5"))
    print(f"load: {sent} requests from {args.clients} clients in {elapsed:.1f} s "
          f"({sent / elapsed:.0f} requests/s; one request at a time, as in one Lambda container)")
    print(f"latency: p50 {_percentile(results.latencies, 50):.1f} ms, p95 {_percentile(results.latencies, 95):.1f} ms, "
          f"p99 {_percentile(results.latencies, 99):.1f} ms, max {max(results.latencies) * 1000:.1f} ms")
    for outcome, count in sorted(results.outcomes.items()):
        print(f"  {outcome:<32} {count}")
    print(f"accepted reports: {len(accepted)} ({sum(expected.values())} actions); 5xx answers: {server_errors}")
    matches = (final is not None and final["reports"] == len(accepted)
               and final["actions_total"] == sum(expected.values())
               and all(final["actions"].get(action, 0) == expected.get(action, 0) for action in ACTIONS))
    print(f"final totals: {final and {k: final[k] for k in ('reports', 'actions_total', 'actions')}} -> "
          f"{'EQUAL to the accepted reports' if matches else 'MISMATCH'}")
    wrong_replays = results.outcomes.get("replay answered another report", 0)
    return 0 if matches and server_errors == 0 and wrong_replays == 0 else 1


def _final_totals(server, campaign_id, timeout=60):
    """Move the deadline as little ahead as allowed and wait for the scheduled job to publish
    final totals."""
    closes = earliest_earlier_deadline(datetime.now(timezone.utc)) + timedelta(seconds=1)
    status, answer = _request(server.port, "PUT", f"/staff/campaigns/{campaign_id}", _campaign_body(closes),
                              server.token)
    if status != 200:
        print(f"could not move the deadline: {status} {answer}", file=sys.stderr)
        return None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, totals = _request(server.port, "GET", f"/campaigns/{campaign_id}/totals")
        if status == 200 and totals["final"]:
            return totals
        time.sleep(0.5)
    return None


if __name__ == "__main__":
    sys.exit(main())
