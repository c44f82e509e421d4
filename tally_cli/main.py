"""``action-tally``: manage campaigns, reports and staff tokens from a terminal.

It uses the same storage layer and rules as the API, against the table named
by ``--table``/``TABLE_NAME`` on AWS, or on a local DynamoDB with
``--endpoint-url``/``DYNAMODB_ENDPOINT_URL`` (``make run`` uses
``http://127.0.0.1:8001`` and table ``action-tally-local``).
"""
import getpass
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import boto3
import click
import yaml

from chalicelib.counting.folding import request_rebuild
from chalicelib.counting.publishing import finish_publication
from chalicelib.counting.reinstating import reinstate_report
from chalicelib.counting.shown import current_totals
from chalicelib.counting.voiding import void_report
from chalicelib.domain import clock
from chalicelib.domain.campaign import OPEN, earliest_earlier_deadline
from chalicelib.domain.errors import ApiError, CampaignNotFound
from chalicelib.privacy.erasure import erase_supporter_now, parse_erasure_request
from chalicelib.runtime.config import load_settings
from chalicelib.runtime.notify import NotificationFailed, TotalsNotifier
from chalicelib.runtime.process import BOTO_CONFIG
from chalicelib.staff.auth import hash_token, issue_token
from chalicelib.staff.campaign_admin import save_campaign
from chalicelib.staff.exports import reports_csv, reports_json, totals_csv
from chalicelib.staff.review import flagged_view
from chalicelib.staff.tallies import offline_view
from chalicelib.storage import AlreadyExcluded, KeyOutOfBounds, ReportNotFound, StorageUnavailable, TallyStore
from tally_cli.tallies import tally

