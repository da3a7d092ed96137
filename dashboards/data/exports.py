"""Downloads of any table shown: CSV and XLSX bytes."""

from __future__ import annotations

import io

import pandas as pd


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a header row (opens in spreadsheets with accents and CJK intact: BOM included)."""
    return frame.to_csv(index=False).encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    """An XLSX workbook with one sheet; time zones dropped (Excel has none), values kept."""
    clean = frame.copy()
    for column in clean.columns:
        if isinstance(clean[column].dtype, pd.DatetimeTZDtype):
            clean[column] = clean[column].dt.tz_convert("UTC").dt.tz_localize(None)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
        clean.to_excel(writer, sheet_name=sheet[:31], index=False)
    return buffer.getvalue()
