"""The API's own shapes: sign-in tokens, the error body, the paging envelope, small answers, and the JSON form of
the two inputs that carry files (base64). Every business input and output comes from its area's
``ops_db.<area>.schemas``, shared with the services."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from ops_db.kit.errors import ValidationError, Verbatim
from ops_db.kit.schemas import Email, Shape
from ops_db.orders import schemas as orders
from ops_db.orders.intake import MAX_PHOTOS
from ops_db.orders.models import RequestChannel
from ops_db.orders.schemas import FileIn, PhotoIn

Strict = Shape  # the API-only inputs below refuse unknown fields and NUL characters like every shared shape
T = TypeVar("T")


class TokenIn(Strict):
    tenant: Annotated[str, Field(min_length=1, max_length=64)]
    email: Email
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    totp: Annotated[str | None, Field(max_length=12)] = None


class TokenOut(BaseModel):
    access_token: str = Field(description="Send as `Authorization: Bearer …`; it works for `expires_in` seconds.")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(
        ge=0, description="Seconds the access token works (15 minutes, less near the session's end)."
    )
    refresh_token: str = Field(
        description="Trade it once at /api/v1/auth/refresh for a new pair; using it twice ends the session."
    )
    user_id: int
    roles: list[str]


class RefreshIn(Strict):
    refresh_token: Annotated[str, Field(min_length=1, max_length=1024)]


class PasswordIn(Strict):
    current_password: Annotated[str, Field(min_length=1, max_length=1024)]
    new_password: Annotated[str, Field(min_length=8, max_length=1024)]


class SessionsEndedOut(BaseModel):
    ended: int = Field(ge=0, description="How many sessions ended.")


class RequestIn(orders.RequestIn):
    """A portal request as JSON: its photos come base64-encoded, and it always comes through the web."""

    channel: Literal[RequestChannel.WEB] = RequestChannel.WEB
    photos: Annotated[list[PhotoIn], Field(max_length=MAX_PHOTOS)] = []  # type: ignore[assignment]


class ReceiptOut(BaseModel):
    order_id: int
    order_number: str
    tracking_code: str


class IntakeIn(orders.IntakeIn):
    """Front-desk intake as JSON: its photos come base64-encoded."""

    photos: Annotated[list[PhotoIn], Field(max_length=MAX_PHOTOS)] = []  # type: ignore[assignment]


def decoded(photos: Iterable[PhotoIn]) -> tuple[FileIn, ...]:
    """The files a request's JSON carries, decoded; one that is not base64 is refused by its name."""
    files = []
    for photo in photos:
        try:
            content = base64.b64decode(photo.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("The photo {name} is not valid base64.", name=Verbatim(photo.filename)) from None
        files.append(FileIn(photo.filename, photo.content_type, content))
    return tuple(files)


class ErrorOut(BaseModel):
    error: str
    message: str


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": what}
    for status, what in (
        (400, "Malformed request"),
        (401, "Not signed in or the token is not valid"),
        (403, "Not allowed for this user"),
        (404, "No such thing (or not visible to this user)"),
        (409, "Clashes with the current state"),
        (413, "The request body is larger than the server takes"),
        (422, "The input is not valid"),
        (429, "Too many requests"),
        (503, "The database is unavailable"),
    )
}
"""The error responses every endpoint documents: all share ``{"error", "message"}``."""


class Page(BaseModel, Generic[T]):
    """The paging envelope of every list endpoint: ``total`` counts every matching row, not just this page's."""

    items: list[T]
    total: int = Field(ge=0, description="How many rows match in all.")
    limit: int = Field(ge=0)
    offset: int = Field(ge=0)


def page(items: list[T], total: int, limit: int, offset: int) -> Page[T]:
    """The paging envelope of a list endpoint."""
    return Page(items=items, total=total, limit=limit, offset=offset)


class LocaleOut(BaseModel):
    locale: str = Field(description="The language kept (en, ru, pt_BR or zh_CN).")


class MarkedOut(BaseModel):
    marked: int = Field(ge=0, description="How many of them were unread.")


class StatusOut(BaseModel):
    status: str
