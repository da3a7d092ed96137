"""The lists each role acts on, for the home page (read by ``ops_db.orders.queries.alerts``, each list under its
own permission and the actor's row security)."""

from __future__ import annotations

import pandas as pd

from dashboards.data import frame
from ops_db.kit.db import Database
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders.queries import alerts


def alerts_for(engine: Database, actor: Actor) -> list[tuple[str, pd.DataFrame, int]]:
    """The alert lists this person acts on, each as a table of its first rows and how many there are in all
    (empty tables included: zero is news too)."""
    return [(title, frame(rows), total) for title, rows, total in alerts(UnitOfWork(engine, actor))]
