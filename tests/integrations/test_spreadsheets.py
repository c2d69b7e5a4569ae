"""The CSV formula guard: nothing a spreadsheet could run as a formula leaves Seamline unescaped."""
import csv
import io

import pytest

from integrations.spreadsheets import csv_lines, csv_safe

DANGEROUS = [
    "=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "\n=1",
    "\0=1", "\0", "\x1b=1", "\x7f=1",  # control characters, NUL among them
    "  =HYPERLINK(\"http://evil\")", "\u00a0=1", "\u3000+1",  # leading spaces (also no-break, ideographic)
    "\u200b=1", "\ufeff=1",  # zero-width space, byte-order mark
    "＝1+1", "＋cmd", "－2", "＠SUM(A1)",  # full width
    "﹦1", "﹢1", "﹣1", "﹫1",  # small forms
    " \t ＝1",
]
HARMLESS = ["Navy Blue", "2470_Eighteen", "1311", "2026-03-01", " leading space", "a=b", "e-mail", "", "Ça va"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_cells_a_spreadsheet_could_run_get_an_apostrophe(value):
    assert csv_safe(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_plain_text_is_left_alone(value):
    assert csv_safe(value) == value


def test_numbers_and_empty_values_pass_through():
    assert [csv_safe(v) for v in (-5, 0, 3.5, None)] == [-5, 0, 3.5, None]


def test_every_cell_of_every_row_goes_through_the_guard():
    text = "".join(csv_lines([["PO", "Product"], ["1311", "\0=cmd|' /C calc'!A0"], [-1, "＝1"]]))
    assert list(csv.reader(io.StringIO(text))) == [
        ["PO", "Product"], ["1311", "'\0=cmd|' /C calc'!A0"], ["-1", "'＝1"],
    ]
