"""The one way text Seamline did not write reaches a CSV cell: a spreadsheet must never run it as a formula.

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@` (OWASP "CSV
injection"), and they are lenient about what comes first: leading spaces and control characters
(`\\t`, `\\r`, `\\0`, …) are skipped, and full-width or small forms (`＝ ＋ － ＠`, `﹦ ﹢ ﹣ ﹫`) are read
as the ASCII sign. Such a cell gets a leading apostrophe, which spreadsheets show as text and hide.
Every CSV Seamline writes goes through `csv_lines` (or `csv_safe` per cell).
"""
from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable, Iterator

FORMULA_SIGNS = frozenset("=+-@")


def _is_skipped(char: str) -> bool:
    """Characters a spreadsheet may skip before it decides a cell is a formula."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def is_formula_like(value: str) -> bool:
    """True when a spreadsheet could take `value` for a formula (or it starts with a control character)."""
    if not value:
        return False
    if unicodedata.category(value[0]) in ("Cc", "Cf"):
        return True  # \0, \t, \r, zero-width characters…: never let a cell start with one
    first = next((c for c in value if not _is_skipped(c)), "")
    return bool(first) and unicodedata.normalize("NFKC", first)[:1] in FORMULA_SIGNS


def csv_safe(value):
    """`value` as it may go into a CSV cell: text a spreadsheet could run gets a leading apostrophe."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


class _Echo:
    def write(self, value):
        return value


def csv_lines(rows: Iterable[Iterable]) -> Iterator[str]:
    """CSV text, a line at a time (for a StreamingHttpResponse), every cell through `csv_safe`."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([csv_safe(cell) for cell in row])
