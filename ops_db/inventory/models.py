"""Inventory: parts catalogue, locations (warehouses, vans), levels, ledger, reservations, purchasing.

Invariants held by the database: quantity ≥ 0 and 0 ≤ reserved ≤ quantity on every stock level;
the movement ledger is append-only (a trigger refuses UPDATE and DELETE).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ops_db.i18n import N_
from ops_db.kit.base import (
    Base,
    Coordinate,
    IdMixin,
    Money,
    Quantity,
    TenantMixin,
    TimestampMixin,
    fk,
    str_enum,
)


class LocationKind(enum.StrEnum):
    """Where stock is kept."""

    WAREHOUSE = "warehouse"
    VAN = "van"
    WORKSHOP = "workshop"


class MovementReason(enum.StrEnum):
    """Why stock moved (the sign of the quantity says which way)."""

    INITIAL = "initial"
    RECEIPT = "receipt"
    CONSUME = "consume"
    SALE = "sale"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    ADJUSTMENT = "adjustment"
    RETURN = "return"


class ReservationStatus(enum.StrEnum):
    """A reservation holds stock for an order until consumed or released."""

    ACTIVE = "active"
    CONSUMED = "consumed"
    RELEASED = "released"


class TransferStatus(enum.StrEnum):
    """Life of a stock transfer between locations."""

    DRAFT = "draft"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class PurchaseOrderStatus(enum.StrEnum):
    """Life of a purchase order to a supplier."""

    DRAFT = "draft"
    SENT = "sent"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class Supplier(IdMixin, TenantMixin, TimestampMixin, Base):
    """A parts supplier."""

    __tablename__ = "suppliers"
    not_found: ClassVar[str] = N_("Supplier {supplier} does not exist.")  # what uow.get says when there is none

    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    lead_time_days: Mapped[int] = mapped_column(SmallInteger, server_default="3")

    __table_args__ = (CheckConstraint("lead_time_days >= 0", name="lead_time_nonnegative"),)


class Part(IdMixin, TenantMixin, TimestampMixin, Base):
    """A part, supply or item of goods in the catalogue."""

    __tablename__ = "parts"
    not_found: ClassVar[str] = N_("Part {part} does not exist.")  # what uow.get says when there is none

    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(16), server_default="pcs")
    unit_cost: Mapped[Money]
    sale_price: Mapped[Money]
    warranty_months: Mapped[int] = mapped_column(SmallInteger, server_default="3")
    is_consumable: Mapped[bool] = mapped_column(Boolean, server_default="false")
    preferred_supplier_id: Mapped[int | None] = fk("suppliers.id", nullable=True, ondelete="SET NULL")
    equipment_model_id: Mapped[int | None] = fk("equipment_models.id", nullable=True, ondelete="SET NULL")

    __table_args__ = (
        UniqueConstraint("tenant_id", "sku"),
        CheckConstraint("unit_cost >= 0 AND sale_price >= 0", name="prices_nonnegative"),
    )


class StockLocation(IdMixin, TenantMixin, TimestampMixin, Base):
    """A warehouse, a workshop shelf or a technician's van."""

    __tablename__ = "stock_locations"
    not_found: ClassVar[str] = N_("Stock location {location} does not exist.")  # what uow.get says when there is none

    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[LocationKind] = mapped_column(str_enum(LocationKind, "location_kind"))
    latitude: Mapped[Coordinate | None]
    longitude: Mapped[Coordinate | None]
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")

    __table_args__ = (UniqueConstraint("tenant_id", "code"),)


class StockLevel(TenantMixin, Base):
    """How many of a part sit at a location, how many are reserved, and when to reorder."""

    __tablename__ = "stock_levels"

    part_id: Mapped[int] = fk("parts.id", ondelete="CASCADE", primary_key=True, index=False)
    location_id: Mapped[int] = fk("stock_locations.id", ondelete="CASCADE", primary_key=True, index=False)
    quantity: Mapped[Quantity] = mapped_column(Numeric(12, 3), server_default="0")
    reserved: Mapped[Quantity] = mapped_column(Numeric(12, 3), server_default="0")
    reorder_point: Mapped[Quantity] = mapped_column(Numeric(12, 3), server_default="0")
    reorder_quantity: Mapped[Quantity] = mapped_column(Numeric(12, 3), server_default="0")
    updated_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_nonnegative"),
        CheckConstraint("reserved >= 0 AND reserved <= quantity", name="reserved_within_quantity"),
        CheckConstraint("reorder_point >= 0 AND reorder_quantity >= 0", name="reorder_nonnegative"),
        Index("ix_stock_levels_location", "location_id"),
    )


