"""The offline tallies bench section, tiny: it imports exactly, and lists the tallies for
less than reading every report."""
from bench import tallies


def test_a_tiny_tallies_run_imports_exactly_and_lists_cheaper_than_every_report():
    figures = tallies.run(rows=40, reports=60)
    assert figures["exact"] and figures["import"]["calls"] == {"GetItem": 1, "TransactWriteItems": 2}
    # Three transactional writes a tally (two units each) and the campaign's update per transaction.
    assert 6 <= figures["import"]["wru_per_tally"] <= 6.2
    assert figures["list_tallies"]["calls"] == 1
    assert figures["list_tallies"]["rru"] < figures["read_every_report"]["rru"]
