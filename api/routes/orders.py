"""Customers, orders, their transitions, lines, estimates and parts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ActorDep, EngineDep, uow
from api.schemas import ERRORS, IntakeIn, Page, ReceiptOut, decoded, page
from ops_db.customers import service as customers
from ops_db.customers.schemas import CustomerIn, CustomerRow
from ops_db.inventory import service as inventory
from ops_db.inventory.schemas import PartsAction, PartsIn, ReservationOut, ReservationRow
from ops_db.kit.errors import ValidationError, Verbatim
from ops_db.kit.schemas import Id
from ops_db.orders import service as orders
from ops_db.orders.models import Stage
from ops_db.orders.schemas import (
    DecisionIn,
    DecisionOut,
    EstimateIn,
    EstimateOut,
    LineIn,
    LineOut,
    OrderDetail,
    OrderRow,
    StageOut,
    TransitionIn,
)

router = APIRouter(prefix="/api/v1", responses=ERRORS)
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Search = Annotated[str | None, Query(max_length=100)]


@router.get("/customers", tags=["customers"], summary="List customers", response_model=Page[CustomerRow])
def list_customers(
    eng: EngineDep, actor: ActorDep, q: Search = None, limit: Limit = 50, offset: Offset = 0
) -> Page[CustomerRow]:
    """A page of customers, searched by name, email or phone."""
    items, total = customers.list_customers(uow(eng, actor), q=q, limit=limit, offset=offset)
    return page(items, total, limit, offset)


@router.post("/customers", tags=["customers"], status_code=201, summary="Create a customer", response_model=CustomerRow)
def create_customer(body: CustomerIn, eng: EngineDep, actor: ActorDep) -> CustomerRow:
    """Create a customer, or return the existing one with the same email or phone."""
    return customers.customer_dict(customers.create_customer(uow(eng, actor), body))


@router.get("/customers/{customer_id}", tags=["customers"], summary="One customer", response_model=CustomerRow)
def get_customer(customer_id: Id, eng: EngineDep, actor: ActorDep) -> CustomerRow:
    """A customer's details."""
    return customers.get_customer(uow(eng, actor), customer_id)


