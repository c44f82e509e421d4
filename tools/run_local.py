"""``make run``: the whole service on this machine.

DynamoDB Local (data kept in ``.local/dynamodb``), the Chalice app on
127.0.0.1, the table's stream handed to the app's fold function every
``STREAM_POLL_SECONDS`` (as Lambda's event source mapping would: tools/stream_poller.py),
and the scheduled tally every ``CLOSE_INTERVAL_SECONDS``. Ctrl-C stops all of it.
"""
import argparse
import functools
import json
import os
import secrets
import signal
import sys
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# UA 47.22: the case sheet's text, read by the importer as staff would paste it, and what the
# sheet does not say (where its deadline ends, the form's languages, the partner origins).
SEED_SHEET = ROOT / "campaigns" / "ua-47-22.txt"
SEED_SETTINGS = ROOT / "campaigns" / "ua-47-22.json"
# The sample letter in the language officials are addressed in, and in French (the sheet has
# it in English only), as offices add them: so that the form shows letters in two languages,
# and an email too long for one mailto: link (the French one).
SEED_LETTERS = {code: ROOT / "campaigns" / f"ua-47-22.letter-{code}.txt" for code in ("es", "fr")}
LOCAL_TABLE = "action-tally-local"


def _parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Run Action Tally locally on an embedded DynamoDB Local.",
        epilog="Environment: PORT (8000), DYNAMODB_PORT (8001), CLOSE_INTERVAL_SECONDS (60), "
               "SEED_DEADLINE_DAYS (30), STREAM_POLL_SECONDS (1), STAFF_TOKEN (made and printed if unset), "
               "LOCAL_DATA_DIR (.local), FORM_TOKEN_SECRET (made once per data dir if unset), "
               "MIN_FILL_SECONDS (3), LATE_PUBLICATION_SECONDS (300 here, 86400 deployed), and the app's "
               "own settings such as RATE_LIMIT_PER_MINUTE (120; 0 turns the limit off) or "
               "LATE_REPORT_DAYS (14).")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    parser.add_argument("--dynamodb-port", type=int, default=int(os.environ.get("DYNAMODB_PORT", 8001)))
    parser.add_argument("--data-dir", default=os.environ.get("LOCAL_DATA_DIR", str(ROOT / ".local")))
    parser.add_argument("--interval", type=float,
                        default=float(os.environ.get("CLOSE_INTERVAL_SECONDS", 60)),
                        help="seconds between runs of the scheduled tally")
    parser.add_argument("--stream-poll", type=float, default=float(os.environ.get("STREAM_POLL_SECONDS", 1)),
                        help="seconds between reads of the table's stream for the fold function")
    parser.add_argument("--seed-deadline-days", type=int,
                        default=int(os.environ.get("SEED_DEADLINE_DAYS", 30)),
                        help="the seed campaign's real deadline has passed: move it this many days "
                             "from today (it ends at 23:59:59 in its time zone)")
    return parser.parse_args(argv)


def seed_body(now: datetime, days: int) -> dict:
    """UA 47.22 through the importer (campaigns/ua-47-22.txt) with the settings beside it
    (campaigns/ua-47-22.json) and its letter in Spanish and French (campaigns/ua-47-22.letter-*.txt);
    its deadline, a day that has passed, moved ``days`` ahead (it still ends at 23:59:59 in the
    campaign's time zone)."""
    from chalicelib.casesheet.reader import read_case_sheet
    from chalicelib.domain.zones import zone

    settings = json.loads(SEED_SETTINGS.read_text(encoding="utf-8"))
    draft = read_case_sheet(SEED_SHEET.read_text(encoding="utf-8"), now, settings["timezone"]).body
    body = {**draft, **settings}
    body["letter"] = {**draft.get("letter", {}),
                      **{code: path.read_text(encoding="utf-8").strip() for code, path in SEED_LETTERS.items()}}
    today = now.astimezone(zone(body["timezone"])).date()
    if date.fromisoformat(body["deadline"]) <= today:
        body["deadline"] = (today + timedelta(days=days)).isoformat()
    return body


