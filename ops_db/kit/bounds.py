"""Business limits on what people type: money, quantities, days and moments, text.

Every service that takes money or a quantity from outside (order lines, estimates, payments, refunds, credit
notes, purchase orders, stock counts and transfers, parts and catalogue prices, imports) parses it here, so one
rule gives one sentence everywhere, and no accepted value can later overflow a total: a line is at most
``MAX_QUANTITY`` x ``MAX_UNIT_PRICE`` and at most ``MAX_LINE_TOTAL``, an order's lines add up to at most
``MAX_LINE_TOTAL`` (so its invoice, with up to 100 % tax, stays far inside ``numeric(12,2)`` and the warehouse's
sums), and any single amount is at most ``MAX_AMOUNT``. Migration 0012 holds the same limits as CHECK
constraints, so the database refuses what a bypassed check would let through.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ops_db.kit.errors import ValidationError, Verbatim

CENT = Decimal("0.01")
MILLI = Decimal("0.001")
MAX_UNIT_PRICE = Decimal("1000000.00")  # one unit: a part, an hour of labour, a catalogue service
MAX_QUANTITY = Decimal(10_000)  # one line: of an order, a purchase order, a reservation, a transfer
MAX_STOCK = Decimal(1_000_000)  # what one location holds of one part
MAX_LINE_TOTAL = Decimal("10000000.00")  # a line's net, and the net of all an order's lines together
MAX_AMOUNT = Decimal("100000000.00")  # any single amount: an estimate, invoice, payment, refund, credit note
# Days and moments people may give: wide enough for any device's purchase date or any plan, narrow enough that
# a time zone conversion or a day's arithmetic never leaves the calendar Python and Postgres both know.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2199, 12, 31)


def _shown(value: Decimal, places: int) -> Verbatim:
    """A limit as a sentence shows it: 1,000,000.00 or 10,000."""
    return Verbatim(f"{value:,.{places}f}")


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool):
        raise ValidationError("The {what} must be a number.", what=what)
    try:
        number = Decimal(value.strip().replace(",", ".")) if isinstance(value, str) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError("The {what} must be a number.", what=what) from None
    if not number.is_finite():
        raise ValidationError("The {what} must be a number.", what=what)
    return number


def money(
    value: Any,
    what: str,
    *,
    limit: Decimal = MAX_AMOUNT,
    negative: bool = False,
    positive: bool = False,
    exact: bool = False,
) -> Decimal:
    """An amount of money to the cent, refused with one sentence when it is not a number, negative (unless
    ``negative``), not above zero (when ``positive``), beyond ``limit`` either way, or, when ``exact``, has more
    than two decimals (otherwise it is rounded half up)."""
    amount = _decimal(value, what)
    if positive and amount <= 0:
        raise ValidationError("The {what} must be more than 0.", what=what)
    if amount < 0 and not negative:
        raise ValidationError("The {what} cannot be negative.", what=what)
    if abs(amount) > limit:
        raise ValidationError("The {what} can be at most {limit}.", what=what, limit=_shown(limit, 2))
    if exact and amount != amount.quantize(CENT):
        raise ValidationError("The {what} can have at most 2 decimals.", what=what)
    return amount.quantize(CENT, ROUND_HALF_UP)


def price(value: Any, what: str, *, negative: bool = False) -> Decimal:
    """A price of one unit (part, hour, service): :func:`money` up to ``MAX_UNIT_PRICE``."""
    return money(value, what, limit=MAX_UNIT_PRICE, negative=negative)


def quantity(value: Any, what: str, *, limit: Decimal = MAX_QUANTITY, zero: bool = False) -> Decimal:
    """A quantity with at most 3 decimals, more than 0 (or not negative, with ``zero``) and at most ``limit``."""
    qty = _decimal(value, what)
    if qty < 0 and zero:
        raise ValidationError("The {what} cannot be negative.", what=what)
    if qty <= 0 and not zero:
        raise ValidationError("The {what} must be more than 0.", what=what)
    if qty > limit:
        raise ValidationError("The {what} can be at most {limit}.", what=what, limit=_shown(limit, 0))
    if qty != qty.quantize(MILLI):
        raise ValidationError("The {what} can have at most 3 decimals.", what=what)
    return qty


# Units that divide: a part counted in one of these (metres of cable, litres of gas) may move in fractions. Any
# other unit ("pcs", "box", "pair", ...) counts whole things, and half a screen is no quantity.
MEASURED_UNITS = frozenset(
    {"m", "cm", "mm", "km", "ft", "in", "yd", "l", "ml", "cl", "dl", "gal", "kg", "g", "mg", "lb", "oz"}
    | {"m2", "m²", "m3", "m³", "sqm", "h", "hr", "min"}
)


def counted(qty: Decimal, unit: str, sku: str) -> Decimal:
    """``qty`` of a part counted in ``unit``, refused when it is a fraction of a part counted in whole things."""
    if (unit or "").strip().lower() not in MEASURED_UNITS and qty != qty.to_integral_value():
        raise ValidationError(
            "{sku} is counted in whole {unit}: give a whole number, not {quantity}.",
            sku=Verbatim(sku),
            unit=Verbatim(unit),
            quantity=Verbatim(format(qty.normalize(), "f")),
        )
    return qty


def line_total(qty: Decimal, unit_price: Decimal) -> Decimal:
    """The net of a line (quantity x unit price, to the cent), refused beyond ``MAX_LINE_TOTAL``."""
    net = (qty * unit_price).quantize(CENT, ROUND_HALF_UP)
    if abs(net) > MAX_LINE_TOTAL:
        raise ValidationError(
            "A line can come to at most {limit}; this one comes to {total}.",
            limit=_shown(MAX_LINE_TOTAL, 2),
            total=_shown(abs(net), 2),
        )
    return net


def order_total(net: Decimal) -> Decimal:
    """An order's net with a new line, refused beyond ``MAX_LINE_TOTAL`` (split the work into two orders)."""
    if abs(net) > MAX_LINE_TOTAL:
        raise ValidationError(
            "An order can come to at most {limit} before tax; with this line it would come to {total}.",
            limit=_shown(MAX_LINE_TOTAL, 2),
            total=_shown(abs(net), 2),
        )
    return net