@router.get("/orders", tags=["orders"], summary="List orders", response_model=Page[OrderRow])
def list_orders(
    eng: EngineDep,
    actor: ActorDep,
    stage: Stage | None = None,
    customer_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    q: Search = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[OrderRow]:
    """A page of orders, newest first, filtered by stage, customer or a search."""
    items, total = orders.list_orders(
        uow(eng, actor), stage=stage, customer_id=customer_id, q=q, limit=limit, offset=offset
    )
    return page(items, total, limit, offset)


@router.post(
    "/orders",
    tags=["orders"],
    status_code=201,
    response_model=ReceiptOut,
    summary="Front-desk intake: customer, device, warranty and problem in one call",
)
def create_order(body: IntakeIn, eng: EngineDep, actor: ActorDep) -> ReceiptOut:
    """Open a service order."""
    receipt = orders.register_intake(uow(eng, actor), orders.IntakeIn(**{**dict(body), "photos": decoded(body.photos)}))
    return ReceiptOut(order_id=receipt.order_id, order_number=receipt.order_number, tracking_code=receipt.tracking_code)


@router.get(
    "/orders/{order_id}",
    tags=["orders"],
    summary="One order with lines, totals and timeline",
    response_model=OrderDetail,
)
def get_order(order_id: Id, eng: EngineDep, actor: ActorDep) -> OrderDetail:
    """An order in full."""
    return orders.get_order(uow(eng, actor), order_id)


@router.post(
    "/orders/{order_id}/transitions", tags=["orders"], summary="Move an order to another stage", response_model=StageOut
)
def transition(order_id: Id, body: TransitionIn, eng: EngineDep, actor: ActorDep) -> StageOut:
    """Apply a stage change if the stage machine and its guards allow it."""
    order = orders.transition(
        uow(eng, actor), order_id, body.to_stage, reason=body.reason, expected_stage=body.expected_stage
    )
    return StageOut(id=order.id, order_number=order.order_number, stage=order.stage.value)


@router.post("/orders/{order_id}/lines", tags=["orders"], status_code=201, summary="Add a line", response_model=LineOut)
def add_line(order_id: Id, body: LineIn, eng: EngineDep, actor: ActorDep) -> LineOut:
    """Add a service, labour, part, goods, consumable or discount line."""
    line = orders.add_line(uow(eng, actor), order_id, body)
    return LineOut(
        id=line.id,
        line_no=line.line_no,
        kind=line.kind.value,
        description=line.description,
        quantity=line.quantity,
        unit_price=line.unit_price,
        tax_rate_pct=line.tax_rate_pct,
    )


@router.delete("/orders/{order_id}/lines/{line_id}", tags=["orders"], status_code=204, summary="Remove a line")
def remove_line(order_id: Id, line_id: Id, eng: EngineDep, actor: ActorDep) -> None:
    """Remove a line from an order that is not invoiced yet."""
    orders.remove_line(uow(eng, actor), order_id, line_id)


@router.post("/orders/{order_id}/estimate", tags=["orders"], summary="Send an estimate", response_model=EstimateOut)
def send_estimate(order_id: Id, body: EstimateIn, eng: EngineDep, actor: ActorDep) -> EstimateOut:
    """Price the repair (default: current total) and ask the customer."""
    order = orders.send_estimate(uow(eng, actor), order_id, body.amount)
    return EstimateOut(id=order.id, stage=order.stage.value, estimate_amount=order.estimate_amount)


@router.post(
    "/orders/{order_id}/estimate/decision",
    tags=["orders"],
    summary="Approve or decline the estimate",
    response_model=DecisionOut,
)
def decide_estimate(order_id: Id, body: DecisionIn, eng: EngineDep, actor: ActorDep) -> DecisionOut:
    """The customer's answer (or staff recording it)."""
    order = orders.decide_estimate(uow(eng, actor), order_id, body.approve, tracking_code=body.tracking_code)
    return DecisionOut(id=order.id, stage=order.stage.value, estimate_status=order.estimate_status.value)


@router.get(
    "/orders/{order_id}/parts",
    tags=["inventory"],
    summary="An order's part reservations",
    response_model=Page[ReservationRow],
)
def list_parts(order_id: Id, eng: EngineDep, actor: ActorDep) -> Page[ReservationRow]:
    """Reservations held for the order."""
    items = inventory.reservations(uow(eng, actor), order_id)
    return page(items, len(items), len(items), 0)


@router.post(
    "/orders/{order_id}/parts",
    tags=["inventory"],
    summary="Reserve, consume or release parts",
    response_model=ReservationOut,
)
def parts(order_id: Id, body: PartsIn, eng: EngineDep, actor: ActorDep) -> ReservationOut:
    """Reserve parts for the order, or consume/release a reservation of it."""
    if body.action == PartsAction.RESERVE:
        if body.part_id is None or body.quantity is None:
            raise ValidationError("To reserve, give part_id and quantity.")
        res = inventory.reserve(uow(eng, actor), order_id, body.part_id, body.quantity, body.location_id)
    else:
        if body.reservation_id is None:
            raise ValidationError("To {action}, give reservation_id.", action=Verbatim(body.action))
        if body.reservation_id not in {r["id"] for r in inventory.reservations(uow(eng, actor), order_id)}:
            raise ValidationError(
                "Reservation {reservation} does not belong to order {order}.",
                reservation=body.reservation_id,
                order=order_id,
            )
        action = inventory.consume if body.action == PartsAction.CONSUME else inventory.release
        res = action(uow(eng, actor), body.reservation_id)
    return ReservationOut(
        id=res.id,
        order_id=res.order_id,
        part_id=res.part_id,
        location_id=res.location_id,
        quantity=res.quantity,
        status=res.status.value,
    )
