"""The spreadsheet-formula guard (CSV/Excel injection), one character set for every writer.

Text a spreadsheet would run as a formula when the file is opened (it starts with ``= + - @``, a tab or a CR)
is marked as text: a leading apostrophe in CSV, the quote-prefix format in XLSX. A number written as text
(``-1.5``) is data, not a formula, and stays as it is.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_RE2_ESCAPES = {"-": r"\-", "\t": r"\t", "\r": r"\r"}


def is_formula_text(value: object) -> bool:
    """True for a text cell that would be executed by Excel/LibreOffice when opened."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return False
    try:
        float(value)
    except ValueError:
        return True
    return False  # "-1.5" is a number written as text, not a formula


def sql_neutralise(column: str) -> str:
    """The same guard as a DuckDB expression over the quoted identifier ``column`` (for ``copy ... to csv``)."""
    chars = "".join(_RE2_ESCAPES.get(c, c) for c in FORMULA_START)
    return (f"case when regexp_matches({column}, '^[{chars}]') and try_cast({column} as double) is null "
            f"then chr(39) || {column} else {column} end")
