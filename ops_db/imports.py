"""Import customers, devices and parts from CSV: every row checked, all written or nothing.

The whole file runs in one transaction through the same in-unit helpers the services use (so the rules are
the services' rules), each row in a savepoint so one bad row does not hide the next one's problem. If any
row is wrong, or on a dry run, the transaction is rolled back: nothing is written and the report lists every
problem as (row, column, reason). Row numbers count the header as row 1, as a spreadsheet shows them.

Columns (header names, any order; extra columns are ignored):

- ``customers``: ``name`` (required), ``email``, ``phone`` (one of the two required), ``kind`` (person or
  company), ``language`` (en, ru, pt_BR, zh_CN), ``address``, ``city``.
- ``devices``: ``customer_email`` or ``customer_phone`` (an existing customer), ``manufacturer``, ``model``
  (created if new), ``category``, ``serial_number``, ``purchase_date`` (YYYY-MM-DD),
  ``warranty_until`` (YYYY-MM-DD).
- ``parts``: ``sku`` (required, unique), ``name`` (required), ``category``, ``unit_cost``, ``sale_price``,
  ``warranty_months``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from typing import TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.exc import DBAPIError

from ops_db.assets.models import Equipment, EquipmentModel, Manufacturer
from ops_db.customers.models import Customer
from ops_db.customers.schemas import CustomerIn
from ops_db.customers.service import find_or_create
from ops_db.i18n import N_, as_is, check_locale
from ops_db.inventory.service import add_part
from ops_db.kit import bounds
from ops_db.kit.errors import RepairOpsError, ValidationError, Verbatim
from ops_db.kit.uow import UnitOfWork
from ops_db.warranty.models import Warranty

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000


@dataclass(frozen=True)
class RowError:
    """One problem: the spreadsheet row (header = 1), the column, and why (in English; ``error``, when known, is
    the error the reason came from, so a screen can show it in the reader's language with ``error_in``)."""

    row: int
    column: str
    reason: str
    error: RepairOpsError | None = field(default=None, compare=False, repr=False)


@dataclass
class ImportReport:
    """What an import found and did."""

    kind: str
    rows: int = 0
    created: int = 0
    existing: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False


@dataclass(frozen=True)
class Kind:
    """One importable kind: the permission it needs, required columns, and how a row is written."""

    permission: str
    required: tuple[str, ...]
    write: Callable[[UnitOfWork, dict[str, str]], bool]  # True when a row was created, False when it existed


def _text(row: dict[str, str], column: str) -> str | None:
    value = (row.get(column) or "").strip()
    return value or None


def _date(row: dict[str, str], column: str) -> date | None:
    value = _text(row, column)
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise _ColumnError(column, N_("{value} is not a date like 2026-03-31."), value=repr(value)) from None
    return _in_column(column, lambda: bounds.day(day, Verbatim(column)))


def _price(row: dict[str, str], column: str, what: str) -> Decimal:
    value = _text(row, column) or "0"
    return _in_column(column, lambda: bounds.price(value, what))


T = TypeVar("T")


def _in_column(column: str, parse: Callable[[], T]) -> T:
    """What ``parse`` returns; if it refuses, its sentence is about ``column``."""
    try:
        return parse()
    except ValidationError as error:
        raise _ColumnError(column, error.template, **error.fields) from None


class _ColumnError(ValidationError):
    """A row problem that knows its column (the sentence is a template with fields, marked with ``N_``)."""

    def __init__(self, column: str, message: str, /, **fields: object) -> None:
        super().__init__(message, **fields)
        self.column = column


def _customer(uow: UnitOfWork, row: dict[str, str]) -> bool:
    language = _text(row, "language")
    if language is not None:
        try:
            language = check_locale(language)
        except ValidationError as error:
            raise _ColumnError("language", error.template, **error.fields) from None
    _, created = find_or_create(
        uow,
        CustomerIn(
            name=_text(row, "name") or "",
            email=_text(row, "email"),
            phone=_text(row, "phone"),
            kind=_text(row, "kind") or "person",
            language=language,
            address_line1=_text(row, "address"),
            city=_text(row, "city"),
        ),
    )
    return created


def _model(uow: UnitOfWork, maker_name: str, model_name: str, category: str) -> EquipmentModel:
    session, tenant = uow.session, uow.actor.tenant_id
    maker_name = bounds.text(maker_name, N_("manufacturer"), 200) or ""
    model_name = bounds.text(model_name, N_("model"), 200) or ""
    category = bounds.text(category, N_("category"), 64) or "other"
    maker = session.execute(
        select(Manufacturer).where(func.lower(Manufacturer.name) == maker_name.lower())
    ).scalar_one_or_none()
    if maker is None:
        maker = Manufacturer(tenant_id=tenant, name=maker_name)
        session.add(maker)
        uow.flush()
    model = session.execute(
        select(EquipmentModel).where(
            EquipmentModel.manufacturer_id == maker.id, func.lower(EquipmentModel.name) == model_name.lower()
        )
    ).scalar_one_or_none()
    if model is None:
        model = EquipmentModel(tenant_id=tenant, manufacturer_id=maker.id, name=model_name, category=category)
        session.add(model)
        uow.flush()
    return model


def _device(uow: UnitOfWork, row: dict[str, str]) -> bool:
    email, phone = _text(row, "customer_email"), _text(row, "customer_phone")
    if not email and not phone:
        raise _ColumnError("customer_email", N_("Give the customer's email or phone."))
    conditions = ([func.lower(Customer.email) == email.lower()] if email else []) + (
        [Customer.phone == phone] if phone else []
    )
    customer = uow.session.execute(
        select(Customer).where(or_(*conditions)).order_by(Customer.id).limit(1)
    ).scalar_one_or_none()
    if customer is None:
        raise _ColumnError("customer_email" if email else "customer_phone", N_("No customer has that email or phone."))
    maker, model_name = _text(row, "manufacturer"), _text(row, "model")
    if not maker or not model_name:
        raise _ColumnError("manufacturer" if not maker else "model", N_("Give the manufacturer and the model."))
    model = _model(uow, maker, model_name, _text(row, "category") or "other")
    serial, bought, until = _text(row, "serial_number"), _date(row, "purchase_date"), _date(row, "warranty_until")
    if serial and len(serial) > 100:
        raise _ColumnError("serial_number", N_("A serial number has at most 100 characters."))
    if bought and bought > date.today():
        raise _ColumnError("purchase_date", N_("The purchase date is in the future."))
    if serial:
        existing = uow.session.execute(
            select(Equipment).where(Equipment.model_id == model.id, Equipment.serial_number == serial)
        ).scalar_one_or_none()
        if existing is not None:
            if existing.customer_id != customer.id:
                raise _ColumnError(
                    "serial_number", N_("Serial {serial} is registered to another customer."), serial=serial
                )
            return False
    equipment = Equipment(
        tenant_id=uow.actor.tenant_id,
        customer_id=customer.id,
        model_id=model.id,
        serial_number=serial,
        purchase_date=bought,
    )
    uow.session.add(equipment)
    uow.flush()
    if until is not None:
        starts = bought or min(until, date.today())
        if until < starts:
            raise _ColumnError("warranty_until", N_("The warranty cannot end before the device was bought."))
        uow.session.add(
            Warranty(
                tenant_id=uow.actor.tenant_id,
                equipment_id=equipment.id,
                kind="manufacturer",
                coverage="full",
                starts_on=starts,
                ends_on=until,
            )
        )
    uow.audit("equipment.import", "equipment", equipment.id, after={"serial_number": serial})
    return True


def _part(uow: UnitOfWork, row: dict[str, str]) -> bool:
    months_text = _text(row, "warranty_months") or "3"
    try:
        months = int(months_text)
    except ValueError:
        raise _ColumnError(
            "warranty_months", N_("{value} is not a whole number of months."), value=repr(months_text)
        ) from None
    add_part(
        uow,
        _text(row, "sku") or "",
        _text(row, "name") or "",
        category=_text(row, "category") or "general",
        unit_cost=_price(row, "unit_cost", N_("unit cost")),
        sale_price=_price(row, "sale_price", N_("sale price")),
        warranty_months=months,
    )
    return True


KINDS: dict[str, Kind] = {
    "customers": Kind("customers.write", ("name",), _customer),
    "devices": Kind("customers.write", ("manufacturer", "model"), _device),
    "parts": Kind("inventory.adjust", ("sku", "name"), _part),
}

# Which column a service's sentence is about, when it does not say (first matching word wins).
_COLUMN_HINTS = (
    ("sku", "sku"),
    ("part name", "name"),
    ("price", "unit_cost"),
    ("warranty", "warranty_months"),
    ("email", "email"),
    ("phone", "phone"),
    ("name", "name"),
    ("customer is one of", "kind"),
    ("coordinates", "city"),
)


def _column_of(error: RepairOpsError, kind: str) -> str:
    if isinstance(error, _ColumnError):
        return error.column
    text = error.message.lower()
    for word, column in _COLUMN_HINTS:
        if word in text:
            return column
    return KINDS[kind].required[0]


def _refuse_nul(row: dict[str, str]) -> None:
    """A NUL character cannot be stored in any text column: say which column holds one."""
    for column, value in row.items():
        if bounds.NUL in value:
            _in_column(column, partial(bounds.no_nul, value, Verbatim(column)))


def read_rows(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a UTF-8 CSV (comma or semicolon separated; a spreadsheet's BOM is fine)."""
    if len(data) > MAX_BYTES:
        raise ValidationError("The file is larger than {limit} MB; split it.", limit=MAX_BYTES // (1024 * 1024))
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The file is not UTF-8 text; save it as CSV UTF-8.") from None
    if not content.strip():
        raise ValidationError("The file is empty.")
    first_line = content.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(content, newline=""), delimiter=delimiter)
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    reader.fieldnames = header
    rows = []
    try:
        for row in reader:
            rows.append({k: v for k, v in row.items() if isinstance(k, str) and isinstance(v, str)})
            if len(rows) > MAX_ROWS:
                raise ValidationError("The file has more than {limit} rows; split it.", limit=format(MAX_ROWS, ","))
    except csv.Error:  # a cell longer than the csv module takes (128 KB), a broken quote
        raise ValidationError(
            "Row {row} cannot be read as CSV; save the file again as CSV UTF-8.", row=len(rows) + 2
        ) from None
    return header, rows


def import_csv(uow: UnitOfWork, kind: str, data: bytes, *, dry_run: bool = False) -> ImportReport:
    """Check every row of a CSV of ``kind`` and, if all are right and this is not a dry run, write them all in
    one transaction; otherwise write nothing. See the module notes for the columns."""
    if kind not in KINDS:
        raise ValidationError("RepairOps imports {kinds}; not {kind}.", kinds=", ".join(KINDS), kind=repr(kind))
    spec = KINDS[kind]
    header, rows = read_rows(data)
    report = ImportReport(kind, rows=len(rows), dry_run=dry_run)
    missing = [c for c in spec.required if c not in header]
    if missing:
        # The required columns are plain lowercase names, so repr() quoted them with '…'.
        problem = ValidationError("The header has no '{column}' column.", column=Verbatim(missing[0]))
        report.errors.append(RowError(1, missing[0], problem.message, problem))
        return report
    with uow:
        uow.actor.require(spec.permission)
        for number, row in enumerate(rows, start=2):
            savepoint = uow.session.begin_nested()
            try:
                _refuse_nul(row)
                created = spec.write(uow, row)
                savepoint.commit()
            except RepairOpsError as error:
                savepoint.rollback()
                report.errors.append(RowError(number, _column_of(error, kind), error.message, error))
                continue
            except DBAPIError as error:
                savepoint.rollback()
                reason = str(error.orig).splitlines()[0] if error.orig else N_("the database refused the row")
                refused = ValidationError("The database refused the row: {reason}.", reason=reason)
                report.errors.append(RowError(number, spec.required[0], refused.message, refused))
                continue
            report.created += created
            report.existing += not created
        if report.errors or dry_run:
            uow.session.rollback()
            return report
        uow.audit(f"import.{kind}", kind, None, after={"rows": report.rows, "created": report.created})
        uow.commit()
        report.written = True
        return report


def report_lines(report: ImportReport, *, limit: int = 200) -> list[str]:
    """The report as sentences for a person (first ``limit`` problems)."""
    lines = [f"row {e.row}, column {e.column}: {e.reason}" for e in report.errors[:limit]]
    if len(report.errors) > limit:
        lines.append(f"… and {len(report.errors) - limit:,} more problems.")
    return lines


def describe(report: ImportReport, t: Callable[[str], str] = as_is) -> str:
    """One sentence on the outcome (in English, or through ``t``, a catalog's ``gettext``)."""
    rows, created, existing = f"{report.rows:,}", f"{report.created:,}", f"{report.existing:,}"
    if report.errors:
        return t("{problems} problems in {rows} rows; nothing was written. Fix them and import again.").format(
            problems=f"{len(report.errors):,}", rows=rows
        )
    if report.dry_run:
        return t("All {rows} rows are valid ({created} new, {existing} already there).").format(
            rows=rows, created=created, existing=existing
        )
    return t("Imported {rows} rows: {created} new, {existing} already there.").format(
        rows=rows, created=created, existing=existing
    )
