"""The lists each role acts on, for the home page (read by ``ops_db.orders.queries.alerts``, each list under its
own permission and the actor's row security)."""

from __future__ import annotations

import pandas as pd

from dashboards.data import frame
from ops_db.kit.db import Database
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders.queries import alerts


def alerts_for(engine: Database, actor: Actor) -> list[tuple[str, pd.DataFrame]]:
    """The alert lists this person acts on, each as a table (empty tables included: zero is news too)."""
    return [(title, frame(rows)) for title, rows in alerts(UnitOfWork(engine, actor))]
