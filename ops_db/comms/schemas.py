"""Comms' typed shapes: which in-app notifications to mark read, and a notification as the inbox shows it."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, with_config
from typing_extensions import TypedDict

from ops_db.kit.schemas import EXACT, Id, Instant, Shape


class ReadIn(Shape):
    """The notifications to mark read (``None``: all of them)."""

    ids: Annotated[list[Id] | None, Field(max_length=500)] = None


@with_config(EXACT)
class NotificationRow(TypedDict):
    """An in-app notification, with the number of the order it is about."""

    id: int
    title: str
    body: str
    created_at: Instant
    read_at: Instant | None
    order_number: str | None