def form_token_secret(data_dir: Path) -> str:
    """The data dir's own random FORM_TOKEN_SECRET, made once, so restarts keep forms valid."""
    path = data_dir / "form-token-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


def _configure_environment(endpoint_url, data_dir):
    os.environ.update({"TABLE_NAME": LOCAL_TABLE, "DYNAMODB_ENDPOINT_URL": endpoint_url,
                       "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                       "AWS_DEFAULT_REGION": "us-east-1"})
    os.environ.setdefault("FORM_TOKEN_SECRET", form_token_secret(data_dir))
    # Late reports amend the final totals at most once a day on AWS; locally every five minutes,
    # so that an amendment can be watched (any LATE_PUBLICATION_SECONDS set is honoured).
    os.environ.setdefault("LATE_PUBLICATION_SECONDS", "300")
    os.environ.pop("AWS_PROFILE", None)


def _prepare_data(process, seed_days):
    """Create the table, the seed campaign and the staff token, keeping what exists."""
    from chalicelib.domain import clock
    from chalicelib.staff.auth import hash_token, issue_token, new_token
    from chalicelib.staff.campaign_admin import save_campaign
    from chalicelib.storage.schema import create_table

    store = process.store()
    create_table(store.client, LOCAL_TABLE)
    now = clock.now()
    if store.get_campaign("ua-47-22") is None:
        save_campaign(store, "ua-47-22", seed_body(now, seed_days), now, process.settings().report_shards,
                      process.settings().default_timezone)
    token = os.environ.get("STAFF_TOKEN") or new_token()
    if store.get_staff_token(hash_token(token)) is None:
        issue_token(store, "make run", now, token=token)
    return token, store.get_campaign("ua-47-22")


class _Scheduler(threading.Thread):
    """Calls the scheduled function like EventBridge would, every ``interval`` seconds."""

    def __init__(self, handler, interval, lock):
        super().__init__(daemon=True, name="tally-schedule")
        self.handler, self.interval, self.lock = handler, interval, lock
        self.stopped = threading.Event()

    def run(self):
        event = {"version": "0", "id": "local", "detail-type": "Scheduled Event", "source": "aws.events",
                 "account": "123456789012", "region": "us-east-1", "resources": [], "detail": {}}
        while not self.stopped.wait(self.interval):
            event["time"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            with self.lock:
                try:
                    result = self.handler(event, None)
                    print(f"tally: {result}", flush=True)
                except Exception as error:  # keep serving; the next run retries
                    print(f"tally failed: {error!r}", flush=True)


class _StreamFold(threading.Thread):
    """Hands the table's stream to the fold function, as Lambda's event source mapping would:
    a batch it fails comes back at the next poll, the same records."""

    def __init__(self, handler, poller, interval, lock):
        super().__init__(daemon=True, name="stream-fold")
        self.handler, self.poller, self.interval, self.lock = handler, poller, interval, lock
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(self.interval):
            with self.lock:
                try:
                    self.poller.deliver(self.handler)
                except Exception as error:  # keep serving; the batch is delivered again
                    print(f"stream fold failed: {error!r}", flush=True)


def _serve(app_module, port, lock):
    from http.server import BaseHTTPRequestHandler

    from chalice.config import Config
    from chalice.local import ChaliceRequestHandler, create_local_server

    from tools.local_gateway import GatewayWithResponses
    from tools.local_http import GatewayEdge

    # GatewayEdge first: API Gateway's size limits, refusals in the API's shape, bodies read up front.
    class OneAtATimeHandler(GatewayEdge, ChaliceRequestHandler):
        def __init__(self, request, client_address, server, app_object, config):
            # API Gateway's answers to refused staff credentials (tools/local_gateway.py).
            self.local_gateway = GatewayWithResponses(app_object, config)
            BaseHTTPRequestHandler.__init__(self, request, client_address, server)

        # Headers and body go out in two writes; with Nagle's algorithm the body
        # waits for the client's delayed ACK (40 ms on Linux) on a kept-alive
        # connection, which API Gateway never adds.
        disable_nagle_algorithm = True

        # Chalice keeps the current request on the app object, as Lambda runs
        # one request per process; the threaded local server must do the same. The body
        # is read first, outside the lock, so that a slow client holds up no one else.
        def _generic_handle(self):
            self.payload = self.read_payload()
            if self.payload is None:   # refused already
                return
            with lock:
                # The peer's address, as API Gateway would report it (Chalice
                # says 127.0.0.1 always), so each local client has its own limit.
                self.local_gateway.event_converter.LOCAL_SOURCE_IP = self.client_address[0]
                super()._generic_handle()

        def _parse_payload(self):   # what Chalice's handler reads the request from
            return self.payload

        def log_message(self, format, *args):
            # The default line starts with the client's address; keep IPs out of logs.
            print(f"[{self.log_date_time_string()}] {format % args}", file=sys.stderr, flush=True)

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle
        do_TRACE = do_QUERY = _generic_handle   # Chalice answers 405, as for any undeclared method

    config = Config.create(chalice_stage="dev", app_name="action-tally", project_dir=str(ROOT),
                           config_from_disk=json.loads((ROOT / ".chalice" / "config.json").read_text()))
    server = create_local_server(app_module.app, config, "127.0.0.1", port)
    server.server.RequestHandlerClass = functools.partial(
        OneAtATimeHandler, app_object=app_module.app, config=config)
    return server


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    args = _parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    from tools.dynamodb_local import DynamoDBLocal

    data_dir = Path(args.data_dir)
    with DynamoDBLocal(port=args.dynamodb_port, db_path=data_dir / "dynamodb") as dynamodb:
        _configure_environment(dynamodb.endpoint_url, data_dir)
        import app as app_module
        from chalicelib.runtime import process
        process.reset()
        token, campaign = _prepare_data(process, args.seed_deadline_days)
        lock = threading.Lock()
        scheduler = _Scheduler(app_module.tally, args.interval, lock)
        from tools.stream_poller import StreamPoller
        folder = _StreamFold(app_module.fold, StreamPoller(LOCAL_TABLE, endpoint_url=dynamodb.endpoint_url),
                             args.stream_poll, lock)
        server = _serve(app_module, args.port, lock)
        base = f"http://127.0.0.1:{args.port}"
        print(f"DynamoDB Local: {dynamodb.endpoint_url} (data in {data_dir / 'dynamodb'})")
        print(f"Staff token:    {token}")
        print(f"Campaign:       {campaign.reference}, open until {campaign.deadline.isoformat()}")
        print(f"Form:           {base}/campaigns/ua-47-22/form")
        print(f"Totals:         {base}/campaigns/ua-47-22/totals (the stream folded every {args.stream_poll:g} s, "
              f"the scheduled tally every {args.interval:g} s)")
        print(f"Dashboard:      {base}/staff/login (sign in with the staff token)")
        print(f"Staff CLI:      .venv/bin/action-tally --endpoint-url {dynamodb.endpoint_url} "
              f"--table {LOCAL_TABLE} campaign list")

        limit = process.settings().rate_limit_per_minute
        per = f"{limit} reports per minute per client and campaign, in this process" if limit else "off"
        print(f"Rate limit:     {per} (RATE_LIMIT_PER_MINUTE)")
        print("Ctrl-C stops everything.", flush=True)
        scheduler.start()
        folder.start()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("\nStopping.")
        finally:
            scheduler.stopped.set()
            folder.stopped.set()
            server.server.server_close()


if __name__ == "__main__":
    main()
