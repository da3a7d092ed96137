"""Domain events: an area tells the areas built on it what happened, in the same transaction, without importing them.

An area that must make others react (an order is cancelled: its reservations and bookings are released) defines a
frozen event (``ops_db.orders.events``) and calls ``uow.publish(event)``. The areas that react subscribe in one
table, :data:`ops_db.wiring.SUBSCRIPTIONS`, so imports run one way (the subscriber imports the event, the publisher
imports nobody) and who reacts to what can be read in one place. The table is read when the first event is
published, never while modules are being imported, so the order in which modules load changes nothing.
Subscribers run at once, in table order, inside the publisher's unit of work: what they write commits or rolls back
with the publisher's change, and a subscriber that refuses refuses the whole call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from ops_db.kit.uow import UnitOfWork


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened in one area that others may react to (plain values only: ids, times)."""


E = TypeVar("E", bound=DomainEvent)


@dataclass(frozen=True)
class Subscription(Generic[E]):
    """One reaction: ``handler`` runs with the unit of work whenever an ``event`` is published."""

    event: type[E]
    handler: Callable[[UnitOfWork, E], None]


def subscribe(event: type[E], handler: Callable[[UnitOfWork, E], None]) -> Subscription[E]:
    """A typed row of the subscription table: ``handler`` must take exactly this kind of event."""
    return Subscription(event, handler)


def handlers_of(
    event: DomainEvent, table: Sequence[Subscription[Any]] | None = None
) -> list[Callable[[UnitOfWork, Any], None]]:
    """The handlers subscribed to ``event``'s kind, in table order (the wiring table unless one is given)."""
    if table is None:
        # The composition root, imported on first use (as the unit of work imports ops_db.models): it imports the
        # areas above kit, which kit itself never does at import time (declared in the import contract).
        from ops_db.wiring import SUBSCRIPTIONS

        table = SUBSCRIPTIONS
    return [row.handler for row in table if isinstance(event, row.event)]
