"""Technicians and bookings, stock, invoices, payments and refunds."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request

from api.deps import ActorDep, EngineDep, uow
from api.schemas import ERRORS, Page, page
from ops_db.billing import service as billing
from ops_db.billing.models import InvoiceStatus
from ops_db.billing.schemas import InvoiceDetail, InvoiceIn, InvoiceRow, PaymentIn, PaymentRow, RefundIn, RefundRow
from ops_db.billing.stripe_payments import refund_payment, stripe_config_for
from ops_db.inventory import service as inventory
from ops_db.inventory.schemas import StockRow
from ops_db.kit.errors import ValidationError
from ops_db.kit.schemas import Day, Id
from ops_db.workforce import service as workforce
from ops_db.workforce.schemas import (
    BookingCreated,
    BookingIn,
    BookingRow,
    TechnicianCreated,
    TechnicianIn,
    TechnicianRow,
)

router = APIRouter(prefix="/api/v1", responses=ERRORS)
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


@router.get(
    "/technicians", tags=["workforce"], summary="List technicians with skills", response_model=Page[TechnicianRow]
)
def list_technicians(eng: EngineDep, actor: ActorDep) -> Page[TechnicianRow]:
    """Every technician of the company."""
    items = workforce.list_technicians(uow(eng, actor))
    return page(items, len(items), len(items), 0)


@router.post(
    "/technicians", tags=["workforce"], status_code=201, summary="Add a technician", response_model=TechnicianCreated
)
def create_technician(body: TechnicianIn, eng: EngineDep, actor: ActorDep) -> TechnicianCreated:
    """Create a technician."""
    tech = workforce.create_technician(uow(eng, actor), body)
    return TechnicianCreated(id=tech.id, name=tech.name)


@router.get("/bookings", tags=["workforce"], summary="List bookings", response_model=Page[BookingRow])
def list_bookings(
    eng: EngineDep,
    actor: ActorDep,
    technician_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    day: Day | None = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> Page[BookingRow]:
    """A page of bookings, for one technician and/or one day; ``total`` counts every one that matches."""
    items, total = workforce.list_bookings(
        uow(eng, actor), technician_id=technician_id, day=day, limit=limit, offset=offset
    )
    return page(items, total, limit, offset)


@router.post(
    "/bookings",
    tags=["workforce"],
    status_code=201,
    summary="Book a technician for an order",
    response_model=BookingCreated,
)
def create_booking(body: BookingIn, eng: EngineDep, actor: ActorDep) -> BookingCreated:
    """Refused when it overlaps another booking of the technician, their time off, or falls outside their shift."""
    booking = workforce.book(uow(eng, actor), body.order_id, body.technician_id, body.starts_at, body.ends_at)
    return BookingCreated(
        id=booking.id, order_id=booking.order_id, technician_id=booking.technician_id, status=booking.status.value
    )


@router.delete("/bookings/{booking_id}", tags=["workforce"], status_code=204, summary="Cancel a booking")
def cancel_booking(booking_id: Id, eng: EngineDep, actor: ActorDep) -> None:
    """Cancel a booking that has not started."""
    workforce.unbook(uow(eng, actor), booking_id)


@router.get("/stock", tags=["inventory"], summary="Stock levels", response_model=Page[StockRow])
def stock(
    eng: EngineDep,
    actor: ActorDep,
    location_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    part_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> Page[StockRow]:
    """On hand, reserved and free quantity per part and location; ``total`` counts every row that matches."""
    items, total = inventory.stock(
        uow(eng, actor), location_id=location_id, part_id=part_id, limit=limit, offset=offset
    )
    return page(items, total, limit, offset)


@router.get("/invoices", tags=["billing"], summary="List invoices", response_model=Page[InvoiceRow])
def list_invoices(
    eng: EngineDep,
    actor: ActorDep,
    status: InvoiceStatus | None = None,
    customer_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[InvoiceRow]:
    """A page of invoices with what is paid and due."""
    items, total = billing.list_invoices(
        uow(eng, actor), status=status, customer_id=customer_id, limit=limit, offset=offset
    )
    return page(items, total, limit, offset)


@router.post("/invoices", tags=["billing"], status_code=201, summary="Invoice an order", response_model=InvoiceDetail)
def create_invoice(body: InvoiceIn, eng: EngineDep, actor: ActorDep) -> InvoiceDetail:
    """Issue an itemised invoice with tax for an order's lines."""
    invoice = billing.create_invoice(uow(eng, actor), body.order_id, due_days=body.due_days)
    return billing.get_invoice(uow(eng, actor), invoice.id)


@router.get(
    "/invoices/{invoice_id}",
    tags=["billing"],
    summary="One invoice with lines and balance",
    response_model=InvoiceDetail,
)
def get_invoice(invoice_id: Id, eng: EngineDep, actor: ActorDep) -> InvoiceDetail:
    """An invoice in full."""
    return billing.get_invoice(uow(eng, actor), invoice_id)


@router.post(
    "/payments", tags=["billing"], status_code=201, summary="Record a payment (idempotent)", response_model=PaymentRow
)
def create_payment(
    body: PaymentIn,
    eng: EngineDep,
    actor: ActorDep,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> PaymentRow:
    """Posting the same Idempotency-Key again returns the payment recorded the first time."""
    key = idempotency_key or body.idempotency_key
    if not key:
        raise ValidationError("Send an Idempotency-Key header (or idempotency_key) so a retry cannot pay twice.")
    pay = billing.record_payment(uow(eng, actor), body.invoice_id, body.amount, body.method, key)
    return PaymentRow(
        id=pay.id,
        invoice_id=pay.invoice_id,
        amount=pay.amount,
        method=pay.method.value,
        idempotency_key=pay.idempotency_key,
        refunded_amount=pay.refunded_amount,
    )


@router.post(
    "/refunds", tags=["billing"], status_code=201, summary="Refund (part of) a payment", response_model=RefundRow
)
def create_refund(body: RefundIn, request: Request, eng: EngineDep, actor: ActorDep) -> RefundRow:
    """Never more than what remains of the payment; a payment made through Stripe is refunded through Stripe."""
    row = refund_payment(
        uow(eng, actor),
        partial(stripe_config_for, eng, actor.tenant_id, request.app.state.stripe),
        body.payment_id,
        body.amount,
        body.reason,
        body.idempotency_key,
    )
    return RefundRow(id=row.id, payment_id=row.payment_id, amount=row.amount)