def day(value: date | None, what: str) -> date | None:
    """A calendar day between ``EARLIEST_DAY`` and ``LATEST_DAY`` (or None)."""
    if value is None:
        return None
    plain = value.date() if isinstance(value, datetime) else value
    if not EARLIEST_DAY <= plain <= LATEST_DAY:
        raise ValidationError(
            "The {what} must be between {earliest} and {latest}.",
            what=what,
            earliest=Verbatim(EARLIEST_DAY.isoformat()),
            latest=Verbatim(LATEST_DAY.isoformat()),
        )
    return value


def moment(value: datetime | None, what: str) -> datetime | None:
    """A moment with a time zone whose day, where it was given and in UTC, is between the bounds."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError("Give the {what} with a time zone.", what=what)
    # The wall-clock day first: converting 0001-01-01T00:00+14:00 to UTC would itself overflow; once that day
    # is inside the bounds, the conversion is safe and its UTC day must be inside them too.
    day(value.replace(tzinfo=None).date(), what)
    day(value.astimezone(UTC).date(), what)
    return value


NUL = "\x00"


def text(value: str | None, what: str, max_length: int, *, required: bool = True) -> str | None:
    """Trimmed text of at most ``max_length`` characters, never with a NUL character (Postgres cannot store it);
    None when empty and not ``required``."""
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationError("Give the {what}.", what=what)
        return None
    no_nul(value, what)
    if len(value) > max_length:
        raise ValidationError("The {what} can be at most {limit} characters.", what=what, limit=f"{max_length:,}")
    return value


def page(limit: int, offset: int) -> tuple[int, int]:
    """Validated paging for every list: 1–500 rows from a non-negative offset."""
    if not 1 <= limit <= 500:
        raise ValidationError("Ask for between 1 and 500 rows at a time.")
    if offset < 0:
        raise ValidationError("The offset cannot be negative.")
    return limit, offset


def no_nul(value: str | None, what: str) -> str | None:
    """``value`` unchanged, refused when it holds a NUL character (which Postgres cannot store in text)."""
    if value is not None and NUL in value:
        raise ValidationError("The {what} contains a NUL character, which cannot be stored.", what=what)
    return value
