"""CSV that spreadsheets open safely: every text cell is neutralised against formula
injection (OWASP "CSV Injection"), whoever typed it."""
import csv
import io

_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """Neutralise spreadsheet formulas in a text cell: a leading quote makes it plain text."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_TRIGGERS) else text


def csv_text(header, rows) -> str:
    """``header`` and ``rows`` as CSV (RFC 4180 line ends); numbers as they are, text made safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell if isinstance(cell, int) and not isinstance(cell, bool) else
                         csv_safe("" if cell is None else cell) for cell in row])
    return out.getvalue()
