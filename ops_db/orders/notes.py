"""What people add to an order: notes, the customer's sign-offs and rating."""

from __future__ import annotations

from sqlalchemy import select

from ops_db.i18n import N_
from ops_db.kit.errors import Conflict, ValidationError, not_found
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.common import _clean_text, _event, load_order
from ops_db.orders.files import _store_attachment, require_image
from ops_db.orders.models import (
    EventType,
    OrderNote,
    OrderRating,
    OrderSignoff,
    ServiceOrder,
    Stage,
)
from ops_db.orders.schemas import FileIn


def add_note(uow: UnitOfWork, order_id: int, body: str, *, internal: bool = True) -> OrderNote:
    """A note on an order: internal for staff, or visible to the customer."""
    with uow:
        uow.actor.require("orders.note")
        order = load_order(uow, order_id)
        text_ = _clean_text(body, N_("note"), 20000)
        note = OrderNote(
            tenant_id=order.tenant_id,
            order_id=order.id,
            author_id=uow.actor.user_id,
            body=text_,
            is_internal=internal,
            created_at=uow.now(),
        )
        uow.session.add(note)
        uow.flush()
        _event(uow, order, EventType.NOTE_ADDED, note.created_at, payload={"note_id": note.id})
        uow.audit("order.note", "order_notes", note.id, after={"order_id": order.id, "internal": internal})
        uow.commit()
        return note


def sign_off(
    uow: UnitOfWork, order_id: int, kind: str, signed_by_name: str, comment: str | None = None
) -> OrderSignoff:
    """Record the customer's signature at intake, completion or release."""
    with uow:
        uow.actor.require("orders.note")
        signoff = record_signoff(uow, load_order(uow, order_id), kind, signed_by_name, comment)
        uow.commit()
        return signoff


def record_signoff(
    uow: UnitOfWork,
    order: ServiceOrder,
    kind: str,
    signed_by_name: str,
    comment: str | None = None,
    *,
    signature: FileIn | None = None,
) -> OrderSignoff:
    """The checks and the row of :func:`sign_off`, inside the caller's open unit of work; ``signature``, the
    signature drawn on screen, is kept as an image attachment of the order that the sign-off points at."""
    if kind not in ("intake", "completion", "release"):
        raise ValidationError("A sign-off is for intake, completion or release.")
    if kind == "release" and order.stage not in (Stage.READY, Stage.CLOSED):
        raise Conflict("Order {number} is not ready for release.", number=order.order_number)
    name = _clean_text(signed_by_name, N_("signer's name"), 200)
    signoff = OrderSignoff(
        tenant_id=order.tenant_id,
        order_id=order.id,
        kind=kind,
        signed_by_name=name,
        comment=_clean_text(comment, N_("comment"), 2000, required=False),
        signed_at=uow.now(),
    )
    if signature is not None:
        require_image(signature)
        signoff.signature_attachment_id = _store_attachment(uow, signature, order_id=order.id).id
    uow.session.add(signoff)
    uow.flush()
    uow.audit("order.sign_off", "order_signoffs", signoff.id, after={"order_id": order.id, "kind": kind})
    return signoff


def rate_order(uow: UnitOfWork, order_id: int, score: int, comment: str | None = None) -> OrderRating:
    """The customer rates a finished order, once."""
    with uow:
        uow.actor.require("orders.rate")
        order = load_order(uow, order_id, lock=True)
        if uow.actor.is_customer and order.customer_id != uow.actor.customer_id:
            raise not_found(ServiceOrder, order_id)  # another customer's order reads like none
        if order.stage not in (Stage.READY, Stage.CLOSED):
            raise Conflict("You can rate an order once the work is finished.")
        if not isinstance(score, int) or not 1 <= score <= 5:
            raise ValidationError("Give a score from 1 to 5.")
        if uow.session.execute(select(OrderRating.id).where(OrderRating.order_id == order.id)).first():
            raise Conflict("Order {number} was already rated.", number=order.order_number)
        rating = OrderRating(
            tenant_id=order.tenant_id,
            order_id=order.id,
            score=score,
            comment=_clean_text(comment, N_("comment"), 5000, required=False),
            created_at=uow.now(),
        )
        uow.session.add(rating)
        uow.flush()
        uow.audit("order.rate", "order_ratings", rating.id, after={"order_id": order.id, "score": score})
        uow.commit()
        return rating
