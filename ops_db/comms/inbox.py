"""A staff member's own notifications: the in-app inbox (the bell) and which events also come by email, and when."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import time

from sqlalchemy import text

from ops_db.comms.schemas import NotificationRow
from ops_db.identity.models import User
from ops_db.kit.errors import NotFound, ValidationError, Verbatim
from ops_db.kit.uow import UnitOfWork

INBOX_LIMIT = 200


@dataclass(frozen=True)
class Inbox:
    """A staff member's newest in-app notifications and how many of all of theirs are unread."""

    items: list[NotificationRow]
    unread: int


def inbox(uow: UnitOfWork, *, limit: int = 20) -> Inbox:
    """The signed-in staff member's newest in-app notifications (at most ``limit``, up to 200), each with the
    order number it is about and whether it has been read, and the unread count: one read for the bell."""
    if not 1 <= limit <= INBOX_LIMIT:
        raise ValidationError("Ask for 1 to {limit} notifications.", limit=INBOX_LIMIT)
    with uow:
        user_id = _staff_self(uow)
        rows = (
            uow.session.execute(
                text(
                    "SELECT n.id, n.title, n.body, n.created_at, n.read_at, o.order_number FROM in_app_notifications n"
                    " LEFT JOIN service_orders o ON o.id = n.order_id WHERE n.user_id = :u"
                    " ORDER BY n.created_at DESC, n.id DESC LIMIT :n"
                ),
                {"u": user_id, "n": limit},
            )
            .mappings()
            .all()
        )
        return Inbox([NotificationRow(**row) for row in rows], _unread(uow, user_id))  # type: ignore[typeddict-item]


def unread_count(uow: UnitOfWork) -> int:
    """How many of the signed-in staff member's in-app notifications are unread."""
    with uow:
        return _unread(uow, _staff_self(uow))


def _unread(uow: UnitOfWork, user_id: int) -> int:
    return int(
        uow.session.execute(
            text("SELECT count(*) FROM in_app_notifications WHERE user_id = :u AND read_at IS NULL"), {"u": user_id}
        ).scalar_one()
    )


def mark_read(uow: UnitOfWork, notification_ids: Collection[int] | None = None) -> int:
    """Mark the signed-in staff member's notifications read: the given ones (each must be theirs) or, with
    ``None``, all of them. Returns how many were unread."""
    with uow:
        user_id = _staff_self(uow)
        if notification_ids is not None:
            wanted = sorted({int(i) for i in notification_ids})
            if not wanted:
                raise ValidationError("Choose the notifications to mark as read.")
            own = {
                int(row.id)
                for row in uow.session.execute(
                    text("SELECT id FROM in_app_notifications WHERE user_id = :u AND id = ANY(:ids)"),
                    {"u": user_id, "ids": wanted},
                )
            }
            if missing := [i for i in wanted if i not in own]:
                raise NotFound("Notification {notification} is not one of yours.", notification=missing[0])
        # Reading is personal state, not a business change: it is not written to the audit trail.
        changed = uow.session.execute(
            text(
                "UPDATE in_app_notifications SET read_at = :now WHERE user_id = :u AND read_at IS NULL"
                " AND (CAST(:ids AS bigint[]) IS NULL OR id = ANY(CAST(:ids AS bigint[]))) RETURNING id"
            ),
            {"now": uow.now(), "u": user_id, "ids": None if notification_ids is None else wanted},
        ).all()
        uow.commit()
        return len(changed)


# The events that reach staff (the rest go to customers); each can be emailed or not, per person.
STAFF_EVENTS = ("estimate_decided", "message_received", "sla_at_risk", "sla_breached")


@dataclass(frozen=True)
class EmailChoices:
    """Which notifications a staff member gets by email, and when: as they happen or in one daily digest."""

    emailed: frozenset[str]
    digest_at: time | None


def email_choices(uow: UnitOfWork) -> EmailChoices:
    """The signed-in staff member's email choices (every staff event is emailed until they turn it off)."""
    with uow:
        user_id = _staff_self(uow)
        user = uow.session.get(User, user_id)
        assert user is not None
        return EmailChoices(frozenset(STAFF_EVENTS) - _muted(uow, user_id), user.email_digest_at)


def set_email_choices(uow: UnitOfWork, emailed: Collection[str], digest_at: time | None) -> EmailChoices:
    """A staff member chooses, for themself, which notifications also come by email (the app shows them all)
    and whether emails go out as they happen (``digest_at=None``) or together once a day at ``digest_at``,
    the company's local time. Audited."""
    with uow:
        user_id = _staff_self(uow)
        unknown = sorted(set(emailed) - set(STAFF_EVENTS))
        if unknown:
            raise ValidationError("There is no staff notification called {event}.", event=Verbatim(unknown[0]))
        user = uow.session.get(User, user_id, with_for_update=True)
        assert user is not None
        before = {"digest_at": user.email_digest_at, "muted": sorted(_muted(uow, user_id))}
        for event in STAFF_EVENTS:
            uow.session.execute(
                text(
                    "INSERT INTO notification_preferences (tenant_id, user_id, event, channel, enabled)"
                    " VALUES (:t, :u, :e, 'email', :on) ON CONFLICT (user_id, event, channel)"
                    " DO UPDATE SET enabled = EXCLUDED.enabled"
                ),
                {"t": uow.actor.tenant_id, "u": user_id, "e": event, "on": event in emailed},
            )
        user.email_digest_at = digest_at.replace(second=0, microsecond=0) if digest_at is not None else None
        chosen = EmailChoices(frozenset(emailed), user.email_digest_at)
        uow.audit(
            "user.email_choices",
            "users",
            user_id,
            before=before,
            after={"digest_at": chosen.digest_at, "muted": sorted(set(STAFF_EVENTS) - chosen.emailed)},
        )
        uow.commit()
        return chosen


def _muted(uow: UnitOfWork, user_id: int) -> set[str]:
    """The events this person turned email off for."""
    rows = uow.session.execute(
        text("SELECT event FROM notification_preferences WHERE user_id = :u AND channel = 'email' AND NOT enabled"),
        {"u": user_id},
    ).all()
    return {str(row.event) for row in rows}


def _staff_self(uow: UnitOfWork) -> int:
    """The acting staff member's user id; customers and the system have no staff email choices."""
    actor = uow.actor
    if actor.user_id is None or actor.is_customer:
        raise ValidationError("Only signed-in staff have notification choices and an inbox.")
    return actor.user_id
