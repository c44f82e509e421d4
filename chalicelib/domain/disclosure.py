"""Small-cell suppression: what officials and the public may see of a breakdown.

A government reading that two people in its own country wrote to it can find them. So no
cell of a breakdown that an official or the public sees counts from 1 to ``k - 1``
supporters' worth (``k`` is the SMALL_CELL_MIN setting, 10 by default): such a cell is
withheld (``None``), or folded into "other" where a breakdown has one (countries). Zero is
shown: it singles out nobody. Withholding one cell alone is not enough when the cells add
up to a figure that is shown (the total of actions, say): the withheld one would be that
figure minus the others. So a second cell is withheld beside it, the smallest shown one,
and a folded "other" below ``k`` takes in the smallest shown cell until it is ``k`` or more.
Staff see every figure (the exports, the dashboard); see docs/privacy.md.
"""


def is_small(count: int, k: int) -> bool:
    """Whether ``count`` is a cell no official or member of the public may see."""
    return 0 < count < k


def withhold(cells: dict, k: int, *, adds_up: bool = True) -> dict:
    """``cells`` (key -> count) with every small count as None. With ``adds_up`` (their sum
    is shown elsewhere), a lone withheld cell takes the smallest shown one with it."""
    shown = {key: None if is_small(count, k) else count for key, count in cells.items()}
    if adds_up:
        _second_cell(shown, list(shown))
    return shown


def withhold_table(table: dict, k: int) -> dict:
    """``{row: {column: count}}`` with every small count as None, and second cells withheld
    until no row and no column has exactly one withheld cell (row and column sums may be shown)."""
    shown = {row: {column: None if is_small(count, k) else count for column, count in cells.items()}
             for row, cells in table.items()}
    columns = list(dict.fromkeys(column for cells in shown.values() for column in cells))
    changed = True
    while changed:   # each pass only withholds more, so it ends
        changed = False
        for row in shown.values():
            changed |= _second_cell(row, list(row))
        for column in columns:
            line = {row: cells[column] for row, cells in shown.items() if column in cells}
            if _second_cell(line, list(line)):
                for row, count in line.items():
                    shown[row][column] = count
                changed = True
    return shown


def fold(cells: dict, k: int, *, keep: int | None = None, always_other: tuple = ()) -> tuple[dict, int]:
    """``(shown, other)``: the cells of ``k`` or more (at most ``keep`` of them, largest first)
    and the sum of the rest, which is 0 or at least ``k`` whenever any cell is shown (the
    smallest shown cells join it until it is). Keys in ``always_other`` are never shown."""
    ranked = sorted(cells.items(), key=lambda item: (-item[1], item[0]))
    shown = [(key, count) for key, count in ranked if count >= k and key not in always_other]
    if keep is not None:
        shown = shown[:keep]
    other = sum(cells.values()) - sum(count for _, count in shown)
    while shown and is_small(other, k):
        other += shown.pop()[1]
    return dict(shown), other


def _second_cell(cells: dict, keys: list) -> bool:
    """If exactly one of ``cells`` is withheld, withhold the smallest shown count above zero too."""
    withheld = [key for key in keys if cells[key] is None]
    shown = [key for key in keys if cells[key]]
    if len(withheld) != 1 or not shown:
        return False
    cells[min(shown, key=lambda key: (cells[key], key))] = None
    return True


def withhold_sum(breakdowns: list[dict]) -> dict:
    """The cell-by-cell sum of breakdowns already withheld (each adds up to a figure that is
    shown): a cell is None where any of them withholds it, since a sum shown beside a shown
    part would give the withheld part away; and a lone withheld cell takes a second with it."""
    keys = list(dict.fromkeys(key for cells in breakdowns for key in cells))
    summed = {key: None if any(key in cells and cells[key] is None for cells in breakdowns)
              else sum(cells.get(key, 0) for cells in breakdowns) for key in keys}
    _second_cell(summed, keys)
    return summed
