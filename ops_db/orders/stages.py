"""The stage machine of a service order: which stage may follow which (guards on data live in lifecycle)."""

from __future__ import annotations

from ops_db.orders.models import (
    ServiceOrder,
    Stage,
)

# The stage machine. Guards that depend on data (estimate approval, QC, settled invoice) live in _guard.
TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.RECEIVED: frozenset({Stage.DIAGNOSTICS, Stage.ON_HOLD, Stage.CANCELLED}),
    Stage.DIAGNOSTICS: frozenset(
        {Stage.AWAITING_APPROVAL, Stage.AWAITING_PARTS, Stage.REPAIR, Stage.ON_HOLD, Stage.CANCELLED}
    ),
    Stage.AWAITING_APPROVAL: frozenset(
        {Stage.DIAGNOSTICS, Stage.AWAITING_PARTS, Stage.REPAIR, Stage.QUALITY_CHECK, Stage.ON_HOLD, Stage.CANCELLED}
    ),
    Stage.AWAITING_PARTS: frozenset({Stage.REPAIR, Stage.ON_HOLD, Stage.CANCELLED}),
    Stage.REPAIR: frozenset({Stage.QUALITY_CHECK, Stage.AWAITING_PARTS, Stage.ON_HOLD, Stage.CANCELLED}),
    Stage.QUALITY_CHECK: frozenset({Stage.READY, Stage.REPAIR}),
    Stage.READY: frozenset({Stage.CLOSED, Stage.REPAIR}),
    Stage.ON_HOLD: frozenset({Stage.CANCELLED}),  # plus the stage it was put on hold from
    Stage.CLOSED: frozenset(),
    Stage.CANCELLED: frozenset(),
}
# While the order waits for the customer the SLA clocks do not run.
CUSTOMER_WAIT_STAGES = frozenset({Stage.AWAITING_APPROVAL, Stage.ON_HOLD})


def allowed_transitions(order: ServiceOrder) -> list[Stage]:
    """The stages an order may move to next (before data-dependent guards)."""
    allowed = set(TRANSITIONS[order.stage])
    if order.stage == Stage.ON_HOLD and order.stage_before_hold is not None:
        allowed.add(order.stage_before_hold)
    return sorted(allowed, key=list(Stage).index)
