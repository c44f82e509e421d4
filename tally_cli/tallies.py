"""``action-tally tally``: offline tallies from a terminal, by the API's rules
(:mod:`chalicelib.domain.tallies`, :mod:`chalicelib.counting.offline`): one with ``add``, a
CSV file with ``import``, the campaign's with ``list``. A closed campaign's final totals are
re-published as a new version at once (and announced), as after ``report void``."""
import json
import re
from pathlib import Path

import click

from chalicelib.counting.offline import Entered, enter_tallies
from chalicelib.domain import clock
from chalicelib.domain.tallies import MAX_TALLY_PARTICIPANTS, parse_tally, parse_tally_csv
from chalicelib.staff.tallies import csv_body, entry_record

_COUNT = re.compile(r"^([a-z0-9][a-z0-9-]*)\.([a-z]+)=(\d{1,9})$")


@click.group()
def tally():
    """Enter offline tallies (actions taken away from the form), one or a CSV file, and list them."""


@tally.command("add")
@click.argument("campaign_id")
@click.option("--source", required=True, help='Where the actions come from, e.g. "Madrid group letter-writing '
                                              'evening" (at most 200 characters; no supporter\'s name).')
@click.option("--acted-on", required=True, help="The day the actions were taken, YYYY-MM-DD (not in the future).")
@click.option("--count", "counts", multiple=True, required=True, metavar="TARGET.ACTION=N",
              help="What was sent to one official, e.g. governor.letter=38; repeat for each.")
@click.option("--participants", type=int, default=1, show_default=True,
              help=f"How many people took part (1 to {MAX_TALLY_PARTICIPANTS}).")
@click.option("--country", default="", help="Two-letter ISO 3166-1 code such as ES (default: unknown, ZZ).")
@click.option("--tally-id", default=None, help="A UUID of your own: the same id again is counted once.")
@click.option("--by", "by", required=True, help="Who enters it (kept in the audit trail and the exports).")
@click.pass_obj
def tally_add(backend, campaign_id, source, acted_on, counts, participants, country, tally_id, by):
    """Count one offline tally in CAMPAIGN_ID's totals (open or closed), with an audit entry."""
    body = {"source": source, "acted_on": acted_on, "participants": participants, "country": country,
            "per_target": _per_target(counts)}
    if tally_id:
        body["tally_id"] = tally_id
    now = clock.now()
    entered = enter_tallies(backend.store, campaign_id, lambda campaign: [parse_tally(
        body, campaign, backend.settings.max_count_per_action, now)], entered_by=by, now=now,
        notifier=backend.notifier())
    (report, created), = entered.tallies
    if created:
        click.echo(f"Stored tally {report.submission_id} for {campaign_id}: {report.actions_total} actions by "
                   f"{report.participants} people ({report.offline.source}).")
    else:
        click.echo(f"Tally {report.submission_id} was stored before, by {report.offline.entered_by} at "
                   f"{clock.format_public(report.offline.entered_at)}; nothing was stored again.")
    _say_what_totals_do(entered)


@tally.command("import")
@click.argument("campaign_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "by", required=True, help="Who enters them (kept in the audit trail and the exports).")
@click.pass_obj
def tally_import(backend, campaign_id, file, by):
    """Count every row of FILE (CSV, UTF-8) as an offline tally of CAMPAIGN_ID, or none.

    Header: tally_id,source,acted_on,country,participants and a column <target>.<action> for
    each count (docs/staff.md); at most 1,000 rows. Every row is checked first: a bad file
    stores nothing and each bad cell is named by row. If DynamoDB fails half-way, run the same
    command again: the rows stored already are recognised and counted once.
    """
    content, now = csv_body(file.read_bytes()), clock.now()   # at most TALLY_CSV_BYTES, UTF-8
    entered = enter_tallies(backend.store, campaign_id, lambda campaign: parse_tally_csv(
        content, campaign, backend.settings.max_count_per_action, now), entered_by=by, now=now,
        notifier=backend.notifier())
    replayed = len(entered.tallies) - entered.created
    click.echo(f"Stored {entered.created} tallies of {file.name} for {campaign_id}"
               + (f" ({replayed} stored before, not again)." if replayed else "."))
    _say_what_totals_do(entered)


@tally.command("list")
@click.argument("campaign_id")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def tally_list(backend, campaign_id, fmt):
    """CAMPAIGN_ID's offline tallies, counted or voided, oldest first."""
    entries = [entry_record(entry) for entry in backend.store.tally_entries(backend.campaign(campaign_id).campaign_id)]
    if fmt == "json":
        click.echo(json.dumps(entries, indent=2, ensure_ascii=False))
        return
    click.echo(f"{'TALLY':<37} {'ACTED ON':<10} {'PEOPLE':>6} {'ACTIONS':>7} {'STATUS':<7} SOURCE (ENTERED BY)")
    for entry in entries:
        status = "counted" if entry["counted"] else "voided"
        click.echo(f"{entry['tally_id']:<37} {entry['acted_on']:<10} {entry['participants']:>6} "
                   f"{entry['actions_total']:>7} {status:<7} {entry['source']} ({entry['entered_by']})")


def _per_target(counts) -> dict:
    per_target = {}
    for count in counts:
        match = _COUNT.match(count.strip())
        if not match:
            raise click.BadParameter(f"{count!r}: use TARGET.ACTION=N, e.g. governor.letter=38", param_hint="--count")
        target, action, number = match.groups()
        per_target.setdefault(target, {})[action] = int(number)
    return per_target


def _say_what_totals_do(entered: Entered):
    if entered.republished:
        click.echo(f"Final totals re-published as version {entered.republished.version}: "
                   f"{entered.republished.tally.reports} reports; earlier versions are kept.")
    elif entered.created:
        click.echo("The provisional totals count it once the table's stream is folded (seconds). "
                   "Void a tally as any report: action-tally report void CAMPAIGN_ID TALLY_ID.")
