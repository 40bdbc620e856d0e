"""Spreadsheet-safe CSV cells: a cell starting with = + - @, a tab or a carriage return is read as a
formula by spreadsheet programs (CSV injection), so such cells get a leading apostrophe."""

from __future__ import annotations

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(cell: object) -> str:
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
