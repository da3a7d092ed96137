"""Frames for the pages: the reads of ``ops_db/<area>/queries.py`` (which check the actor and run under row-level
security) turned into tables, and the calculations on them, plain functions tested without Streamlit."""

from __future__ import annotations

import pandas as pd

from ops_db.kit.rows import Rows


def frame(rows: Rows) -> pd.DataFrame:
    """A read's rows as a table with its fixed columns (even when empty)."""
    return pd.DataFrame(rows.records, columns=list(rows.columns))
