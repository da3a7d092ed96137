"""Downloads of any table shown: CSV and XLSX bytes, with every text cell neutralised against formulas."""

from __future__ import annotations

import io

import pandas as pd

from ops_db.kit.spreadsheets import XLSX_OPTIONS, safe_cell


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and headings cannot run as formulas in a spreadsheet (see
    :func:`ops_db.kit.spreadsheets.safe_cell`); numeric, date and boolean columns are left as they are."""
    clean = frame.copy()
    for column in clean.columns:
        kind = clean[column].dtype
        if pd.api.types.is_string_dtype(kind) or isinstance(kind, pd.CategoricalDtype):  # object columns too
            clean[column] = clean[column].astype(object).map(safe_cell)
    clean.columns = [safe_cell(c) for c in clean.columns]
    return clean


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a header row (opens in spreadsheets with accents and CJK intact: BOM included).

    Lines end in CRLF (RFC 4180), which also makes every cell holding a CR or LF quoted: a bare CR inside a
    cell would otherwise start a new row whose first cell nobody neutralised."""
    text: str = safe_frame(frame).to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    """An XLSX workbook with one sheet; time zones dropped (Excel has none), values kept."""
    clean = safe_frame(frame)
    for column in clean.columns:
        if isinstance(clean[column].dtype, pd.DatetimeTZDtype):
            clean[column] = clean[column].dt.tz_convert("UTC").dt.tz_localize(None)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": XLSX_OPTIONS}) as writer:
        clean.to_excel(writer, sheet_name=sheet[:31], index=False)
    return buffer.getvalue()
