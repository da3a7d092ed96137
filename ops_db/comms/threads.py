"""An order's message thread between staff and the customer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from ops_db.comms.models import Message, MessageThread
from ops_db.comms.outbox import notify_customer, notify_user
from ops_db.kit.errors import ValidationError
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.models import ServiceOrder


def post_message(uow: UnitOfWork, order_id: int, body: str) -> Message:
    """Write in an order's message thread (staff or the order's customer); the other side is notified."""
    with uow:
        actor = uow.actor
        actor.require("comms.send")
        body = (body or "").strip()
        if not body:
            raise ValidationError("Write a message first.")
        if len(body) > 20000:
            raise ValidationError("A message can be at most 20,000 characters.")
        order = uow.get(ServiceOrder, order_id)
        thread = uow.session.execute(select(MessageThread).where(MessageThread.order_id == order_id)).scalar()
        if thread is None:
            thread = MessageThread(tenant_id=actor.tenant_id, order_id=order_id, subject=f"Order {order.order_number}")
            uow.session.add(thread)
            uow.flush()
        message = Message(
            tenant_id=actor.tenant_id,
            thread_id=thread.id,
            body=body,
            created_at=uow.now(),
            author_user_id=None if actor.is_customer else actor.user_id,
            author_customer_id=actor.customer_id if actor.is_customer else None,
        )
        if message.author_user_id is None and message.author_customer_id is None:
            raise ValidationError("Only a signed-in person can write messages.")
        uow.session.add(message)
        uow.flush()
        fields = {"order_number": order.order_number, "author": actor.label, "body": body[:500]}  # a preview
        if actor.is_customer:
            # The customer writes on their own order whoever opened it (row security shows them only theirs); the
            # person who opened it hears of it (an order from the portal has nobody yet: the inbox shows it).
            if order.created_by is not None:
                notify_user(uow, "message_received", order.created_by, fields, order_id=order.id)
        else:
            notify_customer(uow, "message_received", order.customer_id, fields, order_id=order.id)
        uow.audit("message.post", "messages", message.id, after={"order_id": order_id})
        uow.commit()
        return message


def list_messages(uow: UnitOfWork, order_id: int) -> list[dict[str, Any]]:
    """The order's message thread, oldest first."""
    with uow:
        uow.actor.require("comms.read")
        uow.get(ServiceOrder, order_id)  # another customer's order reads as one that does not exist
        rows = (
            uow.session.execute(
                text(
                    "SELECT m.id, m.body, m.created_at, m.author_user_id, m.author_customer_id FROM messages m"
                    " JOIN message_threads t ON t.id = m.thread_id WHERE t.order_id = :o ORDER BY m.created_at, m.id"
                ),
                {"o": order_id},
            )
            .mappings()
            .all()
        )
        return [dict(r) for r in rows]
