"""Tracking's typed shapes: what whoever holds an order's number and tracking code sees of the whole job."""

from __future__ import annotations

from pydantic import with_config
from typing_extensions import TypedDict

from ops_db.billing.models import InvoiceStatus
from ops_db.kit.schemas import EXACT, Choice, Instant, Money
from ops_db.orders.models import EstimateStatus, Stage


@with_config(EXACT)
class TrackedInvoice(TypedDict):
    """The invoice of a tracked order: what it comes to and what is still due."""

    number: str
    status: Choice[InvoiceStatus]
    total: Money
    due: Money


@with_config(EXACT)
class TrackedStage(TypedDict):
    """A stage the tracked order reached, and when."""

    stage: Choice[Stage]
    at: Instant


@with_config(EXACT)
class Tracking(TypedDict):
    """What whoever holds an order's tracking code sees: stage, visit, estimate, invoice and timeline."""

    order_id: int
    technician: str | None
    eta: Instant | None
    time_zone: str
    currency: str
    order_number: str
    stage: Choice[Stage]
    received_at: Instant
    promised_at: Instant | None
    completed_at: Instant | None
    estimate_amount: Money | None
    estimate_status: Choice[EstimateStatus]
    total: Money
    invoice: TrackedInvoice | None
    timeline: list[TrackedStage]
