"""What happens to an order that other areas react to (they subscribe in ``ops_db.wiring``; orders imports none)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ops_db.kit.events import DomainEvent


@dataclass(frozen=True)
class OrderCancelled(DomainEvent):
    """The order was cancelled at ``at``: what was held for it (reserved stock, planned visits) is let go."""

    order_id: int
    at: datetime


@dataclass(frozen=True)
class OrderReady(DomainEvent):
    """The work on the order was finished at ``at`` (it passed quality check): the repair is now under warranty."""

    order_id: int
    at: datetime


@dataclass(frozen=True)
class OrderInvoiced(DomainEvent):
    """The order was invoiced at ``at``: the work is billed, so nothing stays held for it."""

    order_id: int
    at: datetime
