"""The technician's phone over the REST API: the day in route order with a number to call, a way there and the
job's checklist; the van's parts; every action of a visit, each sent twice with its Idempotency-Key (the phone's
queue synced again after a lost answer) and done once; and the installable app itself served beside the API."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_date
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from api.routes import technician as api_routes
from api.routes.technician import APP_TEXTS
from ops_db.customers.schemas import CustomerIn
from ops_db.i18n import gettext_for, untranslated
from ops_db.inventory import service as inventory
from ops_db.kit.db import admin_engine
from ops_db.orders import service as orders
from ops_db.settings import get_settings
from ops_db.workforce import service as workforce
from ops_db.workforce.links import call_url, navigate_url
from ops_db.workforce.schemas import TechnicianIn
from tests.conftest import Shop

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
SIGNATURE = "data:image/png;base64," + base64.b64encode(PNG).decode()


@pytest.fixture
def client(shop: Shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("REPAIROPS_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    with TestClient(create_app(shop.url, public_burst=1000, public_per_second=1000)) as c:
        yield c
    get_settings.cache_clear()


def _sql(shop: Shop, sql: str, **params: Any) -> Any:
    with admin_engine(shop.url).begin() as conn:
        return conn.execute(text(sql), params).scalar()


def _day(shop: Shop, client: TestClient) -> tuple[dict[str, str], int, int, str]:
    """A technician (signed in) with a van of 3 fuses and a field job at a site: (headers, booking, order, day)."""
    tech = workforce.create_technician(shop.uow(), TechnicianIn(name="Tia", hourly_cost=Decimal("30")))
    shop.person("technician", technician_id=tech.id)
    reply = client.post(
        "/api/v1/auth/token",
        json={"tenant": "acme", "email": f"technician{shop._users}@acme.example", "password": "person-pass-1"},
    )
    headers = {"Authorization": f"Bearer {reply.json()['access_token']}"}
    van = _sql(
        shop,
        "INSERT INTO stock_locations (tenant_id, code, name, kind) VALUES (:t, 'VAN1', 'Van 1', 'van') RETURNING id",
        t=shop.tenant_id,
    )
    _sql(shop, "UPDATE technicians SET van_location_id = :v WHERE id = :t RETURNING id", v=van, t=tech.id)
    fuse = inventory.create_part(shop.uow(), "FUSE-1", "Fuse", unit_cost="1", sale_price="4")
    inventory.adjust(shop.uow(), fuse.id, van, 3, "loaded the van")
    receipt = orders.register_intake(
        shop.uow(),
        orders.IntakeIn(
            customer=CustomerIn(name="Lena", email="lena@example.com", phone="+1 (312) 555-0100"),
            problem_description="Fridge warm",
        ),
    )
    customer = _sql(shop, "SELECT customer_id FROM service_orders WHERE id = :o", o=receipt.order_id)
    site = _sql(
        shop,
        "INSERT INTO customer_sites (tenant_id, customer_id, address_line1, city, latitude, longitude)"
        " VALUES (:t, :c, '1 Main St', 'Chicago', 41.878100, -87.629800) RETURNING id",
        t=shop.tenant_id,
        c=customer,
    )
    _sql(
        shop,
        "UPDATE service_orders SET site_id = :s, location = 'field' WHERE id = :o RETURNING id",
        s=site,
        o=receipt.order_id,
    )
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    booking = workforce.book(shop.uow(), receipt.order_id, tech.id, start, start + timedelta(hours=1))
    return headers, booking.id, receipt.order_id, start.date().isoformat()


def test_links_to_call_and_to_navigate() -> None:
    assert call_url("+1 (312) 555-0100") == "tel:+13125550100"
    assert call_url(None) is None and call_url("n/a") is None
    assert navigate_url(Decimal("41.8781"), Decimal("-87.6298"), "1 Main St") == (
        "https://www.google.com/maps/dir/?api=1&destination=41.8781%2C-87.6298"
    )
    assert navigate_url(None, None, "1 Main St, Chicago") == (
        "https://www.google.com/maps/dir/?api=1&destination=1%20Main%20St%2C%20Chicago"
    )
    assert navigate_url(None, None, None) is None


def test_the_day_a_visit_and_its_queue_sent_twice(shop: Shop, client: TestClient) -> None:
    headers, booking, order, day = _day(shop, client)
    mine = client.get("/api/v1/my-day", params={"day": day}, headers=headers)
    assert mine.status_code == 200, mine.text
    [job] = mine.json()["jobs"]
    assert job["call_url"] == "tel:+13125550100" and job["navigate_url"].endswith("destination=41.878100%2C-87.629800")
    assert [item["code"] for item in job["checklist"]] == ["tested_with_customer", "area_clean"]
    assert mine.json()["day_text"] == format_date(date.fromisoformat(day), format="medium", locale="en_US")
    [part] = mine.json()["van"]
    assert (part["sku"], Decimal(str(part["free"]))) == ("FUSE-1", Decimal("3"))

    def twice(path: str, body: dict[str, Any], key: str) -> Any:
        first = client.post(path, json=body, headers={**headers, "Idempotency-Key": key})
        again = client.post(path, json=body, headers={**headers, "Idempotency-Key": key})
        assert first.status_code == again.status_code == 200, (first.text, again.text)
        return first.json()

    twice(f"/api/v1/my-day/bookings/{booking}/check-in", {}, "k1")
    twice(f"/api/v1/my-day/orders/{order}/notes", {"body": "Compressor noisy"}, "k2")
    twice(f"/api/v1/my-day/orders/{order}/van-parts", {"part_id": part["part_id"], "quantity": 2}, "k3")
    twice(f"/api/v1/my-day/orders/{order}/photos", {"filename": "fridge.png", "content_base64": SIGNATURE}, "k4")
    text_photo = {"filename": "fridge.jpg", "content_base64": base64.b64encode(b"just text").decode()}
    refused = client.post(f"/api/v1/my-day/orders/{order}/photos", json=text_photo, headers=headers)
    assert refused.status_code == 422 and "is not a photo" in refused.json()["message"]
    finish = {"signed_by": "Lena", "outcome": "Fan replaced", "signature_png_base64": SIGNATURE}
    unticked = client.post(
        f"/api/v1/my-day/bookings/{booking}/complete", json={**finish, "checklist": ["area_clean"]}, headers=headers
    )
    assert unticked.status_code == 422 and unticked.json()["message"].startswith("Tick the checklist item")
    ticked = {**finish, "checklist": ["tested_with_customer", "area_clean"]}
    twice(f"/api/v1/my-day/bookings/{booking}/complete", ticked, "k5")

    assert _sql(shop, "SELECT count(*) FROM time_entries WHERE booking_id = :b", b=booking) == 1
    assert _sql(shop, "SELECT count(*) FROM order_notes WHERE order_id = :o", o=order) == 1
    assert _sql(shop, "SELECT sum(quantity) FROM stock_levels WHERE part_id = :p", p=part["part_id"]) == 1
    assert _sql(shop, "SELECT count(*) FROM attachments WHERE order_id = :o", o=order) == 2  # a photo, a signature
    assert (
        _sql(
            shop,
            "SELECT a.content_type FROM order_signoffs s JOIN attachments a ON a.id = s.signature_attachment_id"
            " WHERE s.order_id = :o",
            o=order,
        )
        == "image/png"
    )
    done = client.get("/api/v1/my-day", params={"day": day}, headers=headers).json()["jobs"][0]
    assert done["status"] == "done"


def test_the_installable_app_is_served_beside_the_api(client: TestClient) -> None:
    page = client.get("/tech/")
    assert page.status_code == 200 and 'rel="manifest"' in page.text
    manifest = client.get("/tech/manifest.json").json()
    assert manifest["start_url"] == "/tech/" and manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    worker = client.get("/tech/sw.js")
    assert worker.status_code == 200 and "javascript" in worker.headers["content-type"]
    assert client.get("/tech/icon-512.png").content.startswith(b"\x89PNG")


def _app_words() -> set[str]:
    """Every English word the phone app writes: t("…") in app.js, the job states, data-t in index.html."""
    app = Path(api_routes.__file__).parent.parent / "tech_app"
    script, page = (app / "app.js").read_text(), (app / "index.html").read_text()
    words = set(re.findall(r'\bt\("((?:[^"\\]|\\.)*)"', script)) | set(re.findall(r'data-t="([^"]+)"', page))
    states = re.search(r"const STATES = \{([^}]*)\}", script)
    assert states is not None
    return {w.replace("\\'", "'") for w in words} | set(re.findall(r':\s*"([^"]+)"', states.group(1)))


def test_the_phone_app_writes_only_words_the_server_translates() -> None:
    words = _app_words()
    assert {"Sign in", "Check in · {order}", "Done ✓", "Finish with signature"} <= words  # the scan reads the app
    assert words - set(APP_TEXTS) == set()
    for locale in ("ru", "pt_BR", "zh_CN"):
        assert untranslated(locale, set(APP_TEXTS)) == []


def test_the_phone_app_speaks_the_phones_language_then_the_technicians(shop: Shop, client: TestClient) -> None:
    before = client.get("/api/v1/my-day/labels", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert before.status_code == 200 and before.json()["locale"] == "ru"
    assert before.json()["labels"]["Sign in"] == gettext_for("ru")("Sign in") != "Sign in"
    chosen = client.get("/api/v1/my-day/labels", params={"locale": "zh-CN"}).json()
    assert chosen["locale"] == "zh_CN" and chosen["labels"]["Check in"] == gettext_for("zh_CN")("Check in")
    assert client.get("/api/v1/my-day/labels", headers={"Accept-Language": "fi"}).json()["labels"]["Call"] == "Call"
    refused = client.get("/api/v1/my-day/labels", params={"locale": "klingon"})
    assert refused.status_code == 422 and "language" in refused.json()["message"]
    headers, _, _, day = _day(shop, client)
    _sql(shop, "UPDATE users SET locale = 'pt_BR' WHERE email LIKE 'technician%' RETURNING id")
    mine = client.get("/api/v1/my-day", params={"day": day}, headers=headers).json()
    assert mine["locale"] == "pt_BR" and mine["labels"]["Check in"] == gettext_for("pt_BR")("Check in") != "Check in"
