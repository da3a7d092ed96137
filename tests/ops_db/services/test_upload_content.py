"""Uploads are judged by their bytes, not their name or the type the sender claims: a text file named .jpg and
sent as image/jpeg is refused on every way a file comes in (an order's attachment, the portal's request, the
front desk's intake, the REST API), and what is stored carries the type its content has."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from ops_db.customers.schemas import CustomerIn
from ops_db.customers.service import create_customer
from ops_db.kit.db import admin_engine
from ops_db.kit.errors import ValidationError
from ops_db.orders import service as orders
from ops_db.orders.files import require_image, sniffed_type
from ops_db.settings import get_settings
from tests.conftest import Shop

TEXT_AS_JPEG = orders.FileIn("crack.jpg", "image/jpeg", b"this is a text file, not a photo\n")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
REFUSED = "Attach photos (JPEG, PNG, WebP, HEIC), PDF or MP4 files only."


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("REPAIROPS_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _attachments(shop: Shop) -> list[tuple[str, str]]:
    with admin_engine(shop.url).connect() as conn:
        return [(str(n), str(t)) for n, t in conn.execute(text("SELECT filename, content_type FROM attachments"))]


def _order(shop: Shop) -> orders.Receipt:
    customer = create_customer(shop.uow(), CustomerIn(name="Ana", email="ana@example.com"))
    return orders.register_intake(
        shop.uow(), orders.IntakeIn(customer=None, customer_id=customer.id, problem_description="Cracked screen")
    )


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (PNG, "image/png"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00", "video/mp4"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"this is a text file", None),
        (b"MZ\x90\x00", None),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
        (b"", None),
    ],
)
def test_the_kind_of_a_file_is_read_from_its_bytes(content: bytes, kind: str | None) -> None:
    assert sniffed_type(content) == kind


def test_only_an_image_passes_as_a_photo() -> None:
    require_image(orders.FileIn("a.png", "image/png", PNG))
    for impostor in (TEXT_AS_JPEG, orders.FileIn("scan.jpg", "image/jpeg", b"%PDF-1.7\n")):
        with pytest.raises(ValidationError, match="is not a photo"):
            require_image(impostor)


def test_a_text_file_named_jpg_is_refused_on_every_way_in(shop: Shop, data_dir: Path) -> None:
    receipt = _order(shop)
    with pytest.raises(ValidationError, match=REFUSED.replace("(", r"\(").replace(")", r"\)")):
        orders.add_attachment(shop.uow(), receipt.order_id, TEXT_AS_JPEG)
    request = orders.RequestIn(
        contact_name="Ana", item_type="phone", problem_description="Cracked", contact_email="ana@example.com"
    )
    with pytest.raises(ValidationError, match="photos"):
        orders.submit_request(shop.uow(), orders.RequestIn(**{**request.__dict__, "photos": (TEXT_AS_JPEG,)}))
    customer = create_customer(shop.uow(), CustomerIn(name="Bo", email="bo@example.com"))
    with pytest.raises(ValidationError, match="photos"):
        orders.register_intake(
            shop.uow(),
            orders.IntakeIn(
                customer=None, customer_id=customer.id, problem_description="Cracked", photos=(TEXT_AS_JPEG,)
            ),
        )
    assert _attachments(shop) == [] and not any(p.is_file() for p in data_dir.rglob("*"))


def test_what_is_stored_carries_the_type_of_its_content(shop: Shop, data_dir: Path) -> None:
    """A PNG the browser did not label (octet-stream) or labelled wrongly is kept, as a PNG."""
    receipt = _order(shop)
    orders.add_attachment(shop.uow(), receipt.order_id, orders.FileIn("a.png", "application/octet-stream", PNG))
    orders.add_attachment(shop.uow(), receipt.order_id, orders.FileIn("b.jpg", "image/jpeg", PNG + b"b"))
    assert sorted(_attachments(shop)) == [("a.png", "image/png"), ("b.jpg", "image/png")]


def test_the_api_refuses_a_text_file_sent_as_a_photo(shop: Shop, data_dir: Path) -> None:
    fake = {"filename": "crack.jpg", "content_type": "image/jpeg", "content_base64": base64.b64encode(b"hi").decode()}
    with TestClient(create_app(shop.url, public_burst=1000, public_per_second=1000)) as client:
        reply = client.post(
            "/api/v1/requests",
            headers={"X-Tenant": "acme"},
            json={
                "contact_name": "Ana",
                "contact_email": "ana@example.com",
                "item_type": "phone",
                "problem_description": "Cracked",
                "photos": [fake],
            },
        )
    assert reply.status_code == 422 and reply.json()["message"] == REFUSED
    assert _attachments(shop) == []
