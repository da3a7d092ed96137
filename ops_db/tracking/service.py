"""Public tracking: what anyone holding an order's number and code may see of the whole job.

It reads across areas (the order's stage and lines, the coming visit, what is still owed on the invoice), so it
sits above them, billing included, rather than inside orders (which billing builds on)."""

from __future__ import annotations

import hmac

from sqlalchemy import select, text

from ops_db.billing.models import Invoice, InvoiceStatus
from ops_db.billing.service import balance
from ops_db.identity.models import Tenant
from ops_db.kit.errors import NotFound
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.models import ServiceOrder
from ops_db.orders.service import number_is, order_totals, timeline
from ops_db.tracking.schemas import Tracking


def track(uow: UnitOfWork, order_number: str, code: str) -> Tracking:
    """Public tracking by order number and code: stage, timeline, estimate, what is owed; nothing else."""
    with uow:
        order = uow.session.execute(select(ServiceOrder).where(number_is(order_number))).scalar_one_or_none()
        if order is None or not hmac.compare_digest(order.tracking_code.encode(), (code or "").encode()):
            raise NotFound("No order matches that number and code.")
        totals = order_totals(uow, order.id)
        invoice = uow.session.execute(
            select(Invoice).where(Invoice.order_id == order.id, Invoice.status != InvoiceStatus.VOID)
        ).scalar()
        # The customer sees who is coming and when (or who did the work), by first name only.
        visit = uow.session.execute(
            text(
                "SELECT split_part(t.name, ' ', 1) AS technician, lower(b.planned) AS eta, b.status = 'done' AS done"
                " FROM bookings b JOIN technicians t ON t.id = b.technician_id WHERE b.order_id = :o"
                " AND b.status IN ('confirmed', 'in_progress', 'done')"
                " ORDER BY b.status = 'done', CASE WHEN b.status = 'done' THEN -extract(epoch FROM lower(b.planned))"
                " ELSE extract(epoch FROM lower(b.planned)) END LIMIT 1"
            ),
            {"o": order.id},
        ).first()
        tenant = uow.session.get(Tenant, order.tenant_id)
        return {
            "order_id": order.id,
            "technician": visit.technician if visit else None,
            "eta": visit.eta if visit and not visit.done else None,
            "time_zone": tenant.time_zone if tenant else "UTC",
            "currency": tenant.currency if tenant else "USD",
            "order_number": order.order_number,
            "stage": order.stage.value,
            "received_at": order.received_at,
            "promised_at": order.promised_at,
            "completed_at": order.completed_at,
            "estimate_amount": order.estimate_amount,
            "estimate_status": order.estimate_status.value,
            "total": totals["total"],
            "invoice": {
                "number": invoice.invoice_number,
                "status": invoice.status.value,
                "total": invoice.total,
                "due": balance(uow, invoice)["due"],
            }
            if invoice
            else None,
            "timeline": [
                {"stage": e["to_stage"], "at": e["at"]} for e in timeline(uow, order.id) if e["to_stage"] is not None
            ],
        }
