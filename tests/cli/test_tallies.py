"""`action-tally tally add|import|list`: offline tallies from a terminal, by the API's rules."""
# ruff: noqa: F811 - the fixtures of tests/cli/test_cli.py, imported, are taken by name
import json
import uuid

from tests.cli.test_cli import CAMPAIGN, campaign_file, run, ua  # noqa: F401 - fixtures
from tests.counting.test_tallying import recount


def add(run, *extra, ok=True):
    return run("tally", "add", CAMPAIGN, "--source", "Madrid group letter-writing evening", "--acted-on",
               "2026-01-09", "--count", "governor.letter=38", "--count", "ambassador.email=12",
               "--participants", "40", "--country", "ES", "--by", "Ana (UA desk)", *extra, ok=ok)


def test_help_names_the_commands_and_their_options(run):
    assert all(command in run("tally", "--help") for command in ("add", "import", "list"))
    assert "TARGET.ACTION=N" in run("tally", "add", "--help")
    assert "1,000 rows" in run("tally", "import", "--help")


def test_add_stores_once_per_tally_id_and_list_shows_it(run, ua, store):
    tally_id = str(uuid.uuid4())
    assert f"Stored tally {tally_id} for ua-47-22: 50 actions by 40 people" in add(run, "--tally-id", tally_id)
    assert "was stored before, by Ana (UA desk)" in add(run, "--tally-id", tally_id)
    assert recount(store).reports == 1 and store.get_campaign(CAMPAIGN).offline_count == 1
    listed = run("tally", "list", CAMPAIGN)
    assert tally_id in listed and "counted" in listed and "Madrid group" in listed
    (entry,) = json.loads(run("tally", "list", CAMPAIGN, "--format", "json"))
    assert entry["entered_by"] == "Ana (UA desk)" and entry["actions_total"] == 50
    offline = json.loads(run("totals", "show", CAMPAIGN))["offline"]
    assert offline["reports"] == 1 and offline["people"] == 40


def test_bad_input_is_one_clear_message_and_nothing_is_stored(run, ua, store):
    output = add(run, "--count", "mayor.letter=1", ok=False)
    assert "per_target.mayor" in output
    assert "use TARGET.ACTION=N" in run("tally", "add", CAMPAIGN, "--source", "x", "--acted-on", "2026-01-09",
                                        "--count", "governor.letter", "--by", "Ana", ok=False)
    assert "acted_on: must not be in the future" in add(run, "--acted-on", "2030-01-01", ok=False)
    assert "ua-00-00" in run("tally", "add", "ua-00-00", "--source", "x", "--acted-on", "2026-01-09",
                             "--count", "governor.letter=1", "--by", "Ana", ok=False)
    assert recount(store).reports == 0


def test_import_stores_a_file_once_or_names_every_bad_row(run, ua, store, tmp_path):
    good = tmp_path / "tallies.csv"
    good.write_text("source,acted_on,governor.letter\r\nSchool A,2026-01-08,20\r\nSchool B,2026-01-08,5\r\n",
                    encoding="utf-8-sig")
    assert "Stored 2 tallies of tallies.csv for ua-47-22." in run("tally", "import", CAMPAIGN, str(good),
                                                                  "--by", "Ana")
    assert "Stored 0 tallies of tallies.csv for ua-47-22 (2 stored before, not again)." in run(
        "tally", "import", CAMPAIGN, str(good), "--by", "Ana")
    bad = tmp_path / "bad.csv"
    bad.write_text("source,acted_on,governor.letter\r\nSchool C,2026-01-08,20\r\n,2026-01-08,x\r\n")
    output = run("tally", "import", CAMPAIGN, str(bad), "--by", "Ana", ok=False)
    assert "row 3.source" in output and "row 3.per_target.governor.letter" in output
    latin = tmp_path / "latin.csv"
    latin.write_bytes("source,acted_on,governor.letter\r\nEscuela Peñas,2026-01-08,1\r\n".encode("latin-1"))
    assert "not UTF-8" in run("tally", "import", CAMPAIGN, str(latin), "--by", "Ana", ok=False)
    assert recount(store).reports == 2


def test_a_tally_after_the_close_is_republished_at_once_and_voided_like_a_report(run, ua, store, settings,
                                                                                fake_clock):
    from tests.counting.test_voiding import close
    close(store, settings, fake_clock, ua)
    output = add(run)
    assert "Final totals re-published as version 2: 1 reports" in output
    tally_id = json.loads(run("tally", "list", CAMPAIGN, "--format", "json"))[0]["tally_id"]
    assert "re-published as version 3" in run("report", "void", CAMPAIGN, tally_id, "--reason", "entered twice",
                                              "--by", "Ana")
    assert "voided" in run("tally", "list", CAMPAIGN)
    assert store.latest_final(CAMPAIGN).tally.reports == 0
