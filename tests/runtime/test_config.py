"""Settings for group reports, small-cell suppression and the summary's signature."""
import pytest

from chalicelib.runtime.config import load_settings


def test_the_defaults_are_the_issues():
    settings = load_settings({})
    assert (settings.max_participants, settings.group_review_threshold, settings.small_cell_min) == (500, 50, 10)
    assert settings.organisation_name == ""


def test_each_is_read_from_the_environment():
    settings = load_settings({"MAX_PARTICIPANTS": "200", "GROUP_REVIEW_THRESHOLD": "20", "SMALL_CELL_MIN": "1",
                              "ORGANISATION_NAME": "  Amnesty International  "})
    assert (settings.max_participants, settings.group_review_threshold, settings.small_cell_min) == (200, 20, 1)
    assert settings.organisation_name == "Amnesty International"


@pytest.mark.parametrize("name", ["MAX_PARTICIPANTS", "GROUP_REVIEW_THRESHOLD", "SMALL_CELL_MIN"])
def test_below_one_is_refused(name):
    with pytest.raises(ValueError, match=name):
        load_settings({name: "0"})
