"""Section 3: how much the app's whole intake path adds over a bare PutItem route.

Both run in this process against the same table, through ``chalice.test.Client``
(which builds the API Gateway event, as Lambda would receive it), in blocks
that alternate which goes first, so that a noisy machine slows both alike. The
time spent inside DynamoDB calls is measured too, so the Python each path adds
can be told apart from the database it waits on: "client" time is everything
this process does that Lambda would do too (Chalice's routing, the app, boto3
building requests and parsing answers); "backend" time is moto (or DynamoDB
Local) answering, which on AWS is a network round trip instead.
"""
import io
import json
import time
from collections import Counter
from contextlib import redirect_stdout
from datetime import timedelta
from pathlib import Path

from chalice.test import Client

from bench import bare_app
from bench.meter import RequestUnitMeter
from bench.traffic import JSON, Supporters, from_address
from bench.units import FILL_SECONDS
from bench.world import CAMPAIGN, moto_world, open_seed_campaign
from chalicelib.counting import abuse
from chalicelib.domain import clock
from chalicelib.runtime import process

ROOT = Path(__file__).resolve().parent.parent
_PATH = f"/campaigns/{CAMPAIGN}/reports"


def run(requests=2000, block=100, warmup=50, world=moto_world):
    """Reports per second of the app and of the bare route, ``requests`` new reports each."""
    import app

    with world() as place:
        timer = RequestUnitMeter()   # calls and time only: no peeking, nothing added to either path
        place.instrument(timer)
        bare_app.reset()
        open_seed_campaign()
        supporters = Supporters(seed=6)
        # The app's log lines are written (as on Lambda) but not kept.
        with Client(app.app, stage_name="dev", project_dir=str(ROOT)) as app_client, \
                Client(bare_app.bare, stage_name="dev", project_dir=str(ROOT)) as bare_client, \
                redirect_stdout(_Discard()):
            sides = {"app": app_client, "bare": bare_client}
            for name, client in sides.items():
                with timer.measuring(f"warm-up {name}"):
                    _post_all(client, _bodies(supporters, warmup))
            elapsed, sent, failed = Counter(), Counter(), Counter()
            for round_number in range(max(1, requests // block)):
                order = ("app", "bare") if round_number % 2 == 0 else ("bare", "app")
                for name in order:
                    bodies = _bodies(supporters, block)
                    with timer.measuring(name):
                        started = time.perf_counter()
                        failed[name] += _post_all(sides[name], bodies)
                        elapsed[name] += time.perf_counter() - started
                    sent[name] += len(bodies)
        return _summary(place.backend, timer, elapsed, sent, failed)


class _Discard(io.TextIOBase):
    def write(self, text):
        return len(text)


def _bodies(supporters, n):
    """New reports as supporters send them: the form token their page carried, their own address."""
    token = abuse.issue_form_token(process.settings(), CAMPAIGN, clock.now() - timedelta(seconds=FILL_SECONDS))
    return [(json.dumps({**supporters.report(), "form_token": token}), supporters.address()) for _ in range(n)]


def _post_all(client, bodies):
    failures = 0
    for body, address in bodies:
        with from_address(address):
            if client.http.post(_PATH, headers=JSON, body=body).status_code != 201:
                failures += 1
    return failures


def _summary(backend, timer, elapsed, sent, failed):
    sides = {}
    for name in ("app", "bare"):
        n = sent[name]
        ms = elapsed[name] / n * 1000
        backend_ms = timer.backend[name] / n * 1000
        sides[name] = {"requests": n, "failed": failed[name], "reports_per_second": n / elapsed[name],
                       "ms_per_report": ms, "dynamodb_calls_per_report": timer.totals(name)["calls"] / n,
                       "backend_ms_per_report": backend_ms, "client_ms_per_report": ms - backend_ms}
    app, bare = sides["app"], sides["bare"]
    return {
        "backend": backend, **sides,
        "time_ratio": app["ms_per_report"] / bare["ms_per_report"],
        "throughput_ratio": app["reports_per_second"] / bare["reports_per_second"],
        "client_ms_added": app["client_ms_per_report"] - bare["client_ms_per_report"],
        "client_ratio": app["client_ms_per_report"] / bare["client_ms_per_report"],
    }
