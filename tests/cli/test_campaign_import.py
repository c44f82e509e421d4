"""`action-tally campaign import CASE.txt [--id ID] [--create]`: the draft and its warnings
from a case sheet, and the campaign created from it, as the API would."""
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from tally_cli.main import cli
from tests.conftest import TABLE

ROOT = Path(__file__).resolve().parents[2]
SEED = (ROOT / "campaigns" / "ua-47-22.txt").read_text(encoding="utf-8")


@pytest.fixture
def sheet(tmp_path, fake_clock):
    fake_clock.set(datetime(2022, 6, 1, tzinfo=timezone.utc))
    path = tmp_path / "ua-47-22.txt"
    path.write_text(SEED, encoding="utf-8")
    return path


@pytest.fixture
def run(moto_table, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", TABLE)
    runner = CliRunner()

    def invoke(*args, ok=True):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert (result.exit_code == 0) == ok, result.output + result.stderr
        return result
    return invoke


def test_import_prints_the_draft_and_its_warnings_and_stores_nothing(run, sheet, store):
    result = run("campaign", "import", str(sheet), "--timezone", "America/Caracas")
    draft = json.loads(result.stdout)
    assert draft["reference"] == "UA 47.22" and draft["timezone"] == "America/Caracas"
    assert [t["id"] for t in draft["targets"]] == ["governor", "ambassador"]
    assert "warning: line 28: targets[1].social[0]: '@ONUVE NuevaYork' has a space" in result.stderr
    assert "Suggested id: ua-47-22" in result.stderr
    assert store.get_campaign("ua-47-22") is None


def test_import_create_makes_the_campaign_with_its_case(run, sheet, store):
    result = run("campaign", "import", str(sheet), "--timezone", "America/Caracas", "--create", "--id", "ua-47-22b")
    assert "Created ua-47-22b (UA 47.22), open until 2022-07-16T03:59:59Z." in result.stderr
    campaign = store.get_whole_campaign("ua-47-22b")
    assert campaign.targets[0].emails == ("sgeneralcarabobo@gmail.com",) and "en" in campaign.letter


def test_import_refuses_what_is_not_a_case_sheet(run, tmp_path):
    outcome = tmp_path / "outcome.txt"
    outcome.write_text((ROOT / "tests/casesheet/sheets/outcome-en-ua-33-21.txt").read_text(encoding="utf-8"))
    assert "outcome notice" in run("campaign", "import", str(outcome), ok=False).output
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("URGENT ACTION café".encode("latin-1"))
    assert "not UTF-8 text" in run("campaign", "import", str(latin), ok=False).output
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert "text: is empty" in run("campaign", "import", str(empty), ok=False).output


def test_create_refuses_a_draft_that_does_not_validate_and_names_the_field(run, sheet, fake_clock, store):
    fake_clock.set(datetime(2026, 1, 10, tzinfo=timezone.utc))      # the sheet's deadline has passed
    result = run("campaign", "import", str(sheet), "--create", ok=False)
    assert "has passed" in result.stderr and "deadline: must be in the future" in result.output
    assert store.get_campaign("ua-47-22") is None
