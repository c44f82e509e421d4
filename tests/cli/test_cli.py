"""The `action-tally` command line, driven with click's CliRunner against moto."""
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from chalicelib.counting import tallying
from chalicelib.counting.intake import submit_report
from chalicelib.domain.campaign import DEADLINE_NOTICE
from chalicelib.domain.errors import CampaignClosed, Unauthorized
from chalicelib.staff.auth import authenticate, hash_token
from tally_cli.main import cli
from tests.conftest import TABLE, campaign_body, report_body
from tests.streams import fold_stream

CAMPAIGN = "ua-47-22"


@pytest.fixture
def run(moto_table, fake_clock, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", TABLE)
    runner = CliRunner()

    def invoke(*args, ok=True):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert (result.exit_code == 0) == ok, result.output
        return result.output
    return invoke


@pytest.fixture
def campaign_file(tmp_path):
    path = tmp_path / f"{CAMPAIGN}.json"
    path.write_text(json.dumps(campaign_body()))
    return path


@pytest.fixture
def ua(run, campaign_file, store):
    run("campaign", "put", str(campaign_file))
    return store.get_campaign(CAMPAIGN)


def test_help_lists_every_command(run):
    assert "--endpoint-url" in run("--help")
    for group, commands in {"campaign": ["put", "import", "list", "close", "republish"], "totals": ["show"],
                            "report": ["void", "flagged", "reinstate", "export"],
                            "token": ["create", "list", "revoke"]}.items():
        output = run(group, "--help")
        assert all(command in output for command in commands), output


def test_campaign_put_creates_then_updates_from_json(run, campaign_file, store):
    assert "Created ua-47-22 (UA 47.22)" in run("campaign", "put", str(campaign_file))
    campaign_file.write_text(json.dumps(campaign_body(title="New title")))
    assert "Updated ua-47-22" in run("campaign", "put", str(campaign_file))
    assert store.get_campaign(CAMPAIGN).title == "New title"


def test_campaign_put_reads_yaml_with_an_unquoted_deadline(run, tmp_path, store):
    path = tmp_path / "campaign.yaml"
    path.write_text("reference: UA 48.22\ntitle: Release the defenders\n"
                    "deadline: 2026-02-01T23:59:59-04:00\nactions: [letter, email]\n"
                    "languages: [es, en]\ntargets:\n  - {id: governor, name: Rafael Lacava}\n")
    run("campaign", "put", path.as_posix(), "--id", "ua-48-22")
    assert store.get_campaign("ua-48-22").letter_language == "es"


def test_campaign_put_names_every_bad_field_and_stores_nothing(run, tmp_path, store):
    path = tmp_path / "ua-49-22.json"
    path.write_text(json.dumps(campaign_body(deadline="yesterday", actions=["letter", "pigeon"])))
    output = run("campaign", "put", str(path), ok=False)
    assert "deadline:" in output and "actions:" in output
    bad = tmp_path / "broken.yaml"
    bad.write_text("title: [unclosed")
    assert "not valid YAML" in run("campaign", "put", str(bad), ok=False)
    assert store.get_campaign("ua-49-22") is None


def test_campaign_list_shows_status_and_counts(run, ua, store, settings, fake_clock):
    for _ in range(3):
        submit_report(store, settings, CAMPAIGN, report_body())
    fake_clock.advance(seconds=10)
    fold_stream(store)
    (row,) = json.loads(run("campaign", "list", "--format", "json"))
    assert row | {"reports": 3, "actions": 9, "status": "open", "version": None} == row
    table = run("campaign", "list")
    assert "ua-47-22" in table and " open " in table


def test_totals_show_as_json_and_safe_csv(run, ua, store, settings, fake_clock):
    submit_report(store, settings, CAMPAIGN, report_body())
    fake_clock.advance(seconds=10)
    fold_stream(store)
    view = json.loads(run("totals", "show", CAMPAIGN))
    assert view["reports"] == 1 and view["final"] is False
    csv = run("totals", "show", CAMPAIGN, "--format", "csv")
    assert csv.startswith("campaign_id,final,as_of,metric,key,value\n") and "action,letter,2" in csv
    assert "no campaign" in run("totals", "show", "nope-nope", ok=False).lower()


def test_close_now_refuses_reports_then_the_scheduled_job_publishes(run, ua, store, settings, fake_clock):
    submit_report(store, settings, CAMPAIGN, report_body())
    assert "--now" in run("campaign", "close", CAMPAIGN, ok=False)   # never by accident
    output = run("campaign", "close", CAMPAIGN, "--now")
    assert "deadline moved" in output
    # Servers may remember the campaign for a few seconds: the new deadline is that much ahead.
    fake_clock.advance(seconds=DEADLINE_NOTICE.total_seconds() - 1)
    submit_report(store, settings, CAMPAIGN, report_body())
    fake_clock.advance(seconds=2)
    with pytest.raises(CampaignClosed):
        submit_report(store, settings, CAMPAIGN, report_body())
    fake_clock.advance(seconds=settings.settle_seconds)
    assert tallying.run_tally(store, settings, fake_clock()).closed == [CAMPAIGN]
    assert store.latest_final(CAMPAIGN).tally.reports == 2
    assert "already stopped" in run("campaign", "close", CAMPAIGN, "--now", ok=False)


def test_void_prints_what_happened_and_a_second_void_says_why_not(run, ua, store, settings, fake_clock):
    report = submit_report(store, settings, CAMPAIGN, report_body()).report
    submit_report(store, settings, CAMPAIGN, report_body())
    output = run("report", "void", CAMPAIGN, report.report_id, "--reason", "test entry", "--by", "Ana")
    assert f"Voided report {report.report_id}" in output and "stream is folded" in output
    again = run("report", "void", CAMPAIGN, report.report_id, "--reason", "x", "--by", "Ben", ok=False)
    assert "already voided by Ana" in again and "test entry" in again
    assert "has no report" in run("report", "void", CAMPAIGN, "f" * 32, "--reason", "x", "--by", "B", ok=False)
    assert "--reason" in run("report", "void", CAMPAIGN, report.report_id, "--by", "Ana", ok=False)


def test_void_after_close_republishes_and_republish_is_idempotent(run, ua, store, settings, fake_clock):
    report = submit_report(store, settings, CAMPAIGN, report_body()).report
    submit_report(store, settings, CAMPAIGN, report_body())
    fake_clock.set(ua.closes_at + timedelta(seconds=settings.settle_seconds))
    tallying.run_tally(store, settings, fake_clock())
    output = run("report", "void", CAMPAIGN, report.submission_id, "--reason", "duplicate", "--by", "Ana")
    assert "re-published as version 2" in output
    assert "version 2 (1 reports, 1 voided, 0 reinstated)" in run("campaign", "republish", CAMPAIGN)
    assert [v.version for v in store.final_versions(CAMPAIGN)] == [1, 2]


def test_flagged_reports_are_listed_and_one_reinstated_after_the_close_is_republished(
        run, ua, store, settings, fake_clock):
    counted = submit_report(store, settings, CAMPAIGN, report_body()).report
    bot = submit_report(store, settings, CAMPAIGN, report_body(website="http://spam.example")).report
    person = submit_report(store, settings, CAMPAIGN, report_body(form_token=None, name="Ana", consent=True)).report
    listing = run("report", "flagged", CAMPAIGN)
    assert "2 flagged report(s) of ua-47-22: bad_token 1, honeypot 1" in listing
    assert bot.report_id in listing and person.report_id in listing and counted.report_id not in listing
    assert "Ana" not in listing                                          # no personal data
    assert json.loads(run("report", "flagged", CAMPAIGN, "--format", "json"))["flagged"] == 2

    fake_clock.set(ua.closes_at + timedelta(seconds=settings.settle_seconds))
    tallying.run_tally(store, settings, fake_clock())
    output = run("report", "reinstate", CAMPAIGN, person.report_id, "--reason", "phoned us", "--by", "Ben")
    assert f"Reinstated report {person.report_id}" in output and "flagged bad_token" in output
    assert "re-published as version 2: 2 reports" in output
    again = run("report", "reinstate", CAMPAIGN, person.report_id, "--reason", "x", "--by", "Cy", ok=False)
    assert "reinstated already, by Ben" in again and "Nothing was changed" in again
    assert "never flagged" in run("report", "reinstate", CAMPAIGN, counted.report_id, "--reason", "x", "--by", "B",
                                  ok=False)
    assert "has no report" in run("report", "reinstate", CAMPAIGN, "f" * 32, "--reason", "x", "--by", "B", ok=False)
    assert "version 2 (2 reports, 0 voided, 1 reinstated)" in run("campaign", "republish", CAMPAIGN)
    assert "1 flagged report(s)" in run("report", "flagged", CAMPAIGN)


def test_report_export_keeps_personal_data_to_the_consented(run, ua, store, settings):
    submit_report(store, settings, CAMPAIGN, report_body(name="Ana", contact_email="ana@example.org", consent=True))
    csv = run("report", "export", CAMPAIGN)
    assert "ana@example.org" in csv and len(csv.splitlines()) == 2


def test_tokens_are_shown_once_listed_by_hash_and_revoked(run, store, fake_clock):
    output = run("token", "create", "--label", "Ana's laptop", "--expires-in", "30d")
    token = output.splitlines()[1]
    staff = authenticate(store, f"Bearer {token}", fake_clock())
    assert staff.expires_at == fake_clock() + timedelta(days=30)
    listing = run("token", "list")
    assert hash_token(token)[:12] in listing and "active" in listing and token not in listing

    assert "at least 8" in run("token", "revoke", "abc", ok=False)
    run("token", "create", "--label", "second")
    run("token", "revoke", hash_token(token)[:10])
    with pytest.raises(Unauthorized):
        authenticate(store, f"Bearer {token}", fake_clock())
    assert "revoked" in run("token", "list")
    assert "--expires-in" in run("token", "create", "--label", "x", "--expires-in", "forever", ok=False)


def test_an_id_too_long_for_any_key_is_one_clear_line(run, ua):
    for args in (("totals", "show", "a" * 3000), ("campaign", "close", "a" * 3000, "--now")):
        output = run(*args, ok=False)
        assert "longer than any id can be" in output and "Traceback" not in output and len(output) < 300


def test_deadlines_moved_from_the_cli_are_audited_as_the_cli(run, ua, store, tmp_path, fake_clock):
    later = tmp_path / f"{CAMPAIGN}.json"
    later.write_text(json.dumps(campaign_body(deadline="2026-01-25T23:59:59-04:00")))
    fake_clock.advance(seconds=1)
    run("campaign", "put", str(later))
    fake_clock.advance(seconds=1)
    run("campaign", "close", CAMPAIGN, "--now")
    moves = sorted((e for e in store.audit_entries(CAMPAIGN) if e.action == "deadline_moved"), key=lambda e: e.at)
    assert [e.details["old_deadline"] for e in moves] == ["2026-01-21T03:59:59Z", "2026-01-26T03:59:59Z"]
    assert all(e.by.startswith("staff CLI") for e in moves), [e.by for e in moves]
