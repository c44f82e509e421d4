"""Small-cell suppression: no cell from 1 to k - 1 is shown, nor one that would let it be worked out."""
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.disclosure import fold, withhold, withhold_table

K = 10


def test_small_cells_are_withheld_zero_and_large_ones_shown():
    assert withhold({"letter": 40, "email": 12, "fax": 0}, K) == {"letter": 40, "email": 12, "fax": 0}
    assert withhold({"letter": 40, "email": 3, "fax": 0, "call": 25}, K) == {
        "letter": 40, "email": None, "fax": 0, "call": None}   # 25 is the smallest shown: 68 - 40 - 25 = 3


def test_without_a_sum_shown_elsewhere_one_withheld_cell_is_enough():
    assert withhold({"governor": 13, "ambassador": 1}, K, adds_up=False) == {"governor": 13, "ambassador": None}


def test_a_lone_small_cell_beside_zeros_is_withheld_alone():
    assert withhold({"letter": 4, "email": 0}, K) == {"letter": None, "email": 0}


def test_a_table_has_no_row_or_column_with_a_single_withheld_cell():
    table = {"governor": {"letter": 30, "email": 3, "fax": 0},
             "ambassador": {"letter": 20, "email": 15, "fax": 12}}
    shown = withhold_table(table, K)
    assert shown["governor"]["email"] is None
    for line in [*shown.values(), *({row: shown[row][c] for row in shown} for c in ("letter", "email", "fax"))]:
        assert list(line.values()).count(None) != 1, shown


def test_small_countries_fold_into_other_which_is_never_small_when_any_country_is_shown():
    assert fold({"MX": 40, "ES": 12, "VE": 2, "ZZ": 1}, K, always_other=("ZZ",)) == ({"MX": 40}, 15)
    assert fold({"MX": 40, "ES": 12, "VE": 9, "FR": 3}, K) == ({"MX": 40, "ES": 12}, 12)
    assert fold({"MX": 5, "ES": 2}, K) == ({}, 7)   # all of it: what the total says anyway
    assert fold({"MX": 40, "ES": 30, "FR": 20}, K, keep=2) == ({"MX": 40, "ES": 30}, 20)


counts = st.integers(0, 40)


@given(st.dictionaries(st.sampled_from("abcdef"), counts, min_size=1))
def test_a_withheld_breakdown_never_shows_a_small_cell_or_lets_one_be_derived(cells):
    shown = withhold(cells, K)
    assert not any(value is not None and 0 < value < K for value in shown.values())
    assert list(shown.values()).count(None) != 1 or sum(cells.values()) == sum(
        cells[key] for key, value in shown.items() if value is None)   # unless it is the whole total
    assert all(value is None or value == cells[key] for key, value in shown.items())


@given(st.dictionaries(st.sampled_from("abcd"), st.dictionaries(st.sampled_from("xyz"), counts, min_size=3,
                                                                max_size=3), min_size=1))
def test_a_withheld_table_never_shows_a_small_cell_nor_a_lone_withheld_one_in_a_line_with_shown_ones(table):
    shown = withhold_table(table, K)
    for row, cells in shown.items():
        assert all(value is None or value == table[row][column] for column, value in cells.items())
        assert not any(value is not None and 0 < value < K for value in cells.values())
    lines = list(shown.values()) + [{row: shown[row][column] for row in shown} for column in "xyz"]
    for line in lines:
        others = [value for value in line.values() if value]
        assert list(line.values()).count(None) != 1 or not others


@given(st.dictionaries(st.sampled_from(["MX", "ES", "VE", "FR", "AR", "ZZ"]), st.integers(1, 40), min_size=1),
       st.one_of(st.none(), st.integers(1, 4)))
def test_folded_countries_add_up_and_other_is_zero_or_large_whenever_a_country_is_shown(cells, keep):
    shown, other = fold(cells, K, keep=keep, always_other=("ZZ",))
    assert sum(shown.values()) + other == sum(cells.values())
    assert all(count >= K for count in shown.values()) and "ZZ" not in shown
    assert not shown or other == 0 or other >= K
