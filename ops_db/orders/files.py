"""Files on orders and requests: photos and documents, stored by content hash, written only on commit."""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import partial
from pathlib import Path

from sqlalchemy import text

from ops_db.i18n import N_
from ops_db.kit import bounds
from ops_db.kit.errors import ValidationError, Verbatim
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.common import load_order
from ops_db.orders.models import (
    Attachment,
)
from ops_db.orders.schemas import FileIn
from ops_db.settings import get_settings

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
ALLOWED_CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "application/pdf", "video/mp4")
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic")
# The brands of an ISO media file (bytes 8-12, after "ftyp") that make it a HEIC/HEIF photo; any other brand is
# a video container (MP4, M4V, QuickTime-compatible MP4).
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif")


def sniffed_type(content: bytes) -> str | None:
    """The media type ``content`` really is, read from its first bytes (never from its name or the type the
    sender claims), or None when it is none of the kinds we keep."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content[4:8] == b"ftyp":
        return "image/heic" if content[8:12] in _HEIF_BRANDS else "video/mp4"
    return None


def require_image(upload: FileIn) -> None:
    """Refuse a file that is not a photo by its content (a text file named .jpg included)."""
    if sniffed_type(upload.content) not in IMAGE_TYPES:
        raise ValidationError(
            "The file {name} is not a photo: attach a JPEG, PNG, WebP or HEIC image.",
            name=Verbatim(upload.filename or "file"),
        )


def add_attachment(uow: UnitOfWork, order_id: int, upload: FileIn, *, photo: bool = False) -> Attachment:
    """Attach a photo or document to an order (stored once per content hash); ``photo``: only an image will do."""
    with uow:
        uow.actor.require("orders.note")
        order = load_order(uow, order_id)
        if photo:
            require_image(upload)
        attachment = _attach(uow, upload, order.id)
        uow.commit()
        return attachment


def _attach(uow: UnitOfWork, upload: FileIn, order_id: int) -> Attachment:
    attachment = _store_attachment(uow, upload, order_id=order_id)
    uow.audit("order.attach", "attachments", attachment.id, after={"order_id": order_id, "sha256": attachment.sha256})
    return attachment


def _store_attachment(
    uow: UnitOfWork, upload: FileIn, *, order_id: int | None = None, request_id: int | None = None
) -> Attachment:
    if not upload.content:
        if not upload.filename:
            raise ValidationError("The file is empty.")
        raise ValidationError("The file {name} is empty.", name=Verbatim(upload.filename))
    if len(upload.content) > MAX_ATTACHMENT_BYTES:
        raise ValidationError("A file can be at most 20 MB.")
    # The content decides what a file is: a claimed type that is not on the list is refused as before, and a
    # file whose bytes are none of the kinds we keep (a text file named .jpg and sent as image/jpeg) too.
    kind = sniffed_type(upload.content)
    if upload.content_type not in (*ALLOWED_CONTENT_TYPES, "application/octet-stream") or kind is None:
        raise ValidationError("Attach photos (JPEG, PNG, WebP, HEIC), PDF or MP4 files only.")
    bounds.no_nul(upload.filename, N_("file name"))
    name = Path((upload.filename or "file").replace("\\", "/")).name.strip()[:255] or "file"
    digest = hashlib.sha256(upload.content).hexdigest()
    path = _write_when_committed(uow, get_settings().data_path / "attachments" / digest[:2] / digest, upload.content)
    attachment = Attachment(
        tenant_id=uow.actor.tenant_id,
        order_id=order_id,
        request_id=request_id,
        sha256=digest,
        filename=name,
        content_type=kind,  # what the bytes are, not what the sender said
        size_bytes=len(upload.content),
        storage_path=str(path),
        uploaded_by=uow.actor.user_id,
        created_at=uow.now(),
    )
    uow.session.add(attachment)
    uow.flush()
    return attachment


def _write_when_committed(uow: UnitOfWork, path: Path, content: bytes) -> Path:
    """Store content-addressed ``content`` at ``path`` only if the transaction commits: it is written to a
    temporary file beside ``path`` now (so a full disk refuses the call) and moved into place after the commit;
    a rollback deletes it, so a refused or failed call leaves nothing on disk."""
    if path.exists():  # the same content, stored before
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:12]}-", suffix=".part")
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    uow.on_commit(partial(temporary.replace, path), undo=partial(temporary.unlink, missing_ok=True))
    return path


def _carry_attachments(uow: UnitOfWork, request_id: int, order_id: int) -> None:
    uow.session.execute(
        text("UPDATE attachments SET order_id = :o WHERE request_id = :r AND order_id IS NULL"),
        {"o": order_id, "r": request_id},
    )
