"""Who reacts to what: the one table of domain-event subscriptions inside ops_db.

An area publishes an event (``uow.publish(OrderCancelled(...))``) without knowing who listens; the areas built on
it react through this table, in the order written, inside the publisher's transaction (see ``ops_db.kit.events``).
The unit of work reads the table on the first publish, so no import order can leave a subscriber out.
"""

from __future__ import annotations

from typing import Any

from ops_db.inventory import service as inventory
from ops_db.kit.events import Subscription, subscribe
from ops_db.orders.events import OrderCancelled, OrderInvoiced, OrderReady
from ops_db.warranty import service as warranty
from ops_db.workforce import service as workforce

SUBSCRIPTIONS: tuple[Subscription[Any], ...] = (
    subscribe(OrderCancelled, inventory.release_for_cancelled_order),
    subscribe(OrderCancelled, workforce.cancel_visits_of_cancelled_order),
    subscribe(OrderReady, warranty.cover_finished_repair),
    subscribe(OrderReady, inventory.settle_for_finished_order),
    subscribe(OrderInvoiced, inventory.settle_for_finished_order),
)
