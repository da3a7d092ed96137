"""The in-app inbox: a staff member's notifications, newest first, unread counted, marked read one by one or all
at once, only their own; customers have none."""

from __future__ import annotations

import pytest

from ops_db.comms.service import inbox, mark_read, notify_user, unread_count
from ops_db.customers.schemas import CustomerIn
from ops_db.customers.service import create_customer
from ops_db.kit.errors import NotFound, ValidationError
from tests.conftest import Shop


def _alert(shop: Shop, user_id: int, number: str) -> None:
    uow = shop.uow()
    with uow:
        notify_user(uow, "message_received", user_id, {"order_number": number, "author": "Ана", "body": "Привет"})
        uow.commit()


def test_a_staff_member_reads_their_own_notifications_newest_first(shop: Shop) -> None:
    manager, dispatcher = shop.person("manager"), shop.person("dispatcher")
    assert manager.user_id is not None and dispatcher.user_id is not None
    for number in ("RO-1", "RO-2", "RO-3"):
        _alert(shop, manager.user_id, number)
    _alert(shop, dispatcher.user_id, "RO-9")
    mine = inbox(shop.uow(manager)).items
    assert [n["title"] for n in mine] == ["New message on RO-3", "New message on RO-2", "New message on RO-1"]
    assert mine[0]["body"] == "Ана: Привет" and all(n["read_at"] is None for n in mine)
    assert unread_count(shop.uow(manager)) == 3
    assert mark_read(shop.uow(manager), [int(mine[0]["id"])]) == 1
    assert unread_count(shop.uow(manager)) == 2
    others = inbox(shop.uow(dispatcher)).items
    with pytest.raises(NotFound, match=f"Notification {others[0]['id']} is not one of yours."):
        mark_read(shop.uow(manager), [int(mine[1]["id"]), int(others[0]["id"])])
    assert unread_count(shop.uow(manager)) == 2 and unread_count(shop.uow(dispatcher)) == 1
    with pytest.raises(ValidationError, match="Choose the notifications"):
        mark_read(shop.uow(manager), [])
    assert mark_read(shop.uow(manager)) == 2 and unread_count(shop.uow(manager)) == 0
    assert mark_read(shop.uow(manager)) == 0  # already read: nothing to do
    with pytest.raises(ValidationError, match=r"Ask for 1 to 200 notifications\."):
        inbox(shop.uow(manager), limit=0)


def test_customers_have_no_staff_inbox(shop: Shop) -> None:
    customer = create_customer(shop.uow(), CustomerIn(name="Ana", email="ana@mail.example"))
    own = shop.person("customer", customer_id=customer.id)
    with pytest.raises(ValidationError, match="Only signed-in staff"):
        unread_count(shop.uow(own))
