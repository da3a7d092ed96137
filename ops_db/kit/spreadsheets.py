"""Cells of the files spreadsheets open (CSV, XLSX): text that a spreadsheet would run as a formula is neutralised.

A customer can type anything into a name or a note; a portal request named ``=HYPERLINK("http://x", "Open")``
must reach a manager's spreadsheet as that text, not as a live formula. Every CSV and XLSX RepairOps writes
passes its cells through :func:`safe_cell` (OWASP "CSV injection": a text cell starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return gets a leading single quote). Numbers stay numbers: only text is changed.
"""

from __future__ import annotations

import unicodedata
from typing import TypeVar

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Besides digits, what a formatted amount may hold ("-1,234.50", "-$5.00", "- 5 %", "-1 234,50 €"): none of it
# is a letter, a parenthesis or an operator, so it can never name a function or a cell, only itself.
_NUMBER_MARKS = frozenset(" .,%'\u00a0\u202f")
# xlsxwriter options for every workbook: a string is always written as a string, never read as a formula, a
# link or a number (defence in depth under safe_cell).
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}

Cell = TypeVar("Cell")


def is_plain_number(text: str) -> bool:
    """Whether ``text`` is only a signed, formatted number ("-12.50", "-$5.00", "+1,000"), which a spreadsheet
    reads as that number and nothing else."""
    body = text[1:] if text[:1] in ("+", "-") else text
    has_digit = False
    for char in body:
        if char.isascii() and char.isdigit():
            has_digit = True
        elif char not in _NUMBER_MARKS and unicodedata.category(char) != "Sc":
            return False
    return has_digit


def safe_cell(value: Cell) -> Cell | str:
    """``value`` as a cell no spreadsheet will run: text starting with = + - @ tab or CR is prefixed with a single
    quote; numbers, dates, empty cells and text that is only a number are returned as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not is_plain_number(value):
        return "'" + value
    return value