_DURATION = re.compile(r"^(\d{1,5})([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


class Backend:
    """The table and settings one invocation works with, made on first use."""

    def __init__(self, table, endpoint_url, region):
        self.table, self.endpoint_url, self.region = table, endpoint_url, region
        self.settings = load_settings()
        self._store = None

    @property
    def store(self) -> TallyStore:
        if self._store is None:
            credentials = {}
            if self.endpoint_url and boto3.Session().get_credentials() is None:
                # A local DynamoDB takes any key, but botocore insists on one.
                credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
            resource = boto3.resource("dynamodb", region_name=self.region, endpoint_url=self.endpoint_url,
                                      config=BOTO_CONFIG, **credentials)
            self._store = TallyStore(resource.Table(self.table))
        return self._store

    def notifier(self) -> TotalsNotifier:
        topic = self.settings.totals_topic_arn
        return TotalsNotifier(boto3.client("sns", region_name=topic.split(":")[3]) if topic else None, topic)

    def campaign(self, campaign_id):
        campaign = self.store.get_campaign(campaign_id)
        if campaign is None:
            raise CampaignNotFound(campaign_id)
        return campaign


class _Errors(click.Group):
    """Turn the domain's refusals into one clear line and exit status 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ApiError as error:
            details = "".join(f"\n  {field}: {message}" for field, message in error.fields.items())
            raise click.ClickException(f"{error.message}{details}") from None
        except StorageUnavailable as error:
            raise click.ClickException(f"DynamoDB is unavailable or busy; nothing more was done. ({error})")
        except KeyOutOfBounds:
            raise click.ClickException("There is nothing under that name: it is longer than any id can be.") from None
        except NotificationFailed as error:
            raise click.ClickException(f"Published, but SNS did not take the announcement ({error}); "
                                       "the scheduled job retries it.")



def _who() -> str:
    """Who the audit trail says moved a deadline from here: the CLI and the local user name."""
    try:
        return f"staff CLI ({getpass.getuser()})"
    except (KeyError, OSError):   # no user name in this environment
        return "staff CLI"

@click.group(cls=_Errors)
@click.option("--table", envvar="TABLE_NAME", default="action-tally-dev", show_default=True,
              help="DynamoDB table (env TABLE_NAME).")
@click.option("--endpoint-url", envvar="DYNAMODB_ENDPOINT_URL", default=None,
              help="A local DynamoDB, e.g. http://127.0.0.1:8001 for `make run` (env DYNAMODB_ENDPOINT_URL).")
@click.option("--region", envvar="AWS_DEFAULT_REGION", default="us-east-1", show_default=True)
@click.pass_context
def cli(ctx, table, endpoint_url, region):
    """Action Tally for staff: campaigns, totals, voids, flagged reports, offline tallies and staff tokens."""
    ctx.obj = Backend(table, endpoint_url, region)


# -- campaigns ---------------------------------------------------------------------------------

@cli.group()
def campaign():
    """Create, list, close and re-publish campaigns."""


@campaign.command("put")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "campaign_id", help="Campaign id (default: the file name, e.g. ua-47-22).")
@click.pass_obj
def campaign_put(backend, file, campaign_id):
    """Create or update a campaign from a JSON or YAML FILE (fields as in PUT /staff/campaigns/{id})."""
    data = _load(file)
    now = clock.now()
    saved, created = save_campaign(backend.store, campaign_id or file.stem, data, now,
                                   backend.settings.report_shards, backend.settings.default_timezone, _who())
    click.echo(f"{'Created' if created else 'Updated'} {saved.campaign_id} ({saved.reference}), "
               f"open until {clock.format_public(saved.deadline)}.")


@campaign.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "campaign_id", help="Campaign id to create it under (default: the suggested one, e.g. ua-47-22).")
@click.option("--timezone", help="Where a date-only deadline ends (default: DEFAULT_TIMEZONE, else UTC).")
@click.option("--create", is_flag=True, help="Create (or update) the campaign from the draft, as PUT would.")
@click.pass_obj
def campaign_import(backend, file, campaign_id, timezone, create):
    """Read a case sheet (FILE: its text as pasted, or HTML) into a campaign draft.

    Prints the warnings (every field not found, or found in a doubtful form, with its
    line), then the draft as JSON, a body for PUT /staff/campaigns/{id} or `campaign put`.
    The table is read for the campaign an update follows and for an id already taken.
    """
    from chalicelib.staff.drafts import draft_of

    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file} is not UTF-8 text: save the case sheet as UTF-8 text and try again.")
    now = clock.now()
    answer = draft_of(backend.store, backend.settings, {"text": text, "timezone": timezone}, now)
    for warning in answer["warnings"]:
        where = f"line {warning['line']}: " if warning["line"] else ""
        click.echo(f"warning: {where}{warning['field']}: {warning['message']}", err=True)
    click.echo(json.dumps(answer["draft"], indent=2, ensure_ascii=False))
    chosen = campaign_id or answer["suggested_id"]
    if not create:
        click.echo(f"Suggested id: {answer['suggested_id']}. Check the draft, then run again with --create "
                   f"(and --id) to create it.", err=True)
        return
    saved, created = save_campaign(backend.store, chosen, answer["draft"], now, backend.settings.report_shards,
                                   backend.settings.default_timezone, _who())
    click.echo(f"{'Created' if created else 'Updated'} {saved.campaign_id} ({saved.reference}), "
               f"open until {clock.format_public(saved.deadline)}.", err=True)


@campaign.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def campaign_list(backend, fmt):
    """Every campaign with its status and counts so far."""
    now, rows = clock.now(), []
    for item in backend.store.campaigns(OPEN) + backend.store.campaigns("closed"):
        totals = current_totals(backend.store, item)
        rows.append({"campaign_id": item.campaign_id, "reference": item.reference,
                     "deadline": clock.format_public(item.deadline), "status": item.status_at(now),
                     "reports": totals.tally.reports, "actions": totals.tally.actions_total,
                     "version": totals.version, "voided": item.void_count,
                     "publication_due": item.publication_due})
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'CAMPAIGN':<24} {'REFERENCE':<12} {'DEADLINE':<21} {'STATUS':<7} {'REPORTS':>8} "
               f"{'ACTIONS':>8} {'VERSION':>7} {'VOIDED':>6}")
    for row in rows:
        version = row["version"] or "-"
        note = "  (publication due)" if row["publication_due"] else ""
        click.echo(f"{row['campaign_id']:<24} {row['reference']:<12} {row['deadline']:<21} {row['status']:<7} "
                   f"{row['reports']:>8} {row['actions']:>8} {version:>7} {row['voided']:>6}{note}")


@campaign.command("close")
@click.argument("campaign_id")
@click.option("--now", "now_flag", is_flag=True, required=True,
              help="Required: stop taking reports now, before the deadline.")
@click.pass_obj
def campaign_close(backend, campaign_id, now_flag):
    """Close CAMPAIGN_ID now: its deadline becomes the soonest a deadline may be moved to,
    a few seconds ahead (the service's servers remember a campaign for a few seconds,
    and must not take a report after the new deadline).

    Reports are refused from the second after it. The scheduled job then publishes
    the final totals after the settle time, exactly as at a normal deadline,
    because only it can know (on the service's clock) that every report
    accepted in time has landed.
    """
    item = backend.campaign(campaign_id)
    now = clock.now()
    deadline = earliest_earlier_deadline(now)
    if not item.accepts_reports_at(now):
        raise click.ClickException(f"{campaign_id} already stopped taking reports at "
                                   f"{clock.format_public(item.deadline)}.")
    if deadline >= item.deadline:
        raise click.ClickException(f"{campaign_id} closes at {clock.format_public(item.deadline)} already, "
                                   "sooner than a deadline can be moved to; nothing done.")
    if not backend.store.move_deadline(item, deadline, now, _who()):
        raise click.ClickException(f"{campaign_id} changed or closed meanwhile; nothing done. Try again.")
    settle = backend.settings.settle_seconds
    click.echo(f"{campaign_id}: deadline moved to {clock.format_public(deadline)}; reports are refused from "
               f"the second after it. The scheduled job publishes the final totals after {settle} s (its next run "
               "after that).")


@campaign.command("rebuild-totals")
@click.argument("campaign_id")
@click.pass_obj
def campaign_rebuild_totals(backend, campaign_id):
    """Count CAMPAIGN_ID's provisional totals again from the table (after a stream batch was lost).

    The scheduled job completes it once the cut, a settle time from now, has passed; the final
    totals never need it (the close recounts the table).
    """
    item = backend.campaign(campaign_id)
    settle = timedelta(seconds=backend.settings.settle_seconds)
    cut = request_rebuild(backend.store, item.campaign_id, clock.now(), settle)
    if cut is None:
        raise click.ClickException(f"{campaign_id}: a rebuild is pending already; the scheduled job completes it.")
    click.echo(f"{campaign_id}: provisional totals are counted again as of {clock.format_public(cut)}; the "
               f"scheduled job completes it from {clock.format_public(cut + settle)}.")


@campaign.command("republish")
@click.argument("campaign_id")
@click.pass_obj
def campaign_republish(backend, campaign_id):
    """Finish a closed campaign's publication: a new version after voids, and its announcement.

    Safe to repeat: it does nothing when the published totals are up to date.
    """
    item = backend.campaign(campaign_id)
    if item.state == OPEN:
        raise click.ClickException(f"{campaign_id} is open: the scheduled job publishes when it closes.")
    totals = finish_publication(backend.store, campaign_id, backend.notifier(), clock.now())
    click.echo(f"{campaign_id}: final totals version {totals.version} ({totals.tally.reports} reports, "
               f"{totals.void_count} voided, {totals.reinstated_count} reinstated) are published.")


# -- totals and reports ----------------------------------------------------------------------------

def _format_option(default):
    return click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default=default, show_default=True)


@cli.group()
def totals():
    """Show totals."""


@totals.command("show")
@click.argument("campaign_id")
@_format_option(default="json")
@click.pass_obj
def totals_show(backend, campaign_id, fmt):
    """The totals staff see: final once published, provisional while open; offline tallies apart."""
    item = backend.campaign(campaign_id)
    view = current_totals(backend.store, item).staff_view(item)
    view["offline"] = offline_view(backend.store, item)
    _export(fmt, lambda: totals_csv(view), lambda: view)


@cli.group()
def report():
    """Void, review, reinstate or export reports."""


def _decision_on_a_report(why: str, who: str):
    """CAMPAIGN_ID, REPORT_ID, --reason and --by: what every staff decision on one report takes."""
    options = (click.argument("campaign_id"), click.argument("report_id"),
               click.option("--reason", required=True, help=f"{why} (kept in the audit trail)."),
               click.option("--by", "by", required=True, help=f"{who} (kept in the audit trail)."),
               click.pass_obj)

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


@report.command("void")
@_decision_on_a_report("Why the report must not count", "Who voids it")
def report_void(backend, campaign_id, report_id, reason, by):
    """Take REPORT_ID (or its submission id) out of CAMPAIGN_ID's totals, with an audit entry."""
    try:
        result = void_report(backend.store, campaign_id, report_id, reason=reason, by=by, now=clock.now(),
                             notifier=backend.notifier())
    except ReportNotFound:
        raise click.ClickException(f"{campaign_id} has no report {report_id!r}; nothing was changed.") from None
    except AlreadyExcluded as already:
        void = already.report.void
        how = f"voided by {void.by} at {clock.format_public(void.at)}: {void.reason}" if void \
            else f"excluded ({already.report.excluded})"
        raise click.ClickException(f"Report {already.report.report_id} is already {how}. Nothing was changed.") \
            from None
    click.echo(f"Voided report {result.report.report_id} of {campaign_id} (void {result.campaign.void_count}).")
    _say_what_totals_do(result)


def _say_what_totals_do(result):
    if result.republished:
        click.echo(f"Final totals re-published as version {result.republished.version}: "
                   f"{result.republished.tally.reports} reports; earlier versions are kept.")
    else:
        click.echo("The provisional totals reflect it once the table's stream is folded (seconds).")


@report.command("flagged")
@click.argument("campaign_id")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def report_flagged(backend, campaign_id, fmt):
    """CAMPAIGN_ID's flagged reports (failed an abuse check, not counted), oldest first, for review."""
    view = flagged_view(backend.store, backend.campaign(campaign_id), limit=10**9)
    if fmt == "json":
        click.echo(json.dumps(view, indent=2, ensure_ascii=False))
        return
    reasons = ", ".join(f"{reason} {count}" for reason, count in view["by_reason"].items())
    click.echo(f"{view['flagged']} flagged report(s) of {campaign_id}" + (f": {reasons}" if reasons else "."))
    if view["reports"]:
        click.echo(f"{'REPORT':<33} {'RECEIVED':<25} {'REASON':<14} {'COUNTRY':<7} ACTIONS / TARGETS")
    for row in view["reports"]:
        actions = ", ".join(f"{action} {count}" for action, count in row["actions"].items())
        click.echo(f"{row['report_id']:<33} {row['received_at']:<25} {row['flag_reason']:<14} {row['country']:<7} "
                   f"{actions} / {';'.join(row['targets'])}")


@report.command("reinstate")
@_decision_on_a_report("Why the flagged report is genuine", "Who reinstates it")
def report_reinstate(backend, campaign_id, report_id, reason, by):
    """Count the flagged REPORT_ID (or its submission id) of CAMPAIGN_ID after all, with an audit entry."""
    result = reinstate_report(backend.store, campaign_id, report_id, reason=reason, by=by, now=clock.now(),
                              notifier=backend.notifier())
    click.echo(f"Reinstated report {result.report.report_id} of {campaign_id}, flagged {result.report.flag_reason} "
               f"(reinstatement {result.campaign.reinstated_count}).")
    _say_what_totals_do(result)


@report.command("export")
@click.argument("campaign_id")
@_format_option(default="csv")
@click.pass_obj
def report_export(backend, campaign_id, fmt):
    """Every report of CAMPAIGN_ID, counted or not (names and emails only where consented)."""
    item = backend.campaign(campaign_id)
    reports = backend.store.stored_reports(item)
    _export(fmt, lambda: reports_csv(item, reports), lambda: reports_json(item, reports))


def _export(fmt, as_csv, as_json):
    """Print an export as CSV (its own line ends) or as indented JSON."""
    click.echo(as_csv() if fmt == "csv" else json.dumps(as_json(), indent=2, ensure_ascii=False), nl=fmt != "csv")


# -- supporters' personal data --------------------------------------------------------------------

@cli.group()
def supporter():
    """Erase a supporter's personal data on request."""


@supporter.command("erase")
@click.argument("contact_email")
@click.option("--by", required=True, help="Who asks for it, for the audit record (never the address).")
@click.pass_obj
def supporter_erase(backend, contact_email, by):
    """Erase CONTACT_EMAIL's name and email from every report, now (the API leaves it to the scheduled job).

    Reads every report of the campaigns that can still hold personal data; the request id it
    prints is the proof to give the person. A report sent in the last seconds may still be on
    its way: requests made through the API wait for it, this does not.
    """
    done = erase_supporter_now(backend.store, parse_erasure_request({"contact_email": contact_email}), by,
                               clock.now())
    click.echo(f"Erasure {done.request_id}: {done.reports_erased} report(s) erased ({done.status}).")


# -- staff tokens ----------------------------------------------------------------------------------

@cli.group()
def token():
    """Create, list and revoke staff tokens."""


@token.command("create")
@click.option("--label", required=True, help="Whose token, for what (shown in `token list`).")
@click.option("--expires-in", help="Lifetime such as 30d, 12h or 90m (default: no expiry).")
@click.pass_obj
def token_create(backend, label, expires_in):
    """Make a staff token. It is shown once and only its hash is stored."""
    now = clock.now()
    expires_at = now + _duration(expires_in) if expires_in else None
    value = issue_token(backend.store, label, now, expires_at)
    click.echo(f"Token for {label!r} (shown once, keep it safe):\n{value}")
    click.echo(f"Hash prefix {hash_token(value)[:12]}; "
               + (f"expires {clock.format_public(expires_at)}." if expires_at else "no expiry."))


@token.command("list")
@click.pass_obj
def token_list(backend):
    """Every staff token: hash prefix, label, dates and whether it still works."""
    now = clock.now()
    click.echo(f"{'HASH PREFIX':<13} {'STATUS':<8} {'CREATED':<21} {'EXPIRES':<21} LABEL")
    for item in sorted(backend.store.staff_tokens(), key=lambda t: t.created_at):
        status = ("revoked" if item.revoked_at else
                  "expired" if item.expires_at and item.expires_at <= now else "active")
        expires = clock.format_public(item.expires_at) if item.expires_at else "never"
        click.echo(f"{item.token_hash[:12]:<13} {status:<8} {clock.format_public(item.created_at):<21} "
                   f"{expires:<21} {item.label}")


@token.command("revoke")
@click.argument("hash_prefix")
@click.pass_obj
def token_revoke(backend, hash_prefix):
    """Revoke the token whose hash starts with HASH_PREFIX (at least 8 characters, from `token list`)."""
    prefix = hash_prefix.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{8,64}", prefix):
        raise click.ClickException("HASH_PREFIX must be at least 8 hexadecimal characters from `token list`.")
    matches = [t for t in backend.store.staff_tokens() if t.token_hash.startswith(prefix)]
    if len(matches) != 1:
        raise click.ClickException(f"{len(matches)} tokens match {prefix!r}; give a prefix matching exactly one.")
    backend.store.revoke_staff_token(matches[0].token_hash, clock.now())
    click.echo(f"Revoked {matches[0].token_hash[:12]} ({matches[0].label}); its dashboard sessions end too.")


cli.add_command(tally)


def _load(file: Path) -> dict:
    text = file.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise click.ClickException(f"{file} is not valid {'JSON' if file.suffix == '.json' else 'YAML'}: {error}")
    for name in ("deadline", "issued_on"):
        if isinstance(data, dict) and isinstance(data.get(name), (date, datetime)):
            data[name] = data[name].isoformat()   # YAML reads an unquoted timestamp or date as one
    return data


def _duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise click.BadParameter("use a number and a unit, e.g. 30d, 12h or 90m", param_hint="--expires-in")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