class StockMovement(IdMixin, TenantMixin, Base):
    """Append-only ledger: every change of a stock level, signed; the sum per part and location is the level."""

    __tablename__ = "stock_movements"

    part_id: Mapped[int] = fk("parts.id")
    location_id: Mapped[int] = fk("stock_locations.id", index=False)
    quantity_delta: Mapped[Quantity]
    reason: Mapped[MovementReason] = mapped_column(str_enum(MovementReason, "movement_reason"))
    order_id: Mapped[int | None] = fk("service_orders.id", nullable=True, ondelete="SET NULL")
    transfer_id: Mapped[int | None] = fk("stock_transfers.id", nullable=True, index=False)
    receipt_id: Mapped[int | None] = fk("purchase_receipts.id", nullable=True, index=False)
    unit_cost: Mapped[Money] = mapped_column(Numeric(12, 2), server_default="0")
    actor_user_id: Mapped[int | None] = fk("users.id", nullable=True, ondelete="SET NULL", index=False)
    occurred_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("quantity_delta <> 0", name="delta_nonzero"),
        Index("ix_stock_movements_location_part", "location_id", "part_id"),
    )


class StockReservation(IdMixin, TenantMixin, TimestampMixin, Base):
    """Stock held for an order's part line."""

    __tablename__ = "stock_reservations"
    not_found: ClassVar[str] = N_("Reservation {reservation} does not exist.")  # what uow.get says when there is none

    order_id: Mapped[int] = fk("service_orders.id", ondelete="CASCADE")
    order_line_id: Mapped[int | None] = fk("order_lines.id", nullable=True, ondelete="SET NULL", index=False)
    part_id: Mapped[int] = fk("parts.id", index=False)
    location_id: Mapped[int] = fk("stock_locations.id", index=False)
    quantity: Mapped[Quantity]
    status: Mapped[ReservationStatus] = mapped_column(
        str_enum(ReservationStatus, "reservation_status"), server_default="active"
    )

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)


class StockTransfer(IdMixin, TenantMixin, TimestampMixin, Base):
    """Stock moving from one location to another (warehouse → van)."""

    __tablename__ = "stock_transfers"

    from_location_id: Mapped[int] = fk("stock_locations.id", index=False)
    to_location_id: Mapped[int] = fk("stock_locations.id", index=False)
    status: Mapped[TransferStatus] = mapped_column(str_enum(TransferStatus, "transfer_status"), server_default="draft")
    shipped_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint("from_location_id <> to_location_id", name="different_locations"),)


class StockTransferLine(IdMixin, TenantMixin, Base):
    """A part and quantity on a transfer."""

    __tablename__ = "stock_transfer_lines"

    transfer_id: Mapped[int] = fk("stock_transfers.id", ondelete="CASCADE")
    part_id: Mapped[int] = fk("parts.id", index=False)
    quantity: Mapped[Quantity]

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)


class PurchaseOrder(IdMixin, TenantMixin, TimestampMixin, Base):
    """An order to a supplier."""

    __tablename__ = "purchase_orders"
    not_found: ClassVar[str] = N_("Purchase order {po} does not exist.")  # what uow.get says when there is none

    po_number: Mapped[str] = mapped_column(String(32))
    supplier_id: Mapped[int] = fk("suppliers.id")
    status: Mapped[PurchaseOrderStatus] = mapped_column(
        str_enum(PurchaseOrderStatus, "purchase_order_status"), server_default="draft"
    )
    deliver_to_location_id: Mapped[int] = fk("stock_locations.id", index=False)
    for_order_id: Mapped[int | None] = fk("service_orders.id", nullable=True, ondelete="SET NULL", index=False)
    ordered_at: Mapped[datetime | None]
    expected_on: Mapped[date | None] = mapped_column(Date)
    total: Mapped[Money] = mapped_column(Numeric(12, 2), server_default="0")
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("tenant_id", "po_number"),
        CheckConstraint("total >= 0", name="total_nonnegative"),
    )


class PurchaseOrderLine(IdMixin, TenantMixin, Base):
    """A part ordered from a supplier, and how much of it has arrived."""

    __tablename__ = "purchase_order_lines"

    purchase_order_id: Mapped[int] = fk("purchase_orders.id", ondelete="CASCADE")
    part_id: Mapped[int] = fk("parts.id", index=False)
    quantity: Mapped[Quantity]
    unit_cost: Mapped[Money]
    received_quantity: Mapped[Quantity] = mapped_column(Numeric(12, 3), server_default="0")

    __table_args__ = (
        CheckConstraint("quantity > 0 AND unit_cost >= 0", name="values_positive"),
        CheckConstraint("received_quantity >= 0 AND received_quantity <= quantity", name="received_within_ordered"),
    )


class PurchaseReceipt(IdMixin, TenantMixin, Base):
    """Goods received against a purchase order into a location."""

    __tablename__ = "purchase_receipts"

    purchase_order_id: Mapped[int] = fk("purchase_orders.id", ondelete="CASCADE")
    location_id: Mapped[int] = fk("stock_locations.id", index=False)
    received_at: Mapped[datetime]
    received_by: Mapped[int | None] = fk("users.id", nullable=True, ondelete="SET NULL", index=False)


class PurchaseReceiptLine(IdMixin, TenantMixin, Base):
    """A quantity of one purchase-order line received."""

    __tablename__ = "purchase_receipt_lines"

    receipt_id: Mapped[int] = fk("purchase_receipts.id", ondelete="CASCADE")
    purchase_order_line_id: Mapped[int] = fk("purchase_order_lines.id", index=False)
    quantity: Mapped[Quantity]

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)
