"""Queries and calculations behind the pages, plain functions tested without Streamlit."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, text

from ops_db.kit.uow import Actor, UnitOfWork


def read_frame(engine: Engine, actor: Actor, sql: str, params: dict[str, Any], columns: list[str]) -> pd.DataFrame:
    """Run one read under the actor's row-level security and return it with fixed columns (even when empty)."""
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(sql), params).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=columns)
